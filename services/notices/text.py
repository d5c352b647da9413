"""The words of a notice file and of the compose wizard, as data: the small Markdown, language
sections, lengths and the sending time. Pure functions; consultations use them too."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from locales import normalize_locale
from services.errors import Invalid
from services.texts import cut, esc

# Room left for the heading and signature around the author's words.
TEXT_LIMIT = 3800
CAPTION_LIMIT = 800
MAX_AHEAD = timedelta(days=90)

_TAG = re.compile(r"<[^>]+>")


def plain_length(html_text: str) -> int:
    """How long a message of this HTML is once Telegram has parsed it (what its limits count)."""
    return len(html.unescape(_TAG.sub("", html_text)))


def first_line(html_text: str, limit: int = 48) -> str:
    text = html.unescape(_TAG.sub("", html_text)).strip()
    line = text.splitlines()[0] if text else ""
    return cut(line, limit)


_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?|tg)://[^\s)]+)\)")
_MD_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_MD_ITALIC = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_MD_BULLET = re.compile(r"^(\s*)[-*+]\s+")


def markdown_to_html(source: str) -> str:
    """The small Markdown of a notice file as Telegram HTML: headings and **bold**, *italic*,
    ~~strike~~, `code`, [links](https://…) and bullet lists; everything else is plain text."""
    spans: list[str] = []

    def keep(fragment: str) -> str:
        spans.append(fragment)
        return f"\x00{len(spans) - 1}\x00"

    lines = []
    for raw in source.strip().splitlines():
        line = esc(raw.rstrip())
        line = _MD_CODE.sub(lambda m: keep(f"<code>{m.group(1)}</code>"), line)
        line = _MD_LINK.sub(
            lambda m: keep(f'<a href="{m.group(2).replace(chr(34), "%22")}">{m.group(1)}</a>'),
            line,
        )
        heading = _MD_HEADING.match(line)
        if heading:
            line = f"<b>{heading.group(1)}</b>"
        line = _MD_BULLET.sub(lambda m: m.group(1) + "• ", line)
        line = _MD_BOLD.sub(r"<b>\1</b>", line)
        line = _MD_STRIKE.sub(r"<s>\1</s>", line)
        line = _MD_ITALIC.sub(r"<i>\1</i>", line)
        lines.append(line)
    text = "\n".join(lines)
    return re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], text)


_LANG_MARK = re.compile(r"^\s*<!--\s*lang:\s*([A-Za-z_-]+)\s*-->\s*$", re.IGNORECASE)


def parse_notice_file(source: str, default_locale: str) -> dict[str, str]:
    """A notice file's language variants as HTML.

    Sections start with a line ``<!-- lang: en -->`` (invisible wherever Markdown is shown);
    text before the first marker is in ``default_locale``.
    """
    parts: dict[str, list[str]] = {}
    current = default_locale
    for line in source.splitlines():
        mark = _LANG_MARK.match(line)
        if mark:
            current = normalize_locale(mark.group(1), "")
            if not current:
                raise Invalid("notices.file_language", language=mark.group(1))
            continue
        parts.setdefault(current, []).append(line)
    variants = {
        locale: markdown_to_html("\n".join(lines))
        for locale, lines in parts.items()
        if "\n".join(lines).strip()
    }
    if not variants:
        raise Invalid("notices.empty")
    return variants


_WHEN = re.compile(
    r"^\s*(?:(?:(\d{4})[-/.])?(\d{1,2})[-/.](\d{1,2})\s+)?(\d{1,2})\s*[:：]\s*(\d{2})\s*$"
)


def parse_when(text: str, tz: str, now: datetime) -> datetime:
    """``2026-03-05 09:00``, ``03-05 09:00`` or ``09:00`` (the next one), in the point's zone."""
    match = _WHEN.match(text or "")
    if not match:
        raise Invalid("notices.time_format")
    year, month, day, hour, minute = match.groups()
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    try:
        if month is None:
            moment = local_now.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
            if moment <= local_now:
                moment += timedelta(days=1)
        else:
            moment = datetime(
                int(year) if year else local_now.year,
                int(month),
                int(day),
                int(hour),
                int(minute),
                tzinfo=zone,
            )
    except ValueError:
        raise Invalid("notices.time_format") from None
    when = moment.astimezone(now.tzinfo)
    if when <= now:
        raise Invalid("notices.time_past")
    if when - now > MAX_AHEAD:
        raise Invalid("notices.time_too_far", days=MAX_AHEAD.days)
    return when
