"""What a simulated person's message holds: text, files, a sticker, a poll, a place, a contact.

Each builder checks its input as a Telegram client would (a ControlError for the impossible) and
returns the message fields it fills.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from emulator.errors import ControlError
from emulator.formatting import TEXT_LIMIT
from emulator.formatting.detect import detect_entities
from emulator.outgoing import media_object
from emulator.world import World

# A one-pixel WebP, the stand-in for a sticker sent without its own file.
_STICKER_PLACEHOLDER = bytes.fromhex(
    "524946461a000000574542505650384c0d0000002f0000001007101111888808"
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a simulated person sends."""

    data: bytes
    filename: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True, slots=True)
class AlbumItem:
    kind: str  # "photo" or "video"
    file: Attachment
    caption: str | None = None


def text_content(text: str, entities: list[dict[str, Any]] | None) -> dict[str, Any]:
    if not text.strip():
        raise ControlError(400, "message text is empty")
    if len(text) > TEXT_LIMIT:
        raise ControlError(400, "message is too long")
    found = detect_entities(text, entities or [])
    return {"text": text, "entities": found} if found else {"text": text}


def media_content(
    world: World, kind: str, attachment: Attachment, caption: str | None
) -> dict[str, Any]:
    stored = world.files.add(
        kind, attachment.data, attachment.filename, attachment.mime_type, strict_image=False
    )
    content: dict[str, Any] = {kind: media_object(kind, stored)}
    if caption:
        content["caption"] = caption
        found = detect_entities(caption, [])
        if found:
            content["caption_entities"] = found
    return content


def sticker_content(world: World, sticker: Attachment | str) -> dict[str, Any]:
    attachment = sticker if isinstance(sticker, Attachment) else None
    data = attachment.data if attachment else _STICKER_PLACEHOLDER
    stored = world.files.add("sticker", data, None, "image/webp", strict_image=False)
    content = media_object("sticker", stored)
    if isinstance(sticker, str):
        content["emoji"] = sticker
    return {"sticker": content}


def poll_content(world: World, poll: dict[str, Any]) -> dict[str, Any]:
    question, options = poll.get("question"), poll.get("options")
    if not isinstance(question, str) or not question:
        raise ControlError(400, "a poll needs a question")
    if not isinstance(options, list) or not 2 <= len(options) <= 12:
        raise ControlError(400, "a poll needs 2 to 12 options")
    return {
        "id": str(5_000_000_000_000_000_000 + world.sequence()),
        "question": question,
        "options": [
            {"persistent_id": secrets.token_hex(4), "text": str(o), "voter_count": 0}
            for o in options
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": bool(poll.get("is_anonymous", True)),
        "type": "quiz" if poll.get("type") == "quiz" else "regular",
        "allows_multiple_answers": bool(poll.get("allows_multiple_answers", False)),
        "allows_revoting": True,
        "members_only": False,
    }


def location_content(latitude: float, longitude: float) -> dict[str, float]:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ControlError(400, "coordinates out of range")
    return {"latitude": float(latitude), "longitude": float(longitude)}


def venue_content(venue: dict[str, Any]) -> dict[str, Any]:
    try:
        location = location_content(float(venue["latitude"]), float(venue["longitude"]))
        title, address = str(venue["title"]), str(venue["address"])
    except (KeyError, TypeError, ValueError):
        raise ControlError(400, "a venue has latitude, longitude, title, address") from None
    return {
        "venue": {"location": location, "title": title, "address": address},
        "location": location,
    }


def contact_content(contact: dict[str, Any]) -> dict[str, Any]:
    phone, first_name = contact.get("phone_number"), contact.get("first_name")
    if not isinstance(phone, str) or not phone or not isinstance(first_name, str) or not first_name:
        raise ControlError(400, "a contact has phone_number and first_name")
    result: dict[str, Any] = {"phone_number": phone, "first_name": first_name}
    if contact.get("last_name"):
        result["last_name"] = str(contact["last_name"])
    if isinstance(contact.get("user_id"), int):
        result["user_id"] = contact["user_id"]
    return result
