"""Text on a poster: measuring it, wrapping it into lines that fit (CJK between characters,
Latin between words), and cutting a line short with an ellipsis."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from PIL import ImageFont

ELLIPSIS = "…"
# Kept off the start of a line (joined to what precedes them) ...
_CLOSING = set("，。、；：？！）》」』】〕〉〗’”…‥·・%,.;:!?)]}")
# ... and off the end of one (joined to what follows them).
_OPENING = set("（《「『【〔〈〖‘“([{")


def ink_width(font: ImageFont.FreeTypeFont, text: str) -> int:
    if not text:
        return 0
    left, _, right, _ = font.getbbox(text, anchor="ls")
    return int(right - left)


@lru_cache(maxsize=65536)
def _advance(font: ImageFont.FreeTypeFont, char: str) -> float:
    return float(font.getlength(char))


def _fits(font: ImageFont.FreeTypeFont, text: str, width: int) -> bool:
    """Whether `text` is at most `width` wide. Summed advances (cached per character) settle
    most cases; only those near the limit are measured exactly, which is slow."""
    text = text.rstrip()
    estimate = sum(_advance(font, char) for char in text)
    if estimate <= width * 0.95:
        return True
    if estimate > width * 1.1:
        return False
    return ink_width(font, text) <= width


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _tokens(text: str) -> list[str]:
    """Split into unbreakable pieces: a CJK character each, a Latin word with its spaces."""
    tokens: list[str] = []
    word = ""
    for char in text:
        if char.isspace():
            if word:
                tokens.append(word + " ")
                word = ""
            elif tokens and not tokens[-1].endswith(" "):
                tokens[-1] += " "
        elif _wide(char):
            if word:
                tokens.append(word)
                word = ""
            tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)
    merged: list[str] = []
    glue_next = False
    for token in tokens:
        if merged and (glue_next or token[0] in _CLOSING):
            merged[-1] += token
        else:
            merged.append(token)
        glue_next = token.rstrip()[-1:] in _OPENING
    return merged


def _script_runs(text: str) -> list[str]:
    """`text` cut at each space between a CJK and a non-CJK character."""
    runs: list[str] = []
    start = 0
    for i, char in enumerate(text):
        if char == " " and 0 < i < len(text) - 1:
            before, after = text[:i].rstrip(), text[i:].lstrip()
            if before and after and _wide(before[-1]) != _wide(after[0]):
                runs.append(text[start:i])
                start = i + 1
    runs.append(text[start:])
    return [run.strip() for run in runs if run.strip()]


def _split_long(token: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    pieces: list[str] = []
    piece = ""
    for char in token:
        if piece and not _fits(font, piece + char, width):
            pieces.append(piece)
            piece = char.lstrip()
        else:
            piece += char
    pieces.append(piece)
    return pieces


def wrap_text(
    text: str, font: ImageFont.FreeTypeFont, width: int, *, anywhere: bool = False
) -> list[str]:
    """Lines of `text` no wider than `width`: CJK breaks between characters, Latin between
    words (a word wider than the line is broken too). `anywhere` breaks between any two
    characters, as for a URL. Hard line breaks are kept."""
    lines: list[str] = []
    for paragraph in text.replace("\t", " ").splitlines() or [""]:
        tokens = list(paragraph) if anywhere else _tokens(paragraph)
        line = ""
        for token in tokens:
            if _fits(font, line + token, width):
                line += token
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = token.lstrip()
            if not _fits(font, line, width):
                *full, line = _split_long(line, font, width)
                lines.extend(piece.rstrip() for piece in full)
        lines.append(line.rstrip())
    checked: list[str] = []  # a last exact check, in case an estimate let a line through
    for line in lines:
        if ink_width(font, line) > width:
            checked.extend(_split_long(line, font, width - 1))
        else:
            checked.append(line)
    return checked


def _ellipsize(line: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    while line and ink_width(font, line + ELLIPSIS) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS
