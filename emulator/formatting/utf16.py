"""Telegram measures entity offsets and lengths in UTF-16 code units, Python in code points."""

from __future__ import annotations

from bisect import bisect_left


def utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class Utf16Index:
    """Converts between code-point indexes and UTF-16 offsets of one text."""

    __slots__ = ("_astral", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        # Code-point indexes of characters outside the BMP: each takes two UTF-16 units.
        self._astral = (
            [] if text.isascii() else [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]
        )

    def to_utf16(self, index: int) -> int:
        return index + bisect_left(self._astral, index)

    def to_index(self, offset: int) -> int:
        """The code-point index at a UTF-16 offset (rounded down inside a surrogate pair)."""
        index = offset
        for position in self._astral:
            if self.to_utf16(position) < offset:
                index -= 1
            else:
                break
        return max(0, index)

    def slice(self, offset: int, length: int) -> str:
        start = self.to_index(offset)
        return self._text[start : self.to_index(offset + length)]
