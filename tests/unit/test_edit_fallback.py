"""A step shown by editing a message that is gone is sent as a new message — held to the limits
and tried again after a 429 like any other. The resend once went straight to Telegram: meeting
the resident's per-chat limit, it ended their case filing in "something went wrong" (seen in
tests/scale/test_replicas.py, where a redelivered update had replaced the prompt)."""

from __future__ import annotations

from typing import Any, cast

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import EditMessageText, SendMessage

from bot.limits import MemoryLimiter, RateLimitMiddleware


async def test_a_gone_message_is_sent_anew_within_the_limits_and_after_a_429() -> None:
    limiter = MemoryLimiter(rate=1000, chat_interval=0)
    middleware = RateLimitMiddleware(limiter)
    calls: list[str] = []

    async def telegram(_bot: Any, method: Any) -> Any:
        calls.append(type(method).__name__)
        if isinstance(method, EditMessageText):
            raise TelegramBadRequest(
                method=method, message="Bad Request: message to edit not found"
            )
        if len(calls) == 2:  # the chat's limit, met by the resend
            raise TelegramRetryAfter(
                method=method, message="Too Many Requests: retry after 1", retry_after=1
            )
        assert isinstance(method, SendMessage) and method.chat_id == 5
        return {"sent": method.text}

    edit = EditMessageText(chat_id=5, message_id=9, text="Review your case")
    result = await middleware(telegram, cast(Bot, None), edit)
    assert result == {"sent": "Review your case"}
    assert calls == ["EditMessageText", "SendMessage", "SendMessage"]
    assert limiter._paused_until > 0  # everyone paused, as after any 429
