"""What a relay costs the running sender (issue 13): woken by the commit that queued a row, it
claims once (learning in the same transaction when the next row is due) and records once. It
used to claim, ask for the next due time, record, claim again to find nothing and ask again:
five transactions per relay at low rates. A chat's next row is still claimed as soon as the
row before it is recorded, and each chat's messages keep their order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiogram import Bot
from sqlalchemy import event

from bot.sender import OutboxSender
from services.app import Services
from services.outbox import enqueue, text_message


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


class Bot0:
    """Answers at once and remembers which chat got which text, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        await asyncio.sleep(0)
        self.sent.append((chat_id, text))
        return SimpleNamespace(message_id=len(self.sent))

    async def __call__(self, method: Any, request_timeout: int | None = None) -> Any:
        # The sender sends a text row as a prepared sendMessage (bot.sender.OutboxText).
        return await self.send_message(method.chat_id, method.text)


class Counts:
    """The sender's own statements and transactions (those begun in its tasks)."""

    def __init__(self) -> None:
        self.claims = 0
        self.next_due = 0
        self.transactions = 0

    @staticmethod
    def in_sender() -> bool:
        task = asyncio.current_task()
        name = getattr(task.get_coro(), "__qualname__", "") if task else ""
        return name.startswith("OutboxSender.")

    @staticmethod
    def alone(conn: Any) -> bool:
        """A connection of ``Database.alone()``: each statement a transaction of its own."""
        options = conn.get_execution_options() if conn is not None else {}
        return bool(options.get("isolation_level") == "AUTOCOMMIT")

    def on_execute(self, conn: Any, _cur: Any, sql: str, *_a: Any) -> None:
        if self.in_sender() and self.alone(conn):
            self.transactions += 1  # it commits alone (SQLAlchemy may not begin one for it)
        flat = " ".join(sql.split()).lower()
        if flat.startswith("with claimed as (update outbox set status"):
            # PostgreSQL: the claim and its next-due question are one statement.
            self.claims += 1
            self.next_due += 1
        elif flat.startswith("update outbox set status") and "returning" in flat:
            self.claims += 1
        elif flat.startswith("select min(outbox.next_attempt_at)"):
            self.next_due += 1

    def on_begin(self, conn: Any) -> None:
        # A statement on a connection in autocommit is counted as it runs (above): on asyncpg's
        # driver (models/direct.py) SQLAlchemy begins nothing for it.
        if self.in_sender() and not self.alone(conn):
            self.transactions += 1

    def reset(self) -> None:
        self.claims = self.next_due = self.transactions = 0


@contextmanager
def counting(services: Services) -> Iterator[Counts]:
    counts = Counts()
    engine = services.ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", counts.on_execute)
    event.listen(engine, "begin", counts.on_begin)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", counts.on_execute)
        event.remove(engine, "begin", counts.on_begin)


async def quiet(counts: Counts) -> None:
    """Until the sender has begun no transaction for a while (it waits for work)."""
    for _ in range(100):
        seen = counts.transactions
        await asyncio.sleep(0.1)
        if counts.transactions == seen:
            return


async def queue(services: Services, chat_id: int, *keys: str) -> None:
    """One commit queuing a message per key to ``chat_id``, as a use case does."""
    async with services.ctx.db.write() as session:
        for key in keys:
            await enqueue(
                session,
                services.ctx.clock.now(),
                key=key,
                chat_id=chat_id,
                payload=text_message(key),
            )


@contextmanager
def sender_of(services: Services, bot: Bot0) -> Iterator[OutboxSender]:
    # A poll interval longer than the test: every claim here comes from a wake.
    sender = OutboxSender(services.outbox("w"), cast(Bot, bot), poll_seconds=120)
    services.ctx.db.on_outbox_commit(sender.wake)  # as bot/factory.py wires it
    yield sender


async def test_a_relay_costs_one_claim_and_one_record(services: Services) -> None:
    bot = Bot0()
    with counting(services) as counts, sender_of(services, bot) as sender:
        task = asyncio.create_task(sender.run())
        try:
            await quiet(counts)  # its first claim, at start, found nothing
            counts.reset()
            for chat in (11, 12, 13):
                outcome = sender.watch(f"relay{chat}")
                await queue(services, chat, f"relay{chat}")
                assert (await asyncio.wait_for(outcome, 10)).outcome == "sent"
                await quiet(counts)
            claims, next_due, transactions = counts.claims, counts.next_due, counts.transactions
        finally:
            await sender.stop()
            await task
    assert bot.sent == [(11, "relay11"), (12, "relay12"), (13, "relay13")]
    # Per relay: one claim (with its next-due question) and one record. Before: two claims,
    # two next-due reads and the record, five transactions.
    assert claims == 3
    assert next_due == 3
    assert transactions == 6


async def test_a_chats_next_row_is_claimed_once_the_one_before_is_recorded(
    services: Services,
) -> None:
    bot = Bot0()
    with counting(services) as counts, sender_of(services, bot) as sender:
        task = asyncio.create_task(sender.run())
        try:
            await quiet(counts)
            counts.reset()
            last = sender.watch("c3")
            await queue(services, 21, "c1", "c2", "c3")  # three at once to one chat
            assert (await asyncio.wait_for(last, 10)).outcome == "sent"  # without a poll
            await quiet(counts)
            claims = counts.claims
        finally:
            await sender.stop()
            await task
    assert bot.sent == [(21, "c1"), (21, "c2"), (21, "c3")]
    # Each row claimed once the one before it is recorded, and no claim that finds nothing
    # after the last (before: a fourth).
    assert claims == 3
