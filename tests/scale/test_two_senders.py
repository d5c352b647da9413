"""Two senders claiming from one PostgreSQL outbox at once send each row once, in order."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from models.tables import Outbox
from services.app import Services
from services.outbox import Result, enqueue_many, text_message


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


async def test_each_row_is_sent_once_and_each_chat_in_order(services: Services) -> None:
    now = services.ctx.clock.now()
    async with services.ctx.db.write() as session:
        await enqueue_many(
            session,
            [
                {"dedupe_key": f"m{n}", "chat_id": n % 37, "payload": text_message(str(n))}
                for n in range(600)
            ],
            now,
        )
    sent: list[tuple[str, int, int]] = []

    async def sender(name: str) -> None:
        store = services.outbox(name)
        while claimed := await store.claim(25):
            await asyncio.sleep(0)  # let the other one claim in between
            for row in claimed:
                sent.append((name, row.chat_id, int(row.payload["text"])))
            await store.complete([Result(c.id, "sent", message_id=1, claimed=c) for c in claimed])

    await asyncio.gather(sender("a"), sender("b"))
    numbers = [n for _, _, n in sent]
    assert sorted(numbers) == list(range(600))  # every row once
    for chat in range(37):
        in_chat = [n for _, c, n in sent if c == chat]
        assert in_chat == sorted(in_chat)  # in commit order
    if not services.ctx.db.is_sqlite:
        assert {name for name, _, _ in sent} == {"a", "b"}  # both really worked
    async with services.ctx.db.read() as session:
        statuses = set((await session.execute(select(Outbox.status))).scalars())
    assert statuses == {"sent"}
