"""A relay's latency (issue 13): the commit that queues a row reaches the sender's claim, and the
recorded outcome reaches the handler waiting to answer its author, in one turn of the event
loop. A sender with sends in flight lets a couple more turns pass, to take the rows of the
handlers running meanwhile in one claim. With ``asyncio.wait_for`` (and ``shield``) each took
three turns: when updates come in a batch, every other handler ready meanwhile ran a step
first at each turn, and the paced benchmark's median relay took longer (docs/performance.md,
"Seventh pass")."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiogram import Bot

from bot import sender as sender_module
from bot.delivery_answer import relayed
from bot.sender import OutboxSender
from services.outbox import Claimed, OutboxStore, Result


class Store:
    """Claims nothing; counts the claims."""

    def __init__(self) -> None:
        self.claims = 0

    async def claim_due(self, limit: int) -> tuple[list[Any], float | None]:
        self.claims += 1
        return [], None

    async def complete(self, results: list[Result]) -> bool:
        return False

    async def release(self) -> None:
        return None


async def turns_until(done: Any, most: int = 20) -> int:
    for turn in range(1, most + 1):
        await asyncio.sleep(0)
        if done():
            return turn
    raise AssertionError(f"not within {most} turns")


async def test_a_commit_wakes_the_sender_to_claim_within_one_turn() -> None:
    store = Store()
    sender = OutboxSender(cast(OutboxStore, store), cast(Bot, object()), poll_seconds=60)
    running = asyncio.create_task(sender.run())
    try:
        await turns_until(lambda: store.claims == 1)  # the first claim; now idle
        for _ in range(5):
            await asyncio.sleep(0)
        assert store.claims == 1  # idle means idle: nothing is claimed until a commit
        sender.wake()
        assert await turns_until(lambda: store.claims == 2) == 1
        sender.wake()
        assert await turns_until(lambda: store.claims == 3) == 1
    finally:
        await sender.stop()
        await running


class Telegram:
    """Holds every send until let go: the row stays in flight."""

    def __init__(self) -> None:
        self.go = asyncio.Event()

    async def __call__(self, method: Any, request_timeout: int | None = None) -> Any:
        await self.go.wait()
        return SimpleNamespace(message_id=1)


class OneRowStore(Store):
    """The first claim takes one row; later claims find nothing."""

    async def claim_due(self, limit: int) -> tuple[list[Any], float | None]:
        self.claims += 1
        if self.claims > 1:
            return [], None
        return [Claimed(1, 10, {"type": "text", "text": "hi"}, 1, None, None, None)], None


async def test_a_busy_sender_takes_the_commits_of_the_next_turns_in_one_claim() -> None:
    store, telegram = OneRowStore(), Telegram()
    sender = OutboxSender(cast(OutboxStore, store), cast(Bot, telegram), poll_seconds=60)
    running = asyncio.create_task(sender.run())
    try:
        await turns_until(lambda: store.claims == 1)  # one row taken, its send in flight
        sender.wake()  # one handler's commit
        await asyncio.sleep(0)
        sender.wake()  # the next handler's, a turn later
        for _ in range(10):
            await asyncio.sleep(0)
        # One claim for both (claiming at each commit made it two under load).
        assert store.claims == 2
    finally:
        telegram.go.set()
        await sender.stop()
        await running


class Watching:
    """Stands in for the running sender: the handler watches the case's relay."""

    def __init__(self) -> None:
        self.futures: list[asyncio.Future[Result]] = []

    def watch_case(self, case_id: int, not_chat: int) -> asyncio.Future[Result]:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return future

    def unwatch_case(self, future: asyncio.Future[Result]) -> None:
        self.futures.remove(future)


@pytest.fixture
def watched() -> Iterator[tuple[Bot, Watching]]:
    """A bot whose running sender is a :class:`Watching`."""
    bot = cast(Bot, object())
    watching = Watching()
    sender_module._RUNNING[id(bot)] = cast(OutboxSender, watching)
    yield bot, watching
    sender_module._RUNNING.pop(id(bot), None)


async def a_view() -> Any:
    return SimpleNamespace(assignee_id=1)


async def test_the_recorded_outcome_reaches_the_waiting_handler_within_one_turn(
    watched: tuple[Bot, Watching],
) -> None:
    bot, watching = watched
    answer = asyncio.create_task(relayed(bot, 7, 1, a_view, wait=30))
    await turns_until(lambda: bool(watching.futures))
    for _ in range(3):
        await asyncio.sleep(0)  # the action is done: the handler waits for the outcome
    assert not answer.done()
    watching.futures[0].set_result(Result(1, "sent", message_id=5))
    assert await turns_until(answer.done) == 1
    assert answer.result()[1] == "sent"
    assert not watching.futures  # no longer watched


async def test_a_handler_that_waited_too_long_says_queued_and_stops_watching(
    watched: tuple[Bot, Watching],
) -> None:
    bot, watching = watched
    _, delivery = await relayed(bot, 7, 1, a_view, wait=0.01)
    assert delivery == "queued"
    assert not watching.futures  # the sender's later record tells nobody
