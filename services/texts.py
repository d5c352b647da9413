"""Messages in the user's language, and the formatting rules shared by every channel."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from locales import LOCALES, load_catalog


def esc(value: object) -> str:
    """Escape user-supplied text for HTML messages."""
    return html.escape(str(value), quote=False)


def cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


class Texts:
    """Looks messages up in the ``bot`` catalog."""

    def __init__(self) -> None:
        self.catalog = load_catalog("bot")
        self.locales = LOCALES
        self._labels: dict[frozenset[str], frozenset[str]] = {}

    def __call__(self, locale: str, key: str, /, **params: object) -> str:
        return self.catalog.text(locale, key, **params)

    def plural(self, locale: str, key: str, n: int, /, **params: object) -> str:
        """A message with a count in it, in the form ``n`` takes ("1 case", "3 cases");
        ``{n}`` is filled in with the count."""
        return self.catalog.plural(locale, key, n, **params)

    def when(self, locale: str, moment: datetime, tz: str) -> str:
        """A deadline or timestamp as people at the contact point read it, in its time zone."""
        pattern = self.catalog.text(locale, "fmt.datetime")
        babel_locale = "zh_Hans_CN" if locale == "zh_Hans" else "en_GB"
        return str(format_datetime(moment, pattern, tzinfo=ZoneInfo(tz), locale=babel_locale))

    def date(self, locale: str, moment: datetime, tz: str) -> str:
        pattern = self.catalog.text(locale, "fmt.date")
        babel_locale = "zh_Hans_CN" if locale == "zh_Hans" else "en_GB"
        return str(format_datetime(moment, pattern, tzinfo=ZoneInfo(tz), locale=babel_locale))

    def matches(self, key: str, value: str | None) -> bool:
        """Whether ``value`` is the message ``key`` in any locale (reply-keyboard buttons)."""
        return value is not None and any(self(loc, key) == value for loc in self.locales)

    def matches_any(self, keys: frozenset[str], value: str | None) -> bool:
        """Whether ``value`` is any of the messages ``keys`` in any locale: one set lookup
        (the menu's buttons, asked about every message a person sends)."""
        labels = self._labels.get(keys)
        if labels is None:
            labels = self._labels[keys] = frozenset(
                self(loc, key) for key in keys for loc in self.locales
            )
        return value is not None and value in labels


class Translator:
    """``Texts`` bound to one person's locale: what handlers call ``t``."""

    def __init__(self, texts: Texts, locale: str) -> None:
        self.texts = texts
        self.locale = locale

    def __call__(self, key: str, /, **params: object) -> str:
        return self.texts(self.locale, key, **params)

    def plural(self, key: str, n: int, /, **params: object) -> str:
        """ngettext: the form of ``key`` for the count ``n`` (given to the message as ``{n}``)."""
        return self.texts.plural(self.locale, key, n, **params)
