"""Links in formatted text: which are valid, and which mention a user (tg://user?id=)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

UserResolver = Callable[[int], dict[str, Any] | None]

_USER_LINK = re.compile(r"^tg://user\?id=(\d+)$", re.IGNORECASE)
_SCHEMES = frozenset({"http", "https", "tg", "ton", "mailto"})
_HOST = re.compile(r"^[\w.-]+(:\d+)?$")


def link_user_id(url: str) -> int | None:
    match = _USER_LINK.match(url.strip())
    return int(match.group(1)) if match else None


def check_link(url: str) -> str | None:
    """The normalized URL Telegram stores for a text link, or None when it drops the link.

    A bare host gets ``http://`` and an empty path gets ``/``, as Telegram returns them.
    """
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    if "://" not in url and not url.lower().startswith("mailto:"):
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        return None
    if scheme in {"http", "https"}:
        host = parts.hostname or ""
        if not _HOST.match(parts.netloc.rsplit("@", 1)[-1]) or (
            "." not in host and host != "localhost"
        ):
            return None
        if not parts.path:
            url = parts._replace(path="/").geturl()
    return url
