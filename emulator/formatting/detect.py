"""Entities Telegram finds in any text on its own: links, e-mails, commands, mentions, hashtags."""

from __future__ import annotations

import re
from typing import Any

from emulator.formatting.utf16 import Utf16Index

_URL = re.compile(r"(?<![\w@/.])(?:https?://|www\.|t\.me/)[^\s<>\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w])")
_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?!\w)")
_HASHTAG = re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")
_TRAILING = ".,;:!?)]}'\""
# Entities whose text is not searched again (it is already a link, code or a mention).
_OPAQUE = frozenset(
    {"code", "pre", "text_link", "text_mention", "url", "email", "custom_emoji", "bot_command"}
)
_PATTERNS = (
    ("url", _URL),
    ("email", _EMAIL),
    ("bot_command", _COMMAND),
    ("mention", _MENTION),
    ("hashtag", _HASHTAG),
)
_QUICK = frozenset("/@#.:")


def detect_entities(text: str, existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``existing`` plus the entities found in the text that do not overlap opaque ones."""
    if not any(ch in _QUICK for ch in text):
        return existing
    index = Utf16Index(text)
    taken = [(e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _OPAQUE]
    found: list[dict[str, Any]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                while end > start and text[end - 1] in _TRAILING:
                    end -= 1
            offset, stop = index.to_utf16(start), index.to_utf16(end)
            if stop <= offset or any(offset < b and a < stop for a, b in taken):
                continue
            taken.append((offset, stop))
            found.append({"type": kind, "offset": offset, "length": stop - offset})
    if not found:
        return existing
    return sorted([*existing, *found], key=lambda e: (e["offset"], -e["length"]))
