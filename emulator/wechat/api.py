"""WeChat's server API over HTTP (``/cgi-bin/...``), answered from the :class:`Platform`, and a
small control API for tests and the chat page (``/control/...``).

Answers are WeChat's: HTTP 200 with ``{"errcode": N, "errmsg": ...}`` on a refusal; success
bodies as WeChat documents them.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import qrcode
from aiohttp import BodyPartReader, web

from emulator.wechat.errors import WeChatError
from emulator.wechat.platform import Platform
from emulator.wechat.push import Pusher

PLATFORM = web.AppKey("wechat_platform", Platform)
PUSHER = web.AppKey("wechat_pusher", Pusher)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _answer(body: dict[str, Any]) -> web.Response:
    return web.json_response(body, dumps=lambda b: json.dumps(b, ensure_ascii=False))


Call = Callable[[web.Request], Awaitable[dict[str, Any]]]


def _api(call: Call, *, token: bool = True) -> Handler:
    """Check the access token, run the call, and turn a refusal into WeChat's error body."""

    async def handler(request: web.Request) -> web.StreamResponse:
        platform = request.app[PLATFORM]
        try:
            if token:
                platform.check_token(request.query.get("access_token"))
            return _answer(await call(request))
        except WeChatError as error:
            return _answer(error.body())

    return handler


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        raise WeChatError(44002)
    try:
        body = json.loads(raw)
    except ValueError:
        raise WeChatError(47001) from None
    if not isinstance(body, dict):
        raise WeChatError(47001)
    return body


def create_app(platform: Platform, pusher: Pusher) -> web.Application:
    app = web.Application(client_max_size=12 * 1024 * 1024)
    app[PLATFORM] = platform
    app[PUSHER] = pusher
    r = app.router

    async def token(request: web.Request) -> dict[str, Any]:
        q = request.query
        return platform.issue_token(
            q.get("grant_type", ""), q.get("appid", ""), q.get("secret", "")
        )

    async def custom_send(request: web.Request) -> dict[str, Any]:
        platform.send_custom(await _json_body(request))
        return {"errcode": 0, "errmsg": "ok"}

    async def subscribe_send(request: web.Request) -> dict[str, Any]:
        platform.send_subscription(await _json_body(request))
        return {"errcode": 0, "errmsg": "ok"}

    async def upload(request: web.Request) -> dict[str, Any]:
        if request.content_type != "multipart/form-data":
            raise WeChatError(41005, "media data missing")
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "media":
                data = bytes(await part.read())
                mime = part.headers.get("Content-Type", "application/octet-stream")
                return platform.upload_media(request.query.get("type", ""), data, mime)
        raise WeChatError(41005, "media data missing")

    async def media_get(request: web.Request) -> web.StreamResponse:
        media_id = request.query.get("media_id", "")
        try:
            platform.check_token(request.query.get("access_token"))
            data, mime = platform.media(media_id)
        except WeChatError as error:
            return _answer(error.body())
        if mime.startswith("video/"):
            # WeChat answers a video with the address to download it from (plain http).
            return _answer({"video_url": f"{request.url.origin()}/media/video/{media_id}"})
        return web.Response(body=data, content_type=mime)

    async def video_download(request: web.Request) -> web.StreamResponse:
        try:
            data, mime = platform.media(request.match_info["media_id"])
        except WeChatError:
            raise web.HTTPNotFound() from None
        return web.Response(body=data, content_type=mime)

    async def qr_create(request: web.Request) -> dict[str, Any]:
        return platform.create_qrcode(await _json_body(request))

    async def qr_show(request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        try:
            platform.scene_of(ticket)
        except WeChatError:
            raise web.HTTPNotFound() from None
        image = qrcode.make(f"weixin-emulator://qr/{ticket}")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return web.Response(body=buffer.getvalue(), content_type="image/png")

    async def menu_create(request: web.Request) -> dict[str, Any]:
        platform.set_menu(await _json_body(request))
        return {"errcode": 0, "errmsg": "ok"}

    async def menu_get(request: web.Request) -> dict[str, Any]:
        if platform.menu is None:
            raise WeChatError(46003, "menu no exist")
        return {"menu": platform.menu}

    async def user_info(request: web.Request) -> dict[str, Any]:
        return platform.user_info(request.query.get("openid", ""))

    r.add_get("/cgi-bin/token", _api(token, token=False))
    r.add_post("/cgi-bin/message/custom/send", _api(custom_send))
    r.add_post("/cgi-bin/message/subscribe/bizsend", _api(subscribe_send))
    r.add_post("/cgi-bin/media/upload", _api(upload))
    r.add_get("/cgi-bin/media/get", media_get)
    r.add_get("/media/video/{media_id}", video_download)
    r.add_post("/cgi-bin/qrcode/create", _api(qr_create))
    r.add_get("/cgi-bin/showqrcode", qr_show)
    r.add_post("/cgi-bin/menu/create", _api(menu_create))
    r.add_get("/cgi-bin/menu/get", _api(menu_get))
    r.add_get("/cgi-bin/user/info", _api(user_info))
    _add_control(app, platform, pusher)
    return app


def _add_control(app: web.Application, platform: Platform, pusher: Pusher) -> None:
    """What a follower does, for tests and the chat page; answers what WeChat did with it."""

    async def callback(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        platform.account = replace(platform.account, callback_url=body.get("url"))
        return _answer({"callback_url": platform.account.callback_url})

    async def new_follower(request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.body_exists else {}
        follower = platform.new_follower(body.get("language", "zh_CN"))
        return _answer({"openid": follower.openid})

    async def act(request: web.Request) -> web.StreamResponse:
        try:
            follower = platform.follower(request.match_info["openid"])
        except WeChatError as error:
            return _answer(error.body())
        body = await request.json() if request.body_exists else {}
        action = request.match_info["action"]
        if action == "text":
            result = await pusher.text(follower, str(body.get("text", "")))
        elif action == "follow":
            result = await pusher.follow(follower, body.get("scene"))
        elif action == "unfollow":
            result = await pusher.unfollow(follower)
        elif action == "click":
            result = await pusher.click(follower, str(body.get("key", "")))
        elif action == "location":
            result = await pusher.location(
                follower, float(body["lat"]), float(body["lon"]), str(body.get("label", ""))
            )
        elif action in ("image", "voice"):
            data = base64.b64decode(body["data"])
            push = pusher.image if action == "image" else pusher.voice
            result = await push(follower, data, str(body.get("mime_type", "image/jpeg")))
        elif action == "menu":
            result = await pusher.menu_choice(
                follower, str(body.get("id", "")), str(body.get("content", ""))
            )
        elif action == "video":
            data = base64.b64decode(body["data"])
            result = await pusher.video(follower, data, str(body.get("mime_type", "video/mp4")))
        elif action == "authorize":
            platform.authorize(follower.openid, str(body.get("template_id", "")), 1)
            return _answer({"ok": True})
        else:
            raise web.HTTPNotFound()
        return _answer({"attempts": result.attempts, "delivered": result.delivered})

    async def received(request: web.Request) -> web.StreamResponse:
        try:
            follower = platform.follower(request.match_info["openid"])
        except WeChatError as error:
            return _answer(error.body())
        return _answer({"messages": follower.received})

    async def expire_tokens(request: web.Request) -> web.StreamResponse:
        platform.expire_tokens()
        return _answer({"ok": True})

    app.router.add_put("/control/callback", callback)
    app.router.add_post("/control/followers", new_follower)
    app.router.add_post("/control/followers/{openid}/{action}", act)
    app.router.add_get("/control/followers/{openid}/received", received)
    app.router.add_post("/control/expire-tokens", expire_tokens)
