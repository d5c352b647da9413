"""What a user guide quotes of the bot, section by section, and a check against what it sent.

The guides quote the bot's words in double quotes ("…" in English, “…” in Chinese) and name
buttons in bold (**…**). ``quotes(path, heading)`` extracts both from one section (fenced code
blocks and inline code are examples, not quotes, and are left out). In a quote:

- an ellipsis ("…", "……" or "...") stands for anything (a name, a time, the rest of a text);
- a run of digits stands for any number (case 2026-0042, retry #812, "(1/3)" are examples);
- line breaks and spaces match any white space.

``Recorder`` records every text, caption, button label and pop-up answer the bot sends, so a
walk can collect what one section's steps produced and ``missing`` can say which of the
section's quotes the bot never said.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod

DOCS = Path(__file__).resolve().parent.parent / "docs"

_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_ELLIPSIS = re.compile(r"…+|\.\.\.")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Quote:
    text: str  # as written in the guide, white space collapsed
    kind: str  # "quote" or "bold"
    line: int  # 1-based line in the guide

    @property
    def pattern(self) -> re.Pattern[str]:
        parts = []
        # White space next to an ellipsis is part of what it stands for ("is overdue …" is
        # said "is overdue: it was due by …").
        for piece in _ELLIPSIS.split(self.text):
            chunks = _DIGITS.split(piece.strip())
            escaped = [_SPACE.sub(r"\\s+", re.escape(c).replace("\\ ", " ")) for c in chunks]
            parts.append(r"\d+".join(escaped))
        return re.compile(".*?".join(parts), re.S)

    def found_in(self, texts: Iterable[str]) -> bool:
        pattern = self.pattern
        return any(pattern.search(text) for text in texts)


def sections(path: Path) -> dict[str, tuple[int, str]]:
    """Each ``##``/``###`` heading of a guide → (first line number, its text to the next)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found: dict[str, tuple[int, str]] = {}
    current: str | None = None
    start = 0
    body: list[str] = []
    for number, line in enumerate(lines, 1):
        heading = re.match(r"#{2,3} (.+)", line)
        if heading:
            if current is not None:
                found[current] = (start, "\n".join(body))
            current, start, body = heading.group(1).strip(), number + 1, []
        elif current is not None:
            body.append(line)
    if current is not None:
        found[current] = (start, "\n".join(body))
    return found


def _blank(match: re.Match[str]) -> str:
    # Keep the line count so quotes keep their line numbers.
    return "\n" * match.group(0).count("\n")


def _quoted(text: str) -> list[tuple[int, str]]:
    """(offset, words) of every top-level quotation: “…” (nested “” allowed) or "…"."""
    found: list[tuple[int, str]] = []
    depth, begin = 0, 0
    for i, char in enumerate(text):
        if char == "“":
            if depth == 0:
                begin = i + 1
            depth += 1
        elif char == "”" and depth:
            depth -= 1
            if depth == 0:
                found.append((begin, text[begin:i]))
    straight = [m.start() for m in re.finditer('"', text)]
    if len(straight) % 2:
        raise ValueError(f"an unmatched straight quote near: {text[straight[-1] - 60 :][:120]!r}")
    for open_, close in zip(straight[::2], straight[1::2], strict=True):
        found.append((open_ + 1, text[open_ + 1 : close]))
    return sorted(found)


def quotes(path: Path, heading: str) -> list[Quote]:
    """The bot's words one section of a guide quotes: quotations first, then bold names."""
    start, body = sections(path)[heading]
    body = _INLINE_CODE.sub("", _FENCE.sub(_blank, body))

    def line_of(offset: int) -> int:
        return start + body.count("\n", 0, offset)

    found: list[Quote] = []
    for offset, words in _quoted(body):
        found.append(Quote(_SPACE.sub(" ", words).strip(), "quote", line_of(offset)))
    for match in _BOLD.finditer(body):
        found.append(Quote(_SPACE.sub(" ", match.group(1)).strip(), "bold", line_of(match.start())))
    return [q for q in found if q.text]


def missing(
    path: Path, heading: str, texts: Iterable[str], skip: Iterable[str] = ()
) -> tuple[list[Quote], list[Quote]]:
    """(checked quotes, those never seen in ``texts``), leaving out the ``skip`` texts."""
    said = [_SPACE.sub(" ", t) for t in texts]
    skipped = set(skip)
    checked = [q for q in quotes(path, heading) if q.text not in skipped]
    return checked, [q for q in checked if not q.found_in(said)]


def report(path: Path, heading: str, absent: list[Quote], texts: Iterable[str]) -> str:
    lines = [f"{path.name} § {heading}: the bot never said:"]
    lines += [f"  line {q.line} ({q.kind}): {q.text}" for q in absent]
    lines.append("what it said in this section:")
    lines += ["  | " + t.replace("\n", "\n  | ") for t in dict.fromkeys(texts)]
    return "\n".join(lines)


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def _labels(markup: Any) -> list[str]:
    if markup is None:
        return []
    if isinstance(markup, str):  # the sender's prepared text request: already JSON
        data = json.loads(markup)
    else:
        data = markup.model_dump() if hasattr(markup, "model_dump") else dict(markup)
    rows = data.get("inline_keyboard") or data.get("keyboard") or []
    labels = []
    for row in rows:
        for button in row:
            labels.append(str(button["text"] if isinstance(button, dict) else button))
    return labels


class Recorder:
    """Every text, caption, button label and pop-up answer the bot sends, in order."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def attach(self, bot: Bot) -> None:
        session = bot.session
        original = session.make_request

        async def recording(
            bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
        ) -> Any:
            self.record(method)
            return await original(bot, method, timeout)

        session.make_request = recording  # type: ignore[method-assign]

    def record(self, method: TelegramMethod[Any]) -> None:
        for field in ("text", "caption"):
            value = getattr(method, field, None)
            if isinstance(value, str) and value:
                self.said.append(_plain(value))
        self.said.extend(_labels(getattr(method, "reply_markup", None)))
        for item in getattr(method, "media", None) or []:
            caption = getattr(item, "caption", None)
            if isinstance(caption, str) and caption:
                self.said.append(_plain(caption))

    def mark(self) -> int:
        return len(self.said)

    def since(self, mark: int) -> list[str]:
        return self.said[mark:]
