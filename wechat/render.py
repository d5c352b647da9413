"""Outbox payloads as WeChat customer-service messages.

Payloads are written for Telegram's HTML; WeChat shows plain text (2,048 bytes a message), has
no inline buttons and cannot copy a message from another chat. So: tags are dropped and
entities unescaped, long text is split, buttons become numbered choices the resident answers
with the number (``services.wechat_residents`` reads them back from the row), and a message
that carried a file says what it was when the file itself cannot cross.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from services.outbox import keyboard_of

TEXT_BYTES = 2048
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r'<a\s+href="([^"]+)"[^>]*>(.*?)</a>', re.S)


class Unsupported(ValueError):
    """A payload WeChat has no way to show (an edit of an earlier message)."""


def plain(text: str) -> str:
    """Telegram HTML as WeChat's plain text: links keep their address, other tags go."""
    text = _LINK.sub(lambda m: f"{m.group(2)} {m.group(1)}", text)
    return html.unescape(_TAG.sub("", text)).strip()


def choices(payload: dict[str, Any]) -> str:
    """The payload's buttons as numbered lines ("1. Yes"); links keep their address."""
    lines = []
    n = 0
    for row in keyboard_of(payload):
        for button in row:
            if button.url:
                lines.append(f"🔗 {button.label} {button.url}")
            else:
                n += 1
                lines.append(f"{n}. {button.label}")
    return "\n".join(lines)


def split_bytes(text: str, limit: int = TEXT_BYTES) -> list[str]:
    """Pieces of at most ``limit`` UTF-8 bytes, cut at line ends where possible."""
    pieces: list[str] = []
    while len(text.encode()) > limit:
        cut = len(text.encode()[:limit].decode("utf-8", "ignore"))
        line_end = text.rfind("\n", 0, cut)
        if line_end > cut // 2:
            cut = line_end
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces


MENU_ITEMS = 10  # at most this many choices go as a clickable menu; more as numbered text
MENU_ITEM_BYTES = 200


def menu_id(row_id: int, n: int) -> str:
    """A choice's id in a msgmenu: its message (outbox row) and its number, so that a click on
    an older menu is known as such (``bizmsgmenuid``)."""
    return str(row_id * 100 + n)


def menu_choice(bizmsgmenuid: str) -> tuple[int, int] | None:
    """(outbox row, choice number) of a clicked menu item."""
    if not bizmsgmenuid.isdigit():
        return None
    value = int(bizmsgmenuid)
    return value // 100, value % 100


def as_menu(messages: list[dict[str, Any]], payload: dict[str, Any], row_id: int) -> bool:
    """Turn the last text of ``messages`` into WeChat's clickable menu message (msgmenu: the
    text as its head, each choice an item), when the payload's choices fit one; returns
    whether it did. The numbered text stays the fallback (``render`` without this)."""
    actions = [b for row in keyboard_of(payload) for b in row if not b.url]
    links = [b for row in keyboard_of(payload) for b in row if b.url]
    if not actions or links or len(actions) > MENU_ITEMS or not messages:
        return False
    numbered = choices(payload)
    last = messages[-1]["text"]["content"]
    head = last[: -len(numbered)].rstrip() if last.endswith(numbered) else None
    if not head:
        return False
    items = [
        {"id": menu_id(row_id, n), "content": f"{n}. {b.label}"[:MENU_ITEM_BYTES]}
        for n, b in enumerate(actions, 1)
    ]
    messages[-1] = {"msgtype": "msgmenu", "msgmenu": {"head_content": head, "list": items}}
    return True


def render(
    payload: dict[str, Any], label: Callable[[str], str], *, file_crossed: bool = False
) -> list[dict[str, Any]]:
    """The WeChat messages (``msgtype`` and its object, without ``touser``) for a payload;
    ``label(kind)`` names a kind of file in the recipient's language ("photo"), unless the
    file itself crossed (``file_crossed``: it follows as WeChat media, the text is its caption)."""
    kind = payload.get("type")
    if kind == "commands":
        return []  # Telegram's per-chat command list: WeChat's menu is the account's own
    if kind == "edit":
        raise Unsupported("WeChat cannot edit a message it has shown")
    if kind == "text":
        body = plain(str(payload.get("text", "")))
    else:
        # A copy or a file by Telegram's file id: its caption, and what it was.
        caption = plain(str(payload.get("caption") or ""))
        what = f"[{label(str(kind if kind != 'copy' else payload.get('kind') or 'other'))}]"
        body = caption if file_crossed or not what else (f"{caption}\n{what}" if caption else what)
    numbered = choices(payload)
    if numbered:
        body = f"{body}\n\n{numbered}"
    return [{"msgtype": "text", "text": {"content": piece}} for piece in split_bytes(body)]
