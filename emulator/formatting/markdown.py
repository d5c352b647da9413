"""Telegram's MarkdownV2 and legacy Markdown parse modes, after TDLib's parsers.

Offsets in error messages are UTF-8 byte offsets into the source, as Telegram reports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.formatting.html import ParseError
from emulator.formatting.links import UserResolver, check_link, link_user_id
from emulator.formatting.utf16 import utf16_len

_RESERVED = "_*[]()~`>#+-=|{}.!"
# TDLib prints entity types by these names in "Can't find end of ... entity" errors.
_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


@dataclass(slots=True)
class _Open:
    kind: str
    argument: str
    offset: int
    byte_offset: int
    start: int  # index into the result text


def _reserved_error(char: str) -> ParseError:
    return ParseError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")


class _Builder:
    """Accumulates plain text with its UTF-16 length."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.utf16 = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)
        self.utf16 += utf16_len(text)

    def text(self) -> str:
        return "".join(self.parts)


def parse_markdown_v2(
    source: str, resolve_user: UserResolver | None = None
) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    quote_start: int | None = None  # UTF-16 offset of an open blockquote
    n = len(source)

    def at(index: int) -> str:
        return source[index] if index < n else "\0"

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    i = 0
    while i < n:
        c = source[i]
        line_start = i == 0 or source[i - 1] == "\n"
        if c == "\n" and quote_start is not None and at(i + 1) != ">":
            _add_entity(entities, "blockquote", quote_start, out.utf16)
            quote_start = None
        if c == "\\" and 0 < ord(at(i + 1)) <= 126:
            out.add(source[i + 1])
            i += 2
            continue
        in_code = bool(stack) and stack[-1].kind in {"code", "pre", "pre_code"}
        reserved = "`" if in_code else _RESERVED
        if c not in reserved:
            out.add(c)
            i += 1
            continue
        if c == ">" and line_start and not stack:
            if quote_start is None:
                quote_start = out.utf16
            i += 1
            continue
        top = stack[-1] if stack else None
        if top is not None and _ends(top.kind, c, at(i + 1), at(i + 2)):
            i = _close(source, i, top, out, entities, resolve_user)
            stack.pop()
            continue
        kind, argument, begin = "", "", i
        if c == "_":
            kind = "underline" if at(i + 1) == "_" else "italic"
            i += 2 if kind == "underline" else 1
        elif c == "*":
            kind, i = "bold", i + 1
        elif c == "~":
            kind, i = "strikethrough", i + 1
        elif c == "|" and at(i + 1) == "|":
            kind, i = "spoiler", i + 2
        elif c == "[":
            kind, i = "text_link", i + 1
        elif c == "!" and at(i + 1) == "[":
            kind, i = "custom_emoji", i + 2
        elif c == "`" and at(i + 1) == "`" and at(i + 2) == "`":
            i += 3
            kind = "pre"
            end = i
            while end < n and source[end] not in " \t\r\n\v`":
                end += 1
            if end != i and end < n and source[end] != "`":
                kind, argument, i = "pre_code", source[i:end], end
            if at(i) in "\r\n":
                i += 2 if at(i + 1) in "\r\n" and at(i + 1) != at(i) else 1
        elif c == "`":
            kind, i = "code", i + 1
        else:
            raise _reserved_error(c)
        stack.append(_Open(kind, argument, out.utf16, byte_offset(begin), out.length))
    if stack:
        top = stack[-1]
        raise ParseError(
            f"Can't find end of {_TYPE_NAMES[top.kind]} entity at byte offset {top.byte_offset}"
        )
    if quote_start is not None:
        _add_entity(entities, "blockquote", quote_start, out.utf16)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.text(), entities


def _ends(kind: str, c: str, next1: str, next2: str) -> bool:
    if kind == "bold":
        return c == "*"
    if kind == "italic":
        return c == "_" and next1 != "_"
    if kind == "underline":
        return c == "_" and next1 == "_"
    if kind == "strikethrough":
        return c == "~"
    if kind == "spoiler":
        return c == "|" and next1 == "|"
    if kind == "code":
        return c == "`"
    if kind in {"pre", "pre_code"}:
        return c == "`" and next1 == "`" and next2 == "`"
    return c == "]"  # text_link, custom_emoji


def _close(
    source: str,
    i: int,
    top: _Open,
    out: _Builder,
    entities: list[dict[str, Any]],
    resolve_user: UserResolver | None,
) -> int:
    """Close the innermost entity at ``i``; the index after its closing markup."""
    kind = top.kind
    skip = out.utf16 == top.offset
    extra: dict[str, Any] = {}
    i += {"underline": 2, "spoiler": 2, "pre": 3, "pre_code": 3}.get(kind, 1)
    if kind in {"text_link", "custom_emoji"}:
        url = out.text()[top.start :]
        if i < len(source) and source[i] == "(":
            url, i = _url(source, i + 1)
        if kind == "custom_emoji":
            if not url.startswith("tg://emoji?id="):
                raise ParseError("Custom emoji entity must contain a tg://emoji URL")
            extra["custom_emoji_id"] = url[len("tg://emoji?id=") :]
        else:
            user_id = link_user_id(url)
            user = resolve_user(user_id) if user_id is not None and resolve_user else None
            if user is not None:
                kind, extra = "text_mention", {"user": user}
            else:
                checked = check_link(url) if user_id is None else None
                skip = skip or checked is None
                extra["url"] = checked
    if kind == "pre_code":
        kind, extra = "pre", {"language": top.argument}
    if not skip:
        _add_entity(entities, kind, top.offset, out.utf16, extra)
    return i


def _url(source: str, i: int) -> tuple[str, int]:
    begin = i
    url: list[str] = []
    while i < len(source) and source[i] != ")":
        if source[i] == "\\" and i + 1 < len(source) and 0 < ord(source[i + 1]) <= 126:
            url.append(source[i + 1])
            i += 2
            continue
        url.append(source[i])
        i += 1
    if i >= len(source):
        offset = len(source[:begin].encode("utf-8"))
        raise ParseError(f"Can't find end of a URL at byte offset {offset}")
    return "".join(url), i + 1


def _add_entity(
    entities: list[dict[str, Any]],
    kind: str,
    start: int,
    end: int,
    extra: dict[str, Any] | None = None,
) -> None:
    if end > start:
        entities.append({"type": kind, "offset": start, "length": end - start, **(extra or {})})


def parse_markdown(
    source: str, resolve_user: UserResolver | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url), no nesting."""
    out = _Builder()
    entities: list[dict[str, Any]] = []
    n = len(source)
    i = 0
    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.add(source[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        begin = i
        offset = out.utf16
        start = out.length
        is_pre = c == "`" and source[i + 1 : i + 3] == "``"
        language = ""
        i += 3 if is_pre else 1
        if is_pre:
            end = i
            while end < n and source[end] not in " \t\r\n`":
                end += 1
            if end != i and end < n and source[end] in "\r\n":
                language, i = source[i:end], end
        closer = "]" if c == "[" else c
        while i < n and not (source[i] == closer and (not is_pre or source[i : i + 3] == "```")):
            out.add(source[i])
            i += 1
        if i >= n:
            offset_bytes = len(source[:begin].encode("utf-8"))
            raise ParseError(f"Can't find end of the entity starting at byte offset {offset_bytes}")
        i += 3 if is_pre else 1
        kind = {"*": "bold", "_": "italic", "`": "pre" if is_pre else "code", "[": ""}[c]
        extra: dict[str, Any] = {"language": language} if language else {}
        if c == "[":
            url = out.text()[start:]
            if i < n and source[i] == "(":
                close = source.find(")", i)
                if close != -1:
                    url, i = source[i + 1 : close], close + 1
            user_id = link_user_id(url)
            user = resolve_user(user_id) if user_id is not None and resolve_user else None
            checked = check_link(url)
            if user is not None:
                kind, extra = "text_mention", {"user": user}
            elif checked is not None:
                kind, extra = "text_link", {"url": checked}
            else:
                continue
        _add_entity(entities, kind, offset, out.utf16, extra)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.text(), entities
