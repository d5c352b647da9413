"""Read the .po catalogs into memory and look messages up by key.

Messages are identified by stable keys (``case.filed``) rather than English source text, so that
both catalogs are translations of the same key, a test can prove each is complete, and no
user-facing sentence lives in the code.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
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
    so each feature area keeps its own file; a key defined twice is an error."""
    messages: dict[str, dict[str, str]] = {}
    for locale in LOCALES:
        merged: dict[str, str] = {}
        folder = _ROOT / locale / "LC_MESSAGES"
        for path in [folder / f"{domain}.po", *sorted(folder.glob(f"{domain}-*.po"))]:
            with path.open("rb") as fh:
                po = read_po(fh, locale=locale.replace("_Hans", ""))
            for msg in po:
                if not msg.id or not isinstance(msg.string, str):
                    continue
                if str(msg.id) in merged:
                    raise ValueError(f"{path.name}: {msg.id} is defined twice in {domain}")
                merged[str(msg.id)] = str(msg.string)
        messages[locale] = merged
    return Catalog(messages)


class Catalog:
    """All messages of one domain in every locale."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self.messages = messages

    def keys(self, locale: str) -> set[str]:
        return set(self.messages.get(locale, {}))

    def has(self, key: str) -> bool:
        return all(key in self.messages[loc] for loc in LOCALES)

    def text(self, locale: str, key: str, /, **params: object) -> str:
        """The message in ``locale`` (falling back to the default one), with params filled in.

        A missing key is a bug that the catalog tests catch; at run time the user sees the key
        rather than a crash, so one missing message never costs a resident their case.
        """
        template = self.messages.get(locale, {}).get(key) or self.messages[DEFAULT_LOCALE].get(key)
        if not template:
            return key
        return template.format(**params) if params else template

    def table(self, locale: str, prefix: str = "") -> dict[str, str]:
        """Every message of a locale whose key starts with ``prefix`` (for the demo page)."""
        return {k: v for k, v in self.messages.get(locale, {}).items() if k.startswith(prefix)}


_KEY = re.compile(r"^[a-z0-9_.]+$")


def is_valid_key(key: str) -> bool:
    return bool(_KEY.match(key))
