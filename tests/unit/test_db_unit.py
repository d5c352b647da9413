"""One database session per update (``Database.unit``): reads share one transaction, a write
commits before its block ends, nothing is shared with other tasks, and reads are let go
before the update waits on something else."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from models.db import Database, after_commit, release_reads
from models.tables import Category, Conversation
from services.app import Services


@pytest.fixture
def db(services_on_both: Services) -> Database:
    return services_on_both.ctx.db


def count_begins(db: Database) -> list[int]:
    begins = [0]

    def on_begin(_conn: Any) -> None:
        begins[0] += 1

    event.listen(db.engine.sync_engine, "begin", on_begin)
    return begins


def row(key: str) -> Conversation:
    return Conversation(key=key, state=None, data={}, updated_at=datetime(2026, 3, 2, tzinfo=UTC))


async def row_count(db: Database) -> int:
    async with db.sessions() as session:  # outside any unit: what is committed
        return len((await session.execute(select(Conversation))).all())


async def test_reads_share_one_transaction_and_a_write_commits_at_once(db: Database) -> None:
    begins = count_begins(db)
    async with db.unit():
        async with db.read() as session:
            await session.get(Conversation, "none1")
        async with db.read() as session:
            await session.get(Conversation, "none2")
        assert begins[0] == 1
        async with db.write() as session:
            session.add(row("k6"))
        # PostgreSQL: the write went on in the reads' transaction; SQLite: the reads' snapshot
        # cannot become the writer, so the write began its own.
        assert begins[0] == (2 if db.is_sqlite else 1)
        # Committed when the write's block ends, before the update goes on (and answers).
        assert await row_count(db) == 1


async def test_without_a_unit_every_block_has_its_own_transaction(db: Database) -> None:
    begins = count_begins(db)
    for _ in range(2):
        async with db.read() as session:
            await session.get(Conversation, "none1")
    assert begins[0] == 2


async def failed_write(db: Database) -> None:
    async with db.write() as session:
        session.add(row("k7"))
        await session.flush()
        raise RuntimeError("the use case refused")


async def duplicate_write(db: Database) -> None:
    async with db.write() as session:
        session.add(row("k6"))


async def test_objects_read_earlier_stay_readable_after_a_write(db: Database) -> None:
    async with db.unit():
        async with db.read() as session:
            first = (await session.execute(select(Category).limit(1))).scalar_one_or_none()
        async with db.write() as session:
            session.add(row("k6"))
        with pytest.raises(RuntimeError):
            await failed_write(db)
        if first is not None:
            assert first.code  # loaded, not expired by the commit or the rollback
    assert await row_count(db) == 1  # the failed write left nothing


async def test_each_read_block_begins_with_nothing_attached(db: Database) -> None:
    """A read block sees rows as a new session would: what an earlier block loaded is
    detached, and a write begins with nothing attached either."""
    async with db.unit():
        async with db.read() as session:
            first = (await session.execute(select(Category).limit(1))).scalar_one()
            assert first in session
        async with db.read() as session:
            assert first not in session
            again = await session.get(Category, first.id)
            assert again is not None and again is not first and again in session
        async with db.write() as session:
            assert again not in session  # the write, too, begins with nothing attached
            session.add(row("k8"))
    assert await row_count(db) == 1


async def test_a_failed_write_leaves_the_unit_usable(db: Database) -> None:
    async with db.unit():
        async with db.write() as session:
            session.add(row("k6"))
        with pytest.raises(IntegrityError):
            await duplicate_write(db)
        async with db.write() as session:
            session.add(row("k8"))
        async with db.read() as session:
            assert await session.get(Conversation, "k8") is not None
    assert await row_count(db) == 2


async def test_a_task_started_inside_has_its_own_session(db: Database) -> None:
    seen: list[Any] = []

    async def other() -> None:
        async with db.read() as session:
            seen.append(session)

    async with db.unit(), db.read() as session:
        mine = session
        await asyncio.create_task(other())
    assert seen and seen[0] is not mine


async def test_a_read_inside_a_write_sees_only_what_is_committed(db: Database) -> None:
    async with db.unit(), db.write() as session:
        session.add(row("k6"))
        await session.flush()
        async with db.read() as other:
            assert other is not session
            found = (
                await other.execute(select(Conversation).where(col(Conversation.key) == "k6"))
            ).all()
            assert found == []


async def test_a_write_inside_a_read_block_gets_its_own_transaction(db: Database) -> None:
    async with db.unit(), db.read() as reading:
        await reading.get(Conversation, "none1")
        async with asyncio.timeout(10):  # on SQLite, no wait on its own read snapshot
            async with db.write() as session:
                assert session is not reading
                session.add(row("k6"))
    assert await row_count(db) == 1


async def test_reads_are_let_go_before_a_wait(db: Database) -> None:
    pool = db.engine.sync_engine.pool
    async with db.unit():
        async with db.read() as session:
            await session.get(Conversation, "none1")
        assert pool.checkedout() == 1  # type: ignore[attr-defined]
        await release_reads()  # before a Telegram request, a pause
        assert pool.checkedout() == 0  # type: ignore[attr-defined]
        async with db.read() as session:  # and the unit goes on
            assert await session.get(Conversation, "none1") is None
    assert pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_reads_are_not_let_go_inside_a_block(db: Database) -> None:
    async with db.unit(), db.read() as session:
        await session.get(Conversation, "none1")
        await release_reads()  # a request made inside a read block: nothing is cut short
        assert session.in_transaction()


async def test_what_a_write_promised_is_given_at_its_commit_or_taken_back(db: Database) -> None:
    """``after_commit``: ``done`` once committed — on SQLite before the next writer's
    transaction begins (a row handed to the sender goes out first) —, ``undone`` on a
    rollback, never both; also inside an update's unit."""
    order: list[str] = []

    def done() -> None:
        order.append("done")
        # What the sender does with a handed row: start a task for it.
        asyncio.get_running_loop().call_soon(order.append, "task ran")

    async def first() -> None:
        async with db.write() as session:
            session.add(row("a"))
            after_commit(session, done, lambda: order.append("undone"))
            await asyncio.sleep(0.02)  # the second writer arrives meanwhile
        order.append("first ended")

    async def second() -> None:
        await asyncio.sleep(0.005)
        async with db.write() as session:
            order.append("second began")
            session.add(row("b"))

    await asyncio.gather(first(), second())
    assert order.index("done") < order.index("first ended")
    if db.is_sqlite:  # one writer: the second waited, and the started task went first
        assert order.index("task ran") < order.index("second began")
    assert "undone" not in order

    order.clear()

    async def failing() -> None:
        async with db.unit(), db.write() as session:
            session.add(row("c"))
            after_commit(session, lambda: order.append("done"), lambda: order.append("undone"))
            raise RuntimeError("fails before its commit")

    with pytest.raises(RuntimeError):
        await failing()
    assert order == ["undone"]
    assert await row_count(db) == 2
