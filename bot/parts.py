"""Turn a Telegram message into a transport-free :class:`Part`, or refuse it clearly."""

from __future__ import annotations

from aiogram.enums import ContentType
from aiogram.types import Message

from services.errors import Invalid, Label
from services.parts import SUPPORTED_KINDS, Part


def part_of(message: Message, max_text: int) -> Part:
    """What the resident or cadre sent, ready to keep and relay.

    Raises :class:`Invalid` for what a case can't carry (a sticker, a poll) and for text longer
    than a relay can hold, so the sender gets a clear answer instead of silence.
    """
    kind = ContentType(message.content_type).value
    if kind not in SUPPORTED_KINDS:
        raise Invalid("input.unsupported", what=Label(f"content.{_known(kind)}"))
    text = message.text if kind == "text" else message.caption
    if text is not None and len(text) > max_text:
        raise Invalid("input.too_long", limit=max_text, length=len(text))
    file_id = None
    lat = lon = None
    if message.photo:
        file_id = message.photo[-1].file_id
    elif kind in ("location", "venue"):
        location = message.location or (message.venue.location if message.venue else None)
        if location is not None:
            lat, lon = location.latitude, location.longitude
        if message.venue is not None:
            text = f"{message.venue.title}, {message.venue.address}"
    else:
        media = getattr(message, kind, None)
        file_id = getattr(media, "file_id", None)
    return Part(
        chat_id=message.chat.id,
        message_id=message.message_id,
        kind=kind,
        text=text,
        file_id=file_id,
        lat=lat,
        lon=lon,
        media_group_id=message.media_group_id,
    )


_NAMED = {
    ContentType.STICKER,
    ContentType.POLL,
    ContentType.DICE,
    ContentType.CONTACT,
    ContentType.GAME,
    ContentType.STORY,
}


def _known(kind: str) -> str:
    """Content types with their own name in the catalogs; the rest are 'this kind of message'."""
    return kind if kind in _NAMED else "other"
