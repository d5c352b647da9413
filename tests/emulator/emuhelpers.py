"""Helpers shared by the emulator's tests (a uniquely named module, unlike conftest)."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from aiohttp import web
from PIL import Image

from emulator import BotConfig, Emulator, EmulatorConfig, WebhookConfig

TOKEN = "123456:TEST-TOKEN"


class FakeClock:
    """Monotonic seconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_config(clock: FakeClock, **overrides: Any) -> EmulatorConfig:
    options: dict[str, Any] = {
        "bots": (BotConfig(TOKEN, username="cp_test_bot"),),
        "clock": clock,
        "check_results": True,
        "webhook": WebhookConfig(retry_initial=0.05, retry_cap=0.2, timeout=2.0),
    }
    options.update(overrides)
    return EmulatorConfig(**options)


async def api(emu: Emulator, method: str, **params: Any) -> dict[str, Any]:
    """Call a method and return Telegram's envelope."""
    response = await emu.call(TOKEN, method, params)
    assert response.status == (200 if response.body["ok"] else response.body["error_code"])
    return response.body


async def result(emu: Emulator, method: str, **params: Any) -> Any:
    body = await api(emu, method, **params)
    assert body["ok"], body
    return body["result"]


def png(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def started_user(emu: Emulator, name: str = "Wang") -> dict[str, Any]:
    """A person who has written to the bot (so the bot may write to them), updates confirmed."""
    user = emu.create_user(name)
    emu.user_send(user["id"], text="/start")
    bot = emu.world.bot()
    bot.updates.confirm(10**9)
    return user


class Receiver:
    """A stand-in bot webhook: records what arrives and answers as ``respond`` decides.

    ``respond(update, number)`` gets the update and how many requests came before it, and
    returns an HTTP status, a JSON dict to answer with, or "drop" to close the connection.
    """

    def __init__(self, respond: Any = None) -> None:
        self.respond = respond or (lambda update, number: 200)
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        update = await request.json()
        number = len(self.received)
        self.received.append(update)
        self.headers.append(dict(request.headers))
        answer = self.respond(update, number)
        if asyncio.iscoroutine(answer):
            answer = await answer
        if answer == "drop":
            assert request.transport is not None
            request.transport.abort()
            return web.Response()
        if isinstance(answer, dict):
            return web.json_response(answer)
        return web.Response(status=int(answer))


async def eventually(check: Any, seconds: float = 15.0) -> None:
    """Wait until ``check()`` is true (webhook deliveries happen in the background). The
    bound is generous: a browser on a loaded 2-core machine may take seconds to click."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
