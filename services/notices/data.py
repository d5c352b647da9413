"""Plain data the notices use cases take and give back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from services.fanout.audience import Audience
from services.outbox import Keyboard

MEDIA_KINDS = ("photo", "document")


@dataclass(frozen=True)
class NoticeMedia:
    """A photo or document kept by Telegram's file id (never uploaded again), and the author's
    message it came with."""

    kind: Literal["photo", "document"]
    file_id: str
    chat_id: int
    message_id: int

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file_id": self.file_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> NoticeMedia | None:
        if not data:
            return None
        kind: Literal["photo", "document"] = "photo" if data["kind"] == "photo" else "document"
        return cls(kind, str(data["file_id"]), int(data["chat_id"]), int(data["message_id"]))


@dataclass(frozen=True)
class NoticeDraft:
    texts: dict[str, str]  # locale -> HTML (Telegram's subset)
    fallback_locale: str  # the author's language: for residents without their own variant
    audience: Audience
    media: NoticeMedia | None = None
    send_at: datetime | None = None  # None: now


@dataclass(frozen=True)
class PointChoice:
    id: int
    code: str
    name: str
    region: str
    has_group: bool


@dataclass(frozen=True)
class ComposeScope:
    """What the author may address: the points (and, for administrators, their regions)."""

    is_admin: bool
    points: list[PointChoice]
    regions: list[str]


@dataclass(frozen=True)
class Estimate:
    points: int
    residents: int
    unreachable: int  # known to have blocked the bot: skipped
    groups: int
    tz: str
    point_names: list[str]


@dataclass(frozen=True)
class Created:
    notice_id: int
    status: str
    duplicate: bool
    text: str  # the author's progress message as it should read now
    buttons: Keyboard


@dataclass(frozen=True)
class NoticeLine:
    id: int
    status: str
    when: datetime
    title: str
    read: bool
    tz: str


@dataclass(frozen=True)
class ResidentNotice:
    id: int
    text: str
    media: NoticeMedia | None
    read: bool
    buttons: Keyboard


@dataclass(frozen=True)
class LinkedGroup:
    point_name: str
    point_code: str
    link: str


@dataclass(frozen=True)
class TickReport:
    started: int = 0
    advanced: int = 0
    queued: int = 0
    finished: int = 0
