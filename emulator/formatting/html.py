"""Telegram's HTML parse mode: markup in, plain text and entities out.

Follows TDLib's parser (``parse_html`` in td/telegram/MessageEntity.cpp) closely enough to accept
and reject the same input, with the same error wording and UTF-8 byte offsets, so a bot that
passes here does not fail on the real server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from emulator.formatting.links import UserResolver, check_link, link_user_id

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_SPACE = " \t\r\n\v\0"
_SPECIAL = re.compile(r"[&<]")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class ParseError(ValueError):
    """Markup Telegram would refuse; the message is TDLib's."""


@dataclass(slots=True)
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the result
    start: int  # index into the result text


def parse_html(
    source: str, resolve_user: UserResolver | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities; ``resolve_user(id)`` gives a User dict for tg://user links."""
    parser = _Parser(source, resolve_user)
    return parser.run()


class _Parser:
    def __init__(self, source: str, resolve_user: UserResolver | None) -> None:
        self.src = source
        self.n = len(source)
        self.resolve_user = resolve_user
        self.out: list[str] = []
        self.length = 0  # code points emitted
        self.utf16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.length += len(text)
        self.utf16 += len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        i = 0
        src = self.src
        while i < self.n:
            match = _SPECIAL.search(src, i)
            if match is None:
                self.emit(src[i:])
                break
            if match.start() > i:
                self.emit(src[i : match.start()])
            i = match.start()
            if src[i] == "&":
                char, i = decode_entity(src, i)
                self.emit(char)
            elif i + 1 < self.n and src[i + 1] == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise ParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _at(self, i: int) -> str:
        return self.src[i] if i < self.n else "\0"

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while i < self.n and self.src[i] not in _SPACE and self.src[i] != ">":
            i += 1
        if i >= self.n:
            raise ParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = self.src[begin + 1 : i].lower()
        if tag not in SUPPORTED_TAGS:
            raise ParseError(
                f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        argument = ""
        while self._at(i) != ">":
            while i < self.n and self.src[i] in _SPACE:
                i += 1
            if i >= self.n:
                raise ParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if self.src[i] == ">":
                break
            name_begin = i
            while i < self.n and self.src[i] not in _SPACE and self.src[i] not in "=>":
                i += 1
            name = self.src[name_begin:i].lower()
            if not name:
                raise ParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            while i < self.n and self.src[i] in _SPACE:
                i += 1
            if self._at(i) != "=":
                if tag == "blockquote" and name == "expandable":
                    argument = "expandable"
                    continue
                raise ParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self.byte_offset(begin)}'
                )
            i += 1
            while i < self.n and self.src[i] in _SPACE:
                i += 1
            if i >= self.n:
                raise ParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            value, i = self.attribute_value(begin, i)
            argument = _argument(tag, name, value, argument)
        if tag == "span" and argument != "spoiler":
            raise ParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_Open(tag, argument, self.utf16, self.length))
        return i + 1

    def attribute_value(self, begin: int, i: int) -> tuple[str, int]:
        quote = self.src[i]
        if quote not in "'\"":
            token_begin = i
            while i < self.n and (
                (self.src[i].isascii() and self.src[i].isalnum()) or self.src[i] in ".-_:"
            ):
                i += 1
            if self._at(i) not in _SPACE and self._at(i) != ">":
                raise ParseError(
                    f"Unexpected end of name token at byte offset {self.byte_offset(token_begin)}"
                )
            return self.src[token_begin:i].lower(), i
        i += 1
        value: list[str] = []
        while i < self.n and self.src[i] != quote:
            if self.src[i] == "&":
                char, i = decode_entity(self.src, i)
                value.append(char)
            else:
                value.append(self.src[i])
                i += 1
        if i >= self.n:
            raise ParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        return "".join(value), i + 1

    def end_tag(self, begin: int) -> int:
        if not self.stack:
            raise ParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        i = begin + 2
        while i < self.n and self.src[i] not in _SPACE and self.src[i] != ">":
            i += 1
        end_name = self.src[begin + 2 : i].lower()
        while i < self.n and self.src[i] in _SPACE:
            i += 1
        if self._at(i) != ">":
            raise ParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        opened = self.stack.pop()
        if end_name and end_name != opened.tag:
            raise ParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{opened.tag}>", found "</{end_name}>"'
            )
        if self.utf16 > opened.offset:
            self.close(opened)
        return i + 1

    def close(self, opened: _Open) -> None:
        offset, length = opened.offset, self.utf16 - opened.offset
        base = {"offset": offset, "length": length}
        tag = opened.tag
        if tag in _SIMPLE:
            self.entities.append({"type": _SIMPLE[tag], **base})
        elif tag == "a":
            self.link(opened, base)
        elif tag == "code":
            entity = {"type": "code", **base}
            if opened.argument:
                entity["language"] = opened.argument
            self.entities.append(entity)
        elif tag == "pre":
            self.pre(base)
        elif tag == "blockquote":
            kind = "expandable_blockquote" if opened.argument == "expandable" else "blockquote"
            self.entities.append({"type": kind, **base})
        elif tag == "tg-emoji":
            if not opened.argument.isdigit():
                raise ParseError("Invalid custom emoji identifier specified")
            self.entities.append(
                {"type": "custom_emoji", **base, "custom_emoji_id": opened.argument}
            )

    def link(self, opened: _Open, base: dict[str, int]) -> None:
        url = opened.argument or "".join(self.out)[opened.start :]
        user_id = link_user_id(url)
        if user_id is not None:
            user = self.resolve_user(user_id) if self.resolve_user else None
            if user is not None:
                self.entities.append({"type": "text_mention", **base, "user": user})
            return
        checked = check_link(url)
        if checked is not None:
            self.entities.append({"type": "text_link", **base, "url": checked})

    def pre(self, base: dict[str, int]) -> None:
        # <pre><code class="language-x">...</code></pre> is one pre entity with a language;
        # a code entity cannot live inside pre, so an inner one spanning it all merges.
        last = self.entities[-1] if self.entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == base["offset"]
            and last["length"] == base["length"]
        ):
            self.entities.pop()
            entity: dict[str, Any] = {"type": "pre", **base}
            if "language" in last:
                entity["language"] = last["language"]
            self.entities.append(entity)
            return
        end = base["offset"] + base["length"]
        self.entities[:] = [
            e
            for e in self.entities
            if not (e["type"] == "code" and base["offset"] <= e["offset"] < end)
        ]
        self.entities.append({"type": "pre", **base})


def _argument(tag: str, name: str, value: str, current: str) -> str:
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    return current


def decode_entity(src: str, i: int) -> tuple[str, int]:
    """The character an ``&...;`` reference stands for and the index after it.

    Like TDLib: only lt, gt, amp, quot and numeric references are decoded, the semicolon is
    optional, and anything else is a literal ampersand.
    """
    end = i + 1
    n = len(src)
    if end < n and src[end] == "#":
        end += 1
        code = 0
        if end < n and src[end] == "x":
            end += 1
            digits_start = end
            while end < n and src[end] in "0123456789abcdefABCDEF":
                end += 1
            code = int(src[digits_start:end], 16) if end > digits_start else 0
        else:
            digits_start = end
            while end < n and src[end].isascii() and src[end].isdigit():
                end += 1
            code = int(src[digits_start:end]) if end > digits_start else 0
        if code == 0 or code >= 0x10FFFF or end - i >= 10 or 0xD800 <= code <= 0xDFFF:
            return "&", i + 1
        char = chr(code)
    else:
        while end < n and src[end].isascii() and src[end].isalpha():
            end += 1
        named = _NAMED.get(src[i + 1 : end])
        if named is None:
            return "&", i + 1
        char = named
    if end < n and src[end] == ";":
        end += 1
    return char, end
