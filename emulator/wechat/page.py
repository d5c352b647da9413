"""The WeChat emulator's chat page: a phone's WeChat conversation with the account.

Served by the WeChat emulator at ``/`` (``/static/`` for its files) beside the API, with a small
API of its own under ``/page/`` — separate from the API handlers (``api.py``) and from the
test control API (``/control/...``):

- ``GET /page/config``: the account's name, its menu, the followers the page may play, the
  posters to scan, who the page opens on per language, the run's id;
- ``GET /page/strings?locale=``: the page's labels (the "demo" catalog, both languages);
- ``GET /page/followers/{openid}/messages``: the conversation, oldest first;
- ``POST /page/followers/{openid}/send``: what the follower does, as WeChat pushes it:
  ``{"type": "text", "text"}``, ``{"type": "image", "data" (base64), "mime_type"}``,
  ``{"type": "location", "lat", "lon", "label"}``, ``{"type": "click", "key"}`` (a menu item),
  ``{"type": "scan", "scene"}`` (the poster's QR code: ``subscribe`` or ``SCAN``),
  ``{"type": "choice", "id", "content"}`` (a msgmenu item: a text with ``bizmsgmenuid``);
- ``GET /page/media/{media_id}``: an image the account or the follower sent, to show it;
- ``GET /page/events``: Server-Sent Events, one conversation entry each.

The conversation is kept here: what the follower did through the page (WeChat's own bubbles)
and everything the account delivered to them (the platform's listeners), whoever triggered it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator.wechat.errors import WeChatError
from emulator.wechat.platform import Follower, Platform
from emulator.wechat.push import Pusher, PushResult
from locales import load_catalog, normalize_locale

STATIC = Path(__file__).resolve().parent / "static"
HEARTBEAT_SECONDS = 15.0
Entry = dict[str, Any]


@dataclass
class Poster:
    """A contact point's poster: its QR code's ticket and scene, and what it is called."""

    scene: str
    label: str
    ticket: str = ""


@dataclass
class ChatPage:
    """What the page shows and keeps: set by whoever runs the emulator (the demo, a test)."""

    platform: Platform
    account_name: str = "公众号 Official Account"
    # openid -> the name the page shows for that follower (WeChat gives bots no nicknames).
    names: dict[str, str] = field(default_factory=dict)
    posters: list[Poster] = field(default_factory=list)
    # Page locale ("zh_Hans", "en") -> the openid the page opens on.
    panes: dict[str, str] = field(default_factory=dict)
    # Page locale -> the scene of the poster the page offers first.
    posters_for: dict[str, str] = field(default_factory=dict)
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    conversations: dict[str, list[Entry]] = field(default_factory=dict)
    _subscribers: set[asyncio.Queue[Entry | None]] = field(default_factory=set)
    _ids: Iterator[int] = field(default_factory=lambda: iter(range(1, 1 << 62)))

    def __post_init__(self) -> None:
        self.platform.listeners.append(self._delivered)

    def add_follower(self, name: str, language: str = "zh_CN") -> Follower:
        follower = self.platform.new_follower(language)
        self.names[follower.openid] = name
        return follower

    def conversation(self, openid: str) -> list[Entry]:
        return self.conversations.setdefault(openid, [])

    def record(self, openid: str, entry: Entry) -> Entry:
        entry = {"id": next(self._ids), "openid": openid, "at": self.platform.clock(), **entry}
        self.conversation(openid).append(entry)
        for queue in self._subscribers:
            queue.put_nowait(entry)
        return entry

    def _delivered(self, openid: str, message: dict[str, Any]) -> None:
        self.record(openid, {"from": "account", "message": message})

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[Entry | None]]:
        queue: asyncio.Queue[Entry | None] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    def close(self) -> None:
        for queue in self._subscribers:
            queue.put_nowait(None)

    def to_dict(self) -> dict[str, Any]:
        followers = [
            {
                "openid": openid,
                "name": self.names.get(openid, openid[:8]),
                "following": follower.following,
                "language": follower.language,
            }
            for openid, follower in self.platform.followers.items()
            if openid in self.names
        ]
        return {
            "account_name": self.account_name,
            "menu": self.platform.menu,
            "followers": followers,
            "posters": [vars(p) for p in self.posters],
            "panes": self.panes,
            "posters_for": self.posters_for,
            "run": self.run,
        }


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def add_page_routes(app: web.Application, page: ChatPage, pusher: Pusher) -> None:
    """The chat page, its files and its ``/page/...`` API on the emulator's application."""
    platform = page.platform

    def follower_of(request: web.Request) -> Follower:
        try:
            return platform.follower(request.match_info["openid"])
        except WeChatError:
            raise PageError(404, "no such follower") from None

    async def index(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def config(request: web.Request) -> web.StreamResponse:
        return _ok(page.to_dict())

    async def strings(request: web.Request) -> web.StreamResponse:
        locale = normalize_locale(request.query.get("locale"))
        return _ok({"locale": locale, "strings": load_catalog("demo").table(locale)})

    async def messages(request: web.Request) -> web.StreamResponse:
        follower = follower_of(request)
        return _ok({"messages": page.conversation(follower.openid)})

    async def media(request: web.Request) -> web.StreamResponse:
        try:
            data, mime = platform.media(request.match_info["media_id"])
        except WeChatError:
            raise web.HTTPNotFound() from None
        return web.Response(body=data, content_type=mime)

    async def send(request: web.Request) -> web.StreamResponse:
        follower = follower_of(request)
        try:
            body = await request.json()
        except ValueError:
            raise PageError(400, "a JSON object is expected") from None
        if not isinstance(body, dict):
            raise PageError(400, "a JSON object is expected")
        result = await act(page, pusher, follower, body)
        return _ok({"attempts": result.attempts, "delivered": result.delivered})

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        with page.subscribe() as queue:
            try:
                await response.write(b"retry: 2000\n\n")
                while True:
                    try:
                        entry = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                    except TimeoutError:
                        await response.write(b": ping\n\n")
                        continue
                    if entry is None:
                        break
                    await response.write(f"data: {_dumps(entry)}\n\n".encode())
            except ConnectionResetError:
                pass  # the page went away
        return response

    def guarded(handler: Any) -> Any:
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                response: web.StreamResponse = await handler(request)
            except PageError as error:
                return _ok({"error": str(error)}, error.status)
            return response

        return run

    async def shutdown(app: web.Application) -> None:
        page.close()  # open event streams would hold the server until they end

    app.on_shutdown.append(shutdown)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC, append_version=True)
    app.router.add_get("/page/config", guarded(config))
    app.router.add_get("/page/strings", guarded(strings))
    app.router.add_get("/page/events", events)
    app.router.add_get("/page/media/{media_id}", media)
    app.router.add_get("/page/followers/{openid}/messages", guarded(messages))
    app.router.add_post("/page/followers/{openid}/send", guarded(send))


async def act(
    page: ChatPage, pusher: Pusher, follower: Follower, body: dict[str, Any]
) -> PushResult:
    """What the follower did on the page: kept in the conversation, then pushed as WeChat would."""
    kind = body.get("type")
    openid = follower.openid
    if kind == "text":
        text = str(body.get("text", "")).strip()
        if not text:
            raise PageError(400, "text is empty")
        page.record(openid, {"from": "me", "type": "text", "text": text})
        return await pusher.text(follower, text)
    if kind == "choice":
        # Tapping a msgmenu item sends its text, with the item's id (bizmsgmenuid).
        content, item = str(body.get("content", "")), str(body.get("id", ""))
        if not content or not item:
            raise PageError(400, "a choice needs id and content")
        page.record(openid, {"from": "me", "type": "text", "text": content})
        return await menu_choice(pusher, follower, item, content)
    if kind == "image":
        try:
            data = base64.b64decode(str(body.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            raise PageError(400, "data is not base64") from None
        mime = str(body.get("mime_type") or "image/jpeg")
        try:
            media_id = page.platform.add_media("image", data, mime)
        except WeChatError as error:
            raise PageError(400, f"WeChat refuses this image ({error.code})") from None
        page.record(openid, {"from": "me", "type": "image", "media_id": media_id})
        return await pusher._message(
            follower,
            "image",
            {"PicUrl": f"weixin-emulator://media/{media_id}", "MediaId": media_id},
        )
    if kind == "location":
        try:
            lat, lon = float(body["lat"]), float(body["lon"])
        except (KeyError, TypeError, ValueError):
            raise PageError(400, "lat and lon are numbers") from None
        label = str(body.get("label", ""))
        page.record(
            openid, {"from": "me", "type": "location", "lat": lat, "lon": lon, "label": label}
        )
        return await pusher.location(follower, lat, lon, label)
    if kind == "click":
        key = str(body.get("key", ""))
        if not key:
            raise PageError(400, "key is required")
        return await pusher.click(follower, key)
    if kind == "scan":
        scene = str(body.get("scene", ""))
        if not scene:
            raise PageError(400, "scene is required")
        event = "scan" if follower.following else "subscribe"
        page.record(openid, {"from": "system", "type": event, "scene": scene})
        return await pusher.follow(follower, scene)
    raise PageError(400, f"unknown type {kind!r}")


async def menu_choice(pusher: Pusher, follower: Follower, item: str, content: str) -> PushResult:
    """A msgmenu item tapped: WeChat pushes a text message carrying ``bizmsgmenuid``."""
    return await pusher._message(follower, "text", {"Content": content, "bizmsgmenuid": item})


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _ok(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=_dumps(data), status=status, content_type="application/json")
