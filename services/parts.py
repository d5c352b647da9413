"""One message a person sent, as the use cases keep and relay it (no transport types)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# What a case may be made of. Stickers, polls, dice and games carry nothing a cadre can act on.
SUPPORTED_KINDS = frozenset(
    {
        "text",
        "photo",
        "video",
        "voice",
        "audio",
        "document",
        "animation",
        "video_note",
        "location",
        "venue",
    }
)
# Kinds whose caption can carry the relay's label; the others get the label as its own message.
CAPTIONABLE = frozenset({"photo", "video", "voice", "audio", "document", "animation"})
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096


@dataclass(frozen=True)
class Part:
    chat_id: int
    message_id: int
    kind: str
    text: str | None = None  # the text, or a media message's caption
    file_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    media_group_id: str | None = None
    # A file kept by another channel (WeChat's media id, valid three days there).
    channel_media: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Part:
        return cls(**data)

    @classmethod
    def stored(
        cls, text: str | None, media: dict[str, Any] | None, chat_id: int = 0, message_id: int = 0
    ) -> Part:
        """A part rebuilt from what a case or a report kept of it (see :meth:`media`)."""
        media = media or {}
        return cls(
            chat_id=chat_id,
            message_id=message_id,
            kind=media.get("kind", "text"),
            text=text,
            file_id=media.get("file_id"),
            lat=media.get("lat"),
            lon=media.get("lon"),
            channel_media=media.get("channel_media"),
        )

    def media(self) -> dict[str, Any] | None:
        """What the part carried besides text, for the case's record."""
        if self.kind == "text":
            return None
        media: dict[str, Any] = {"kind": self.kind}
        if self.file_id:
            media["file_id"] = self.file_id
        if self.lat is not None:
            media["lat"], media["lon"] = self.lat, self.lon
        if self.channel_media:
            media["channel_media"] = self.channel_media
        return media
