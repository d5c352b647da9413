"""A webhook update is answered only once it was handled, however long that takes: aiogram's
own path answers after its 55 s window and goes on in the background, where a failure would
lose an update Telegram already counts as delivered."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from bot.webhook import AnswerAfterHandling

UPDATE = {
    "update_id": 7,
    "message": {
        "message_id": 1,
        "date": 1_700_000_000,
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Zhang"},
        "text": "slow",
    },
}


async def test_a_slow_update_is_answered_after_it_was_handled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Telegram's window, shortened: aiogram would answer after 0.05 s and carry on behind.
    monkeypatch.setattr(Dispatcher.feed_webhook_update, "__defaults__", (0.05,))
    handled: list[str] = []
    router = Router()

    @router.message()
    async def slow(message: Message) -> None:
        await asyncio.sleep(0.4)
        handled.append(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    bot = Bot("123456:TEST-TOKEN")
    app = web.Application()
    AnswerAfterHandling(dp, bot, limit=4).register(app, path="/hook")
    server = TestServer(app)
    await server.start_server()
    try:
        async with ClientSession() as http:
            response = await http.post(server.make_url("/hook"), json=UPDATE)
            body: Any = await response.read()
        assert response.status == 200, body
        assert handled == ["slow"]  # answered only after the handler finished
    finally:
        await server.close()
        await bot.session.close()
