"""Telling the author of a relayed message the truth about it (issues 13 and 19): "sent" only
when the sender in this process has delivered it, "not delivered, and why" when Telegram
refused it, "on its way" when it is still queued after a short wait (the author is then told
later, through the outbox, if it fails — ``OutboxStore._tell_author``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

from aiogram import Bot
from aiogram.types import Message

from bot.sender import reply_request, running_sender
from services.outbox import Result
from services.texts import Translator

T = TypeVar("T")
WAIT_SECONDS = 3.0  # how long a handler waits for its relay before saying "on its way"

Delivery = Literal["sent", "blocked", "refused", "queued", "unknown"]
REASONS = {"blocked": "delivery.reason.blocked", "refused": "delivery.reason.refused"}


def _verdict(result: Result) -> Delivery:
    if result.outcome == "sent":
        return "sent"
    if result.outcome == "blocked":
        return "blocked"
    if result.outcome == "dead":
        return "refused"
    return "queued"  # a retry or a 429: it goes out later


async def relayed(
    bot: Bot | None,
    case_id: int,
    own_chat: int,
    action: Callable[[], Awaitable[T]],
    expect: Callable[[T], bool] = lambda _: True,
    wait: float = WAIT_SECONDS,
) -> tuple[T, Delivery]:
    """Run the use case that queues the relay, then wait up to ``wait`` seconds for its outcome.
    "unknown" when no sender runs in this process (an intake-only replica)."""
    sender = running_sender(bot) if bot is not None else None
    if sender is None:
        return await action(), "unknown"
    # Watch before the commit: the sender may deliver it the moment it is committed.
    future = sender.watch_case(case_id, own_chat)
    try:
        value = await action()
        if not expect(value):  # nothing was queued for anyone (nobody to deliver to)
            return value, "unknown"
        try:
            # One turn of the event loop from the record to this handler (wait_for and
            # shield each added a task or a callback between them); a time-out cancels the
            # future, which the sender then leaves alone.
            async with asyncio.timeout(wait):
                result = await future
        except TimeoutError:
            return value, "queued"
        return value, _verdict(result)
    finally:
        sender.unwatch_case(future)


def acknowledgement(
    t: Translator, delivery: Delivery, no: str, sent: str, queued: str, **params: object
) -> str:
    """The answer to the author: ``sent`` (a catalog key) when delivered — or when this process
    cannot know (no sender here; a failure is then told later) —, ``queued`` when still on its
    way, "not delivered, and why" when Telegram refused it."""
    if delivery in ("sent", "unknown"):
        return t(sent, no=no, **params)
    if delivery == "queued":
        return t(queued, no=no, **params)
    return t("delivery.not_delivered", no=no, reason=t(REASONS[delivery]))


async def reply_under(message: Message, text: str) -> None:
    """Answer the author under their own message — ``message.reply(text)``, for less CPU
    (``bot.sender.reply_request``): the acknowledgement of every relayed message."""
    assert message.bot is not None
    await message.bot(reply_request(message, text))
