"""Formatted text as Telegram stores it: plain text plus entities in UTF-16 offsets."""

from __future__ import annotations

from typing import Any

from emulator.errors import bad_request
from emulator.formatting.detect import detect_entities
from emulator.formatting.html import ParseError, parse_html
from emulator.formatting.links import UserResolver
from emulator.formatting.markdown import parse_markdown, parse_markdown_v2
from emulator.formatting.utf16 import Utf16Index, utf16_len

__all__ = ["ParseError", "format_text", "parse_html", "utf16_len"]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_PARSERS = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}
_LEADING = " \n"
_TRAILING = " \t\r\n\v\0"


def format_text(
    text: str,
    parse_mode: str | None,
    entities: list[Any] | None,
    *,
    caption: bool = False,
    resolve_user: UserResolver | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Parse, trim and check a message text or caption the way Telegram does.

    Raises the 400 Telegram answers for bad markup, an empty text or one over the limit.
    """
    if parse_mode:
        parser = _PARSERS.get(parse_mode.lower())
        if parser is None:
            raise bad_request(f"unsupported parse_mode {parse_mode}")
        try:
            text, found = parser(text, resolve_user)
        except ParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    else:
        found = _clean_entities(text, entities or [])
    text, found = _trim(text, found)
    if not text and not caption:
        raise bad_request("message text is empty")
    if len(text) > (CAPTION_LIMIT if caption else TEXT_LIMIT):
        raise bad_request("message caption is too long" if caption else "message is too long")
    return text, detect_entities(text, found)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    stripped = text.lstrip(_LEADING).rstrip(_TRAILING)
    if stripped == text:
        return text, entities
    shift = len(text) - len(text.lstrip(_LEADING))  # whitespace is one UTF-16 unit each
    limit = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(limit, entity["offset"] + entity["length"] - shift)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def _clean_entities(text: str, raw: list[Any]) -> list[dict[str, Any]]:
    """Entities given explicitly: keep the well-formed ones, clipped to the text."""
    limit = Utf16Index(text).to_utf16(len(text))
    kept = []
    for entity in raw:
        if not isinstance(entity, dict):
            continue
        offset, length, kind = entity.get("offset"), entity.get("length"), entity.get("type")
        if not (isinstance(offset, int) and isinstance(length, int) and isinstance(kind, str)):
            continue
        end = min(offset + length, limit)
        if offset >= 0 and end > offset:
            kept.append({**entity, "offset": offset, "length": end - offset})
    kept.sort(key=lambda e: (e["offset"], -e["length"]))
    return kept
