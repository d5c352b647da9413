"""How a message is relayed between resident and staff: labelled, media copied not re-uploaded."""

from __future__ import annotations

from typing import Any, cast

from services.channels import TELEGRAM, channel_of
from services.outbox import (
    FILE_KINDS,
    FileKind,
    Keyboard,
    buttons_json,
    copy_of,
    media_message,
    text_message,
)
from services.parts import CAPTION_LIMIT, CAPTIONABLE, TEXT_LIMIT, Part
from services.texts import esc


def relay_payloads(part: Part, label: str, buttons: Keyboard | None = None) -> list[dict[str, Any]]:
    """The messages that carry ``part`` to the other side, headed by ``label`` (HTML)."""
    body = esc(part.text) if part.text else ""
    if part.chat_id and channel_of(part.chat_id) != TELEGRAM:
        return _from_other_channel_payloads(part, label, body, buttons)
    if part.kind == "text":
        text = f"{label}\n{body}" if body else label
        if len(text) <= TEXT_LIMIT:
            return [text_message(text, buttons)]
        return [text_message(label), text_message(body[:TEXT_LIMIT], buttons)]
    if part.kind in CAPTIONABLE:
        caption = f"{label}\n{body}" if body else label
        if len(caption) <= CAPTION_LIMIT:
            return [copy_of(part.chat_id, part.message_id, caption, buttons)]
        return [
            text_message(f"{label}\n{body}"[:TEXT_LIMIT]),
            copy_of(part.chat_id, part.message_id, None, buttons),
        ]
    # Locations, venues and video notes take no caption: the label goes first, on its own.
    return [text_message(label), copy_of(part.chat_id, part.message_id, None, buttons)]


def stored_payloads(part: Part, label: str) -> list[dict[str, Any]]:
    """``part`` sent again from what was stored of it — its text and Telegram's file id —
    for when the chat it came from cannot be copied from (sealed, or erased)."""
    body = esc(part.text) if part.text else ""
    head = f"{label}\n{body}" if body else label
    if part.kind in CAPTIONABLE and part.file_id and len(head) <= CAPTION_LIMIT:
        return [media_message(cast(FileKind, part.kind), part.file_id, head)]
    payloads = [text_message(head[:TEXT_LIMIT])]
    if part.kind in FILE_KINDS and part.file_id:
        payloads.append(media_message(cast(FileKind, part.kind), part.file_id))
    elif part.lat is not None and part.lon is not None:
        payloads[0] = text_message(f"{head}\n📍 {part.lat:.5f}, {part.lon:.5f}"[:TEXT_LIMIT])
    return payloads


# Files from another channel that cross as files (downloaded there, uploaded to Telegram).
CROSSING_KINDS = frozenset({"photo", "voice", "video"})


def channel_file(
    part: Part, caption: str | None, fallback: str, buttons: Keyboard | None = None
) -> dict[str, Any]:
    """A file kept by another channel (``part.channel_media``), for the Telegram sender to
    download from there and upload; ``fallback`` (HTML) goes instead when it cannot cross."""
    return {
        "type": "channel_file",
        "channel": channel_of(part.chat_id),
        "kind": part.kind,
        "media": part.channel_media,
        "caption": caption,
        "fallback": fallback,
        "from_chat_id": part.chat_id,
        "buttons": buttons_json(buttons),
    }


def _from_other_channel_payloads(
    part: Part, label: str, body: str, buttons: Keyboard | None
) -> list[dict[str, Any]]:
    text = _from_other_channel(part, label, body)
    if part.kind not in CROSSING_KINDS or not part.channel_media:
        return [text_message(text, buttons)]
    caption = f"{label}\n{body}" if body else label
    if len(caption) <= CAPTION_LIMIT:
        return [channel_file(part, caption, text, buttons)]
    return [text_message(text), channel_file(part, None, _MARKS[part.kind], buttons)]


# What a part from another channel carried, where Telegram cannot copy it from that chat.
_MARKS = {"photo": "📷", "voice": "🎤", "video": "🎬", "location": "📍", "document": "📎"}


def _from_other_channel(part: Part, label: str, body: str) -> str:
    """A WeChat resident's message for a Telegram chat: its text, and a mark for what else
    it carried (a location with its coordinates); the file itself stays on WeChat's side."""
    lines = [label]
    if part.kind != "text":
        mark = _MARKS.get(part.kind, "📎")
        if part.lat is not None and part.lon is not None:
            mark += f" {part.lat:.5f}, {part.lon:.5f}"
        lines.append(mark)
    if body:
        lines.append(body)
    return "\n".join(lines)[:TEXT_LIMIT]
