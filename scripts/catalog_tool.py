"""Maintain the bot catalogs: add or update messages in both languages at once.

Usage from Python: ``from scripts.catalog_tool import upsert; upsert("bot", {key: (en, zh)})``;
a feature area may keep its own file: ``upsert("bot-visits", ...)`` (merged into "bot").
A message with plural forms gives a tuple of forms per language, e.g.
``{"stats.cases": (("{n} case", "{n} cases"), ("{n} 件",))}`` (English two, Chinese one).
Keeps entries sorted by key so diffs stay small.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "locales"
LANGS = {"en": "en", "zh_Hans": "zh_Hans_CN"}


def _path(locale: str, domain: str) -> Path:
    """``domain`` is a file stem: "bot", or "bot-visits" for a feature area's own file."""
    return ROOT / locale / "LC_MESSAGES" / f"{domain}.po"


def _load(locale: str, domain: str) -> Catalog:
    path = _path(locale, domain)
    if path.exists():
        with path.open("rb") as fh:
            return read_po(fh, locale=LANGS[locale])
    return _new(locale, domain)


def _new(locale: str, domain: str) -> Catalog:
    # A fixed header keeps diffs to the messages that changed.
    stamp = datetime(2026, 11, 29, tzinfo=UTC)
    return Catalog(
        locale=LANGS[locale],
        domain=domain,
        project="contact-point-bot",
        version="1",
        charset="utf-8",
        creation_date=stamp,
        revision_date=stamp,
        header_comment=f"# Contact Point Bot: {domain} messages ({locale}).\n"
        "# msgid is a stable key; msgstr is the text people read.",
        fuzzy=False,
    )


Text = str | tuple[str, ...]


def _key(msg_id: str | tuple[str, ...]) -> str:
    return msg_id[0] if isinstance(msg_id, tuple | list) else msg_id


def upsert(domain: str, messages: dict[str, tuple[Text, Text]]) -> None:
    for locale, index in (("en", 0), ("zh_Hans", 1)):
        catalog = _load(locale, domain)
        for key, texts in messages.items():
            text = texts[index]
            if key in catalog:
                del catalog[key]
            # Plural messages are keyed by the same key twice (msgid and msgid_plural).
            catalog.add((key, key) if isinstance(text, tuple) else key, text)
        ordered = _new(locale, domain)
        by_key = {_key(m.id): m for m in catalog if m.id}
        for key in sorted(by_key):
            ordered.add(by_key[key].id, by_key[key].string)
        path = _path(locale, domain)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, ordered, width=0, omit_header=False, sort_output=True)


def remove(domain: str, keys: list[str]) -> None:
    for locale in LANGS:
        catalog = _load(locale, domain)
        for key in keys:
            if key in catalog:
                del catalog[key]
        with _path(locale, domain).open("wb") as fh:
            write_po(fh, catalog, width=0, sort_output=True)


if __name__ == "__main__":
    sys.exit("import this module and call upsert()")
