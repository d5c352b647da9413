"""The control API: JSON routes to play people, observe chats and steer the emulator.

Documented route by route in docs/emulator.md. Errors answer ``{"error": "..."}`` with a 4xx.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from emulator.contents import AlbumItem, Attachment
from emulator.core import Emulator
from emulator.errors import ControlError
from emulator.faults import KINDS
from locales import load_catalog, normalize_locale

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HEARTBEAT_SECONDS = 15.0
_MEDIA = ("photo", "video", "voice", "audio", "document")


def add_control_routes(app: web.Application, emulator: Emulator) -> None:
    routes = _Routes(emulator)

    def add(method: str, path: str, handler: Handler) -> None:
        app.router.add_route(method, path, _guard(handler))

    add("GET", "/control/bots", routes.bots)
    add("GET", "/control/users", routes.users)
    add("POST", "/control/users", routes.create_user)
    add("POST", "/control/users/{user_id}/block", routes.block)
    add("POST", "/control/users/{user_id}/unblock", routes.unblock)
    add("GET", "/control/users/{user_id}/callback_answers", routes.callback_answers)
    add("GET", "/control/users/{user_id}/commands", routes.commands)
    add("POST", "/control/groups", routes.create_group)
    add("POST", "/control/messages", routes.send)
    add("POST", "/control/press", routes.press)
    add("POST", "/control/vote", routes.vote)
    add("GET", "/control/chats/{chat_id}/history", routes.history)
    add("GET", "/control/chats/{chat_id}/keyboard", routes.keyboard)
    add("GET", "/control/files/{file_id}", routes.file)
    add("GET", "/control/updates", routes.updates)
    add("GET", "/control/counters", routes.counters)
    add("POST", "/control/counters/reset", routes.reset_counters)
    add("GET", "/control/violations", routes.violations)
    add("DELETE", "/control/violations", routes.clear_violations)
    add("GET", "/control/faults", routes.faults)
    add("POST", "/control/faults", routes.add_fault)
    add("DELETE", "/control/faults", routes.clear_faults)
    add("DELETE", "/control/faults/{fault_id}", routes.remove_fault)
    add("GET", "/control/limits", routes.limits)
    add("POST", "/control/limits", routes.set_limits)
    add("GET", "/control/webhook/targets", routes.targets)
    add("POST", "/control/webhook/targets", routes.set_targets)
    add("POST", "/control/reset", routes.reset)
    add("GET", "/control/events", routes.events)
    add("GET", "/control/strings", routes.strings)
    add("GET", "/control/page", routes.page)
    add("POST", "/control/page", routes.set_page)


def _ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be an integer") from None


def _optional_int(value: Any, name: str) -> int | None:
    return None if value is None or value == "" else _int(value, name)


def _attachment(value: Any, name: str) -> Attachment:
    """A file in JSON: {"data": base64 or a data: URL, "filename", "mime_type"}."""
    if not isinstance(value, dict) or not isinstance(value.get("data"), str):
        raise ControlError(400, f"{name} needs a base64 'data' field")
    data: str = value["data"]
    mime = value.get("mime_type")
    if data.startswith("data:"):
        header, _, data = data.partition(",")
        mime = mime or header[5:].split(";")[0] or None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(400, f"{name}.data is not base64") from None
    return Attachment(raw, value.get("filename"), mime)


def _guard(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as error:
            return _ok({"error": error.message}, error.status)
        except ValueError as error:
            return _ok({"error": str(error)}, 400)

    return guarded


class _Routes:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        try:
            body = await request.json()
        except ValueError:
            raise ControlError(400, "the body must be JSON") from None
        if not isinstance(body, dict):
            raise ControlError(400, "the body must be a JSON object")
        return body

    # -- people -------------------------------------------------------------------------------

    async def bots(self, request: web.Request) -> web.StreamResponse:
        return _ok(self.emulator.bots())

    async def users(self, request: web.Request) -> web.StreamResponse:
        return _ok(self.emulator.people.users(request.query.get("bot")))

    async def create_user(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        user = self.emulator.create_user(
            str(body.get("first_name") or ""),
            body.get("last_name") or None,
            body.get("username") or None,
            body.get("language_code", "zh-hans"),
            started=bool(body.get("started", False)),
        )
        return _ok(user, 201)

    async def create_group(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        members = body.get("member_ids")
        if not isinstance(members, list):
            raise ControlError(400, "member_ids must be a list of user ids")
        chat = self.emulator.create_group(
            str(body.get("title") or "Group"),
            [_int(m, "member_ids") for m in members],
            bool(body.get("bot_is_admin", True)),
            supergroup=bool(body.get("supergroup", False)),
            bot=body.get("bot"),
        )
        return _ok(chat, 201)

    async def send(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        user_id = _int(body.get("user_id"), "user_id")
        chat_id = _optional_int(body.get("chat_id"), "chat_id")
        reply_to = _optional_int(body.get("reply_to_message_id"), "reply_to_message_id")
        if body.get("media_group") is not None:
            items = body["media_group"]
            if not isinstance(items, list):
                raise ControlError(400, "media_group must be a list")
            album = [
                AlbumItem(
                    str(item.get("type")), _attachment(item, "media_group"), item.get("caption")
                )
                for item in items
                if isinstance(item, dict)
            ]
            messages = self.emulator.user_send_album(
                user_id, album, chat_id, reply_to_message_id=reply_to, bot=body.get("bot")
            )
            return _ok(messages, 201)
        location = body.get("location")
        if location is not None:
            try:
                location = (float(location["latitude"]), float(location["longitude"]))
            except (KeyError, TypeError, ValueError):
                raise ControlError(400, "location is {latitude, longitude}") from None
        sticker = body.get("sticker")
        media = {k: _attachment(body[k], k) for k in _MEDIA if body.get(k) is not None}
        message = self.emulator.user_send(
            user_id,
            chat_id,
            text=body.get("text"),
            entities=body.get("entities"),
            caption=body.get("caption"),
            sticker=_attachment(sticker, "sticker") if isinstance(sticker, dict) else sticker,
            poll=body.get("poll"),
            location=location,
            venue=body.get("venue"),
            contact=body.get("contact"),
            reply_to_message_id=reply_to,
            photo=media.get("photo"),
            video=media.get("video"),
            voice=media.get("voice"),
            audio=media.get("audio"),
            document=media.get("document"),
            bot=body.get("bot"),
        )
        return _ok(message, 201)

    async def press(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        query = self.emulator.user_press(
            _int(body.get("user_id"), "user_id"),
            _optional_int(body.get("chat_id"), "chat_id"),
            _int(body.get("message_id"), "message_id"),
            str(body.get("callback_data") or ""),
            bot=body.get("bot"),
        )
        return _ok(query, 201)

    async def vote(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        options = body.get("option_ids") or []
        if not isinstance(options, list) or not all(isinstance(i, int) for i in options):
            raise ControlError(400, "option_ids must be a list of integers")
        poll = self.emulator.user_vote(
            _int(body.get("user_id"), "user_id"),
            _int(body.get("chat_id"), "chat_id"),
            _int(body.get("message_id"), "message_id"),
            options,
            bot=body.get("bot"),
        )
        return _ok(poll, 201)

    async def block(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        user_id = _int(request.match_info["user_id"], "user_id")
        self.emulator.user_block_bot(user_id, body.get("bot"))
        return _ok({"ok": True})

    async def unblock(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        user_id = _int(request.match_info["user_id"], "user_id")
        self.emulator.user_unblock_bot(user_id, body.get("bot"))
        return _ok({"ok": True})

    # -- what people see ----------------------------------------------------------------------

    async def history(self, request: web.Request) -> web.StreamResponse:
        chat_id = _int(request.match_info["chat_id"], "chat_id")
        return _ok(self.emulator.history(chat_id, request.query.get("bot")))

    async def keyboard(self, request: web.Request) -> web.StreamResponse:
        chat_id = _int(request.match_info["chat_id"], "chat_id")
        return _ok(self.emulator.keyboard(chat_id, request.query.get("bot")))

    async def callback_answers(self, request: web.Request) -> web.StreamResponse:
        user_id = _int(request.match_info["user_id"], "user_id")
        return _ok(self.emulator.callback_answers(user_id, request.query.get("bot")))

    async def commands(self, request: web.Request) -> web.StreamResponse:
        user_id = _int(request.match_info["user_id"], "user_id")
        chat_id = _optional_int(request.query.get("chat_id"), "chat_id")
        return _ok(self.emulator.people.commands(user_id, chat_id, request.query.get("bot")))

    async def file(self, request: web.Request) -> web.StreamResponse:
        stored = self.emulator.world.files.get(request.match_info["file_id"])
        if stored is None:
            raise ControlError(404, "no such file")
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type or "application/octet-stream",
            headers={"Cache-Control": "max-age=86400"},
        )

    async def updates(self, request: web.Request) -> web.StreamResponse:
        bot = self.emulator.world.bot(request.query.get("bot"))
        return _ok([update.to_api() for update in bot.updates.pending()])

    # -- steering -----------------------------------------------------------------------------

    async def counters(self, request: web.Request) -> web.StreamResponse:
        return _ok(self.emulator.counters())

    async def reset_counters(self, request: web.Request) -> web.StreamResponse:
        self.emulator.reset_counters()
        return _ok(self.emulator.counters())

    async def violations(self, request: web.Request) -> web.StreamResponse:
        return _ok([v.to_dict() for v in self.emulator.violations])

    async def clear_violations(self, request: web.Request) -> web.StreamResponse:
        self.emulator.violations.clear()
        return _ok([])

    async def faults(self, request: web.Request) -> web.StreamResponse:
        return _ok([fault.to_dict() for fault in self.emulator.faults.active()])

    async def add_fault(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        kind = body.get("kind")
        if kind not in KINDS:
            raise ControlError(400, f"kind must be one of {', '.join(KINDS)}")
        fault = self.emulator.add_fault(
            str(body.get("method") or "*"),
            kind,
            count=_optional_int(body.get("count"), "count"),
            every=_int(body.get("every", 1), "every"),
            delay=float(body.get("delay", 0.0)),
            status=_int(body.get("status", 502), "status"),
            after=bool(body.get("after", False)),
        )
        return _ok(fault.to_dict(), 201)

    async def clear_faults(self, request: web.Request) -> web.StreamResponse:
        self.emulator.faults.clear()
        return _ok([])

    async def remove_fault(self, request: web.Request) -> web.StreamResponse:
        if not self.emulator.faults.remove(_int(request.match_info["fault_id"], "fault_id")):
            raise ControlError(404, "no such fault")
        return _ok({"ok": True})

    async def limits(self, request: web.Request) -> web.StreamResponse:
        return _ok(self.emulator.set_limits())

    async def set_limits(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        enabled = body.get("enabled")
        return _ok(
            self.emulator.set_limits(
                enabled=None if enabled is None else bool(enabled),
                global_per_second=_optional_int(body.get("global_per_second"), "global_per_second"),
                per_chat_per_second=_optional_int(
                    body.get("per_chat_per_second"), "per_chat_per_second"
                ),
                per_group_per_minute=_optional_int(
                    body.get("per_group_per_minute"), "per_group_per_minute"
                ),
            )
        )

    async def targets(self, request: web.Request) -> web.StreamResponse:
        return _ok({"targets": self.emulator.webhooks.targets})

    async def set_targets(self, request: web.Request) -> web.StreamResponse:
        targets = (await self._body(request)).get("targets")
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise ControlError(400, "targets must be a list of URLs")
        self.emulator.set_webhook_targets(targets)
        return _ok({"targets": targets})

    async def reset(self, request: web.Request) -> web.StreamResponse:
        await self.emulator.reset()
        return _ok({"ok": True})

    async def strings(self, request: web.Request) -> web.StreamResponse:
        locale = normalize_locale(request.query.get("locale"))
        return _ok({"locale": locale, "strings": load_catalog("demo").table(locale)})

    async def page(self, request: web.Request) -> web.StreamResponse:
        return _ok(self.emulator.config.page.to_dict())

    async def set_page(self, request: web.Request) -> web.StreamResponse:
        page = self.emulator.config.page
        page.update(await self._body(request))
        return _ok(page.to_dict())

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events: one JSON object per change in any chat."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        with self.emulator.world.events.subscribe() as subscription:
            try:
                await response.write(b"retry: 2000\n\n")
                while True:
                    try:
                        event = await subscription.next(HEARTBEAT_SECONDS)
                    except TimeoutError:
                        await response.write(b": ping\n\n")
                        continue
                    if event is None:
                        break
                    await response.write(f"data: {_dumps(event)}\n\n".encode())
            except ConnectionResetError:
                pass  # the page went away
        return response
