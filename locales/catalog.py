"""Read the .po catalogs into memory and look messages up by key.

Messages are identified by stable keys (``case.filed``) rather than English source text, so that
both catalogs are translations of the same key, a test can prove each is complete, and no
user-facing sentence lives in the code.
"""

from __future__ import annotations

import gettext
import re
import string
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES: tuple[str, ...] = ("zh_Hans", "en")
DEFAULT_LOCALE = "zh_Hans"
_ROOT = Path(__file__).resolve().parent
_FORMATTER = string.Formatter()


def normalize_locale(code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map a Telegram ``language_code`` (``zh-hans``, ``zh-CN``, ``en-US``) to a catalog locale."""
    if not code:
        return default
    code = code.replace("-", "_").lower()
    if code.startswith("zh"):
        return "zh_Hans"
    if code.startswith("en"):
        return "en"
    return default


def placeholders(message: str) -> set[str]:
    """The ``{name}`` fields of a message, as str.format sees them."""
    return {field for _, field, _, _ in _FORMATTER.parse(message) if field}


@cache
def load_catalog(domain: str) -> Catalog:
    """All messages of a domain: ``<domain>.po`` plus any ``<domain>-<area>.po`` beside it,
    so each feature area keeps its own file; a key defined twice is an error.

    A message with plural forms (``msgid_plural``, ``msgstr[0]``, ``msgstr[1]``…, gettext's
    ngettext) is looked up with :meth:`Catalog.plural`; the file's ``Plural-Forms`` header
    says which form a number takes (Chinese has one form, English two)."""
    messages: dict[str, dict[str, str]] = {}
    plurals: dict[str, dict[str, tuple[str, ...]]] = {}
    rules: dict[str, Callable[[int], int]] = {}
    for locale in LOCALES:
        merged: dict[str, str] = {}
        forms: dict[str, tuple[str, ...]] = {}
        folder = _ROOT / locale / "LC_MESSAGES"
        for path in [folder / f"{domain}.po", *sorted(folder.glob(f"{domain}-*.po"))]:
            with path.open("rb") as fh:
                po = read_po(fh, locale=locale.replace("_Hans", ""))
            rules.setdefault(locale, gettext.c2py(po.plural_expr))
            for msg in po:
                key = str(msg.id[0] if isinstance(msg.id, tuple | list) else msg.id)
                if not key:
                    continue
                if key in merged:
                    raise ValueError(f"{path.name}: {key} is defined twice in {domain}")
                if isinstance(msg.string, tuple | list):
                    forms[key] = tuple(str(s) for s in msg.string)
                    # The last form ("other") stands for the message in plain look-ups.
                    merged[key] = forms[key][-1]
                elif isinstance(msg.string, str):
                    merged[key] = msg.string
        messages[locale] = merged
        plurals[locale] = forms
    return Catalog(messages, plurals, rules)


class Catalog:
    """All messages of one domain in every locale."""

    def __init__(
        self,
        messages: Mapping[str, Mapping[str, str]],
        plurals: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
        rules: Mapping[str, Callable[[int], int]] | None = None,
    ) -> None:
        self.messages = messages
        self.plurals = plurals or {}
        self.rules = rules or {}

    def keys(self, locale: str) -> set[str]:
        return set(self.messages.get(locale, {}))

    def has(self, key: str) -> bool:
        return all(key in self.messages[loc] for loc in LOCALES)

    def text(self, locale: str, key: str, /, **params: object) -> str:
        """The message in ``locale`` (falling back to the default one), with params filled in.

        A missing key is a bug that the catalog tests catch; at run time the user sees the key
        rather than a crash, so one missing message never costs a resident their case. A plural
        message given its count as ``n`` takes the form of that count.
        """
        n = params.get("n")
        if isinstance(n, int) and key in self.plurals.get(locale, {}):
            rest = {k: v for k, v in params.items() if k != "n"}
            return self.plural(locale, key, n, **rest)
        template = self.messages.get(locale, {}).get(key) or self.messages[DEFAULT_LOCALE].get(key)
        if not template:
            return key
        return template.format(**params) if params else template

    def plural(self, locale: str, key: str, n: int, /, **params: object) -> str:
        """The form of a plural message that ``n`` takes in ``locale`` ("1 case", "2 cases"),
        with ``{n}`` and the other params filled in. A plain message is used as it is."""
        if locale not in self.messages or key not in self.messages[locale]:
            locale = DEFAULT_LOCALE
        forms = self.plurals.get(locale, {}).get(key)
        if not forms:
            return self.text(locale, key, n=n, **params)
        rule = self.rules.get(locale)
        index = int(rule(n)) if rule else 0
        template = forms[min(max(index, 0), len(forms) - 1)] or forms[-1]
        return template.format(n=n, **params)

    def table(self, locale: str, prefix: str = "") -> dict[str, str]:
        """Every message of a locale whose key starts with ``prefix`` (for the demo page)."""
        return {k: v for k, v in self.messages.get(locale, {}).items() if k.startswith(prefix)}


_KEY = re.compile(r"^[a-z0-9_.]+$")


def is_valid_key(key: str) -> bool:
    return bool(_KEY.match(key))
