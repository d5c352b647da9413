"""Rows handed to the running sender in the write that queued them (SQLite, issue 13): claimed
in that write and sent once it commits, without a claim transaction of the sender's own — yet
never ahead of their chat's unsent row, never more than the sender has room for, never when
the write is rolled back, and after a crash sent again as any claimed row is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiogram import Bot
from sqlalchemy import select
from sqlmodel import col

from bot.sender import OutboxSender
from models.enums import OutboxStatus
from models.tables import Outbox
from services.app import Services
from services.outbox import Handoff, enqueue, text_message


class GatedBot:
    """Sends once ``gate`` is open; remembers which chat got which text, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, method: Any, request_timeout: int | None = None) -> Any:
        await self.gate.wait()
        self.sent.append((method.chat_id, method.text))
        return SimpleNamespace(message_id=len(self.sent))


async def queue(services: Services, *rows: tuple[int, str]) -> None:
    """One write queuing a message per (chat, key), as a use case does."""
    async with services.ctx.db.write() as session:
        for chat_id, key in rows:
            await enqueue(
                session,
                services.ctx.clock.now(),
                key=key,
                chat_id=chat_id,
                payload=text_message(key),
            )


async def statuses(services: Services) -> dict[str, str]:
    async with services.ctx.db.read() as session:
        found = await session.execute(select(col(Outbox.dedupe_key), col(Outbox.status)))
        return {key: str(status) for key, status in found.all()}


async def until(check: Callable[[], bool], seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


class Running:
    def __init__(self, sender: OutboxSender, task: asyncio.Task[None]) -> None:
        self.sender = sender
        self.task = task

    @property
    def handoff(self) -> Handoff:
        handoff = self.sender.store.ctx.db.handoff
        assert isinstance(handoff, Handoff)
        return handoff


@pytest.fixture
async def bot() -> GatedBot:
    return GatedBot()


@pytest.fixture
async def running(services: Services, bot: GatedBot) -> AsyncIterator[Running]:
    # A poll interval longer than the test: every claim of the sender's comes from a wake.
    sender = OutboxSender(services.outbox("w"), cast(Bot, bot), concurrency=2, poll_seconds=120)
    services.ctx.db.on_outbox_commit(sender.wake)  # as bot/factory.py wires it
    task = asyncio.create_task(sender.run())
    await until(lambda: services.ctx.db.handoff is not None)
    yield Running(sender, task)
    bot.gate.set()
    await sender.stop()
    await task
    assert services.ctx.db.handoff is None  # withdrawn when the sender stops


async def test_a_row_is_taken_in_its_write_and_sent_when_it_commits(
    services: Services, running: Running, bot: GatedBot
) -> None:
    bot.gate.clear()
    await queue(services, (11, "a"))
    # Claimed in the write: sending, under this sender's lease, before the sender looked.
    assert (await statuses(services))["a"] == OutboxStatus.SENDING
    await until(lambda: len(running.sender._inflight) == 1)
    bot.gate.set()
    await until(lambda: bot.sent == [(11, "a")])
    await until(lambda: len(running.sender._inflight) == 0)
    assert (await statuses(services))["a"] == OutboxStatus.SENT


async def test_a_rolled_back_write_hands_nothing_over(
    services: Services, running: Running, bot: GatedBot
) -> None:
    held: list[int] = []

    async def failing_use_case() -> None:
        async with services.ctx.db.write() as session:
            await enqueue(
                session,
                services.ctx.clock.now(),
                key="gone",
                chat_id=21,
                payload=text_message("gone"),
            )
            held.append(running.handoff.reserved)  # its slot is held until the write ends
            raise RuntimeError("the use case failed after queuing")

    with pytest.raises(RuntimeError):
        await failing_use_case()
    assert held == [1]
    assert running.handoff.reserved == 0
    assert "gone" not in await statuses(services)
    await queue(services, (21, "next"))
    await until(lambda: bot.sent == [(21, "next")])
    await asyncio.sleep(0.1)
    assert bot.sent == [(21, "next")]  # the rolled-back row never went out


async def test_a_row_behind_its_chats_unsent_one_waits_its_turn(
    services: Services, running: Running, bot: GatedBot
) -> None:
    bot.gate.clear()
    await queue(services, (31, "first"))
    await queue(services, (31, "second"), (32, "other"))
    # "second" is behind "first", which is still being sent: left for the sender's claim,
    # after "first" is recorded. Another chat's row in the same write is taken.
    assert await statuses(services) == {
        "first": OutboxStatus.SENDING,
        "second": OutboxStatus.PENDING,
        "other": OutboxStatus.SENDING,
    }
    bot.gate.set()
    await until(lambda: len(bot.sent) == 3)
    assert [text for chat, text in bot.sent if chat == 31] == ["first", "second"]
    await until(lambda: len(running.sender._inflight) == 0)
    assert set((await statuses(services)).values()) == {OutboxStatus.SENT}


async def test_no_more_is_taken_than_the_sender_has_room_for(
    services: Services, running: Running, bot: GatedBot
) -> None:
    bot.gate.clear()
    await queue(services, *((40 + n, f"r{n}") for n in range(5)))
    found = await statuses(services)
    # Two slots (concurrency=2): two taken in the write, three left for the sender's claim.
    assert sorted(found.values()).count(OutboxStatus.SENDING) == 2
    assert sorted(found.values()).count(OutboxStatus.PENDING) == 3
    await asyncio.sleep(0.1)
    assert len(running.sender._inflight) == 2  # the sender claimed nothing beyond its room
    bot.gate.set()
    await until(lambda: len(bot.sent) == 5)
    assert sorted(bot.sent) == [(40 + n, f"r{n}") for n in range(5)]


async def test_a_row_taken_in_a_savepoint_is_left_to_the_sender(
    services: Services, running: Running, bot: GatedBot
) -> None:
    """A savepoint may be rolled back on its own: what it queued is never handed over."""
    async with services.ctx.db.write() as session:
        async with session.begin_nested():
            await enqueue(
                session,
                services.ctx.clock.now(),
                key="nested",
                chat_id=51,
                payload=text_message("nested"),
            )
        assert running.handoff.reserved == 0
    await until(lambda: bot.sent == [(51, "nested")])


async def test_a_row_taken_by_a_process_that_died_goes_out_at_the_next_start(
    services: Services,
) -> None:
    first = GatedBot()
    dying = OutboxSender(services.outbox("dying"), cast(Bot, first), poll_seconds=120)
    # The process dies between the commit and the send: the hand-off is offered, the row is
    # taken in its write, and nothing sends it.
    dying._start = lambda rows: None  # type: ignore[method-assign]
    dying._offer_handoff()
    await queue(services, (61, "taken"))
    assert (await statuses(services))["taken"] == OutboxStatus.SENDING
    services.ctx.db.handoff = None  # the process is gone
    second = GatedBot()
    # The next `cpbot run` on this SQLite file: the only sender, it takes back what a dead
    # one held (bot/factory.py sets recover_orphans on SQLite).
    nxt = OutboxSender(
        services.outbox("next"), cast(Bot, second), poll_seconds=120, recover_orphans=True
    )
    task = asyncio.create_task(nxt.run())
    try:
        await until(lambda: second.sent == [(61, "taken")])
        await until(lambda: len(nxt._inflight) == 0)
    finally:
        await nxt.stop()
        await task
    assert first.sent == []
    assert (await statuses(services))["taken"] == OutboxStatus.SENT


async def test_no_hand_off_on_postgresql(services_on_both: Services) -> None:
    """Two writes to one chat can run at once there, and neither would see the other's row:
    the sender claims every row itself."""
    services = services_on_both
    bot = GatedBot()
    sender = OutboxSender(services.outbox("w"), cast(Bot, bot), poll_seconds=120)
    services.ctx.db.on_outbox_commit(sender.wake)
    task = asyncio.create_task(sender.run())
    try:
        await until(lambda: sender._flusher is not None)
        assert (services.ctx.db.handoff is not None) == services.ctx.db.is_sqlite
        await queue(services, (71, "x"))
        await until(lambda: bot.sent == [(71, "x")])
    finally:
        await sender.stop()
        await task
