"""Files crossing between channels: what each side takes, and how a file is recognised.

A WeChat resident's photo, voice or video reaches a Telegram chat by download from WeChat (its
media id, kept with the message) and upload to Telegram; a cadre's photo, voice or document
reaches WeChat by download from Telegram and upload as WeChat temporary media. Both happen in
the senders, at delivery, outside any transaction. A file one side cannot take (too large, a
type it refuses) does not cross: its text still does, and its sender is told why, in their
language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

MB = 1024 * 1024

# WeChat's temporary media (素材管理 / 新增临时素材): size limit and the types it takes.
WECHAT_MEDIA: dict[str, tuple[int, frozenset[str]]] = {
    "image": (10 * MB, frozenset({"image/jpeg", "image/png", "image/gif", "image/bmp"})),
    "voice": (2 * MB, frozenset({"audio/amr", "audio/mpeg"})),
    "video": (10 * MB, frozenset({"video/mp4"})),
}
# Telegram's Bot API: what a bot may download (getFile) and upload.
TELEGRAM_DOWNLOAD = 20 * MB
TELEGRAM_PHOTO = 10 * MB
TELEGRAM_UPLOAD = 50 * MB

FetchFile = Callable[[str], Awaitable[tuple[bytes, str]]]
"""A file's id on its channel -> (bytes, MIME type). Raises :class:`MediaGone` or
:class:`MediaTooLarge` when the file cannot be had; anything else is worth another try."""


class MediaGone(LookupError):
    """The channel no longer keeps the file (WeChat keeps temporary media three days)."""


class MediaTooLarge(ValueError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes, over {limit}")
        self.size = size
        self.limit = limit

    @property
    def limit_mb(self) -> int:
        return self.limit // MB


def sniff(data: bytes) -> str:
    """The MIME type of a file from its first bytes (names and declared types lie)."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"BM"):
        return "image/bmp"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"#!SILK") or head.startswith(b"\x02#!SILK"):
        return "audio/silk"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"%PDF"):
        return "application/pdf"
    return "application/octet-stream"


def wechat_type(mime: str) -> str | None:
    """WeChat's media type for a file of ``mime``, or None when WeChat takes no such file."""
    for kind, (_limit, types) in WECHAT_MEDIA.items():
        if mime in types:
            return kind
    return None


EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/bmp": "bmp",
    "audio/amr": "amr",
    "audio/mpeg": "mp3",
    "audio/silk": "silk",
    "audio/ogg": "ogg",
    "video/mp4": "mp4",
}


def file_name(stem: str, mime: str) -> str:
    return f"{stem}.{EXTENSIONS.get(mime, 'bin')}"
