"""Uploaded files, kept in memory and addressed by file_id and by download path."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from emulator.errors import ApiError, bad_request

# Telegram's limits for bots: uploads up to 50 MB, photos 10 MB, downloads via getFile 20 MB.
UPLOAD_LIMIT = 50 * 1024 * 1024
PHOTO_LIMIT = 10 * 1024 * 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024

# The folders Telegram's file paths use, by kind of file.
_FOLDERS = {
    "photo": "photos",
    "video": "videos",
    "voice": "voice",
    "audio": "music",
    "document": "documents",
    "sticker": "stickers",
    "thumbnail": "thumbnails",
}
_EXTENSIONS = {
    "photo": ".jpg",
    "video": ".mp4",
    "voice": ".oga",
    "audio": ".mp3",
    "document": "",
    "sticker": ".webp",
    "thumbnail": ".jpg",
}


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None
    mime_type: str | None
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data)

    def ids(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }

    def to_file(self) -> dict[str, Any]:
        """The File object getFile answers."""
        return {**self.ids(), "file_path": self.file_path}


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._count = 0

    def add(
        self,
        kind: str,
        data: bytes,
        file_name: str | None = None,
        mime_type: str | None = None,
        *,
        strict_image: bool = True,
    ) -> StoredFile:
        """Store an upload. Photos must be images Telegram can read, unless ``strict_image``
        is off (simulated people may attach placeholder bytes)."""
        if len(data) > UPLOAD_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        width = height = 0
        if kind in {"photo", "sticker", "thumbnail"}:
            size = _image_size(data)
            if size is None and strict_image and kind == "photo":
                raise bad_request("IMAGE_PROCESS_FAILED")
            if kind == "photo" and len(data) > PHOTO_LIMIT:
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            width, height = size or (512, 512)
        self._count += 1
        number = self._count
        extension = _EXTENSIONS.get(kind, "")
        if kind == "document" and file_name and "." in file_name:
            extension = file_name[file_name.rindex(".") :]
        stored = StoredFile(
            file_id=f"{kind[:2].upper()}{number:06d}{secrets.token_urlsafe(18)}",
            file_unique_id=f"AQAD{number:06d}{secrets.token_urlsafe(6)}",
            kind=kind,
            data=data,
            file_path=f"{_FOLDERS.get(kind, 'documents')}/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)

    def clear(self) -> None:
        self._by_id.clear()
        self._by_path.clear()


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image header (Pillow reads no more than it needs)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return int(width), int(height)
