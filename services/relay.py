"""How a message is relayed between resident and staff: labelled, media copied not re-uploaded."""

from __future__ import annotations

from typing import Any

from services.outbox import Keyboard, copy_of, text_message
from services.parts import CAPTION_LIMIT, CAPTIONABLE, TEXT_LIMIT, Part
from services.texts import esc


def relay_payloads(part: Part, label: str, buttons: Keyboard | None = None) -> list[dict[str, Any]]:
    """The messages that carry ``part`` to the other side, headed by ``label`` (HTML)."""
    body = esc(part.text) if part.text else ""
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
