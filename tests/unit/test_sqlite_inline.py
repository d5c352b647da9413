"""SQLite calls run on the event loop's thread (models/sqlite_inline.py): a write that finds
another process's write lock waits for it without blocking the loop, and gives up as a
transient failure after a while; nothing else changes."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from models import sqlite_inline
from models.db import Database, is_transient
from models.direct import Direct
from models.tables import Conversation, table_of


@pytest.fixture
async def db(db_path: Path) -> Database:
    return Database.from_url(f"sqlite+aiosqlite:///{db_path}")


async def test_calls_run_inline(db: Database) -> None:
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_inline.InlineConnection)
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 0
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    await db.dispose()


async def test_a_write_waits_for_another_process_without_blocking_the_loop(
    db: Database, db_path: Path
) -> None:
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a command line holding the write lock
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with db.write() as session:
            await session.execute(
                text("INSERT INTO conversations (key, data, updated_at) VALUES ('k', '{}', '')")
            )

    beat = asyncio.create_task(ticker())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writing.done()
    assert ticks >= 5  # the loop went on while the write waited
    other.commit()
    await asyncio.wait_for(writing, 5)
    beat.cancel()
    other.close()
    async with db.read() as session:
        assert (await session.execute(select(Conversation.key))).scalars().all() == ["k"]
    await db.dispose()


async def test_a_write_gives_up_as_transient(
    db: Database, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_PATIENCE", 0.2)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError) as caught:
        async with db.write():
            pass
    assert is_transient(caught.value)
    other.rollback()
    other.close()
    await db.dispose()


async def test_errors_are_the_drivers(db: Database) -> None:
    insert = text("INSERT INTO conversations (key, data, updated_at) VALUES ('k', '{}', '')")
    async with db.write() as session:
        await session.execute(insert)
    with pytest.raises(IntegrityError):
        async with db.write() as session:
            await session.execute(insert)
    await db.dispose()


async def test_threaded_on_request(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPBOT_SQLITE_THREADED", "1")
    db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert not isinstance(raw.driver_connection, sqlite_inline.InlineConnection)
    await db.dispose()


async def test_a_transaction_begins_on_sqlite_without_a_statement_of_sqlalchemys(
    db: Database,
) -> None:
    """BEGIN goes straight to the inline connection: as a driver statement it cost nearly
    half a query's CPU, once per transaction (four per relay). The transaction is still real:
    a write holds SQLite's write lock until it ends."""
    seen: list[str] = []

    def on_execute(_c: object, _cur: object, sql: str, *_a: object) -> None:
        seen.append(sql.split()[0].upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    async with db.read() as session:
        await session.execute(select(Conversation.key))
    async with db.write() as session:
        await session.execute(
            text("INSERT INTO conversations (key, data, updated_at) VALUES ('k', '{}', '')")
        )
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            sqlite3.connect(db.engine.url.database, timeout=0).execute("BEGIN IMMEDIATE")
    event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
    assert seen == ["SELECT", "INSERT"]
    await db.dispose()


async def test_writes_run_whole_on_one_connection_of_their_own(db: Database) -> None:
    """Each write is one transaction on the writer's connection, whether its statements run
    on the driver (models/direct.py), through SQLAlchemy, or both: committed whole, or rolled
    back whole on any failure, and the next write goes on."""
    conv = table_of(Conversation)
    direct = Direct(conv.insert())

    def row(key: str) -> dict[str, object]:
        return {
            "key": key,
            "state": None,
            "data": {},
            "updated_at": datetime(2026, 3, 2, tzinfo=UTC),
        }

    def insert(key: str) -> Any:
        return text(
            f"INSERT INTO conversations (key, data, updated_at) VALUES ('{key}', '{{}}', '')"
        )

    class Undo(Exception):
        pass

    begins: list[object] = []
    note = begins.append
    event.listen(db.engine.sync_engine, "begin", note)

    async def undone() -> None:
        async with db.write() as session:
            await direct.many(session, [row("c")], by_keys=True)
            await session.execute(insert("d"))
            raise Undo

    async def broken() -> None:
        async with db.write() as session:
            await direct.many(session, [row("e")], by_keys=True)
            await session.execute(insert("a"))  # taken

    async with db.write() as session:  # on the driver only
        await direct.many(session, [row("a")], by_keys=True)
    async with db.write() as session:  # through SQLAlchemy
        await session.execute(insert("b"))
    with pytest.raises(Undo):
        await undone()
    with pytest.raises(IntegrityError):
        await broken()
    async with db.write() as session:  # and on
        await session.execute(insert("f"))
        await direct.many(session, [row("g")], by_keys=True)
    event.remove(db.engine.sync_engine, "begin", note)
    assert len(begins) == 5  # one transaction each, as SQLAlchemy's listeners hear it
    async with db.read() as session:
        keys = (await session.execute(select(Conversation.key))).scalars().all()
    assert sorted(keys) == ["a", "b", "f", "g"]
    writers = {id(c) for c in begins}
    assert len(writers) == 1  # the same connection every time
    await db.dispose()


async def test_an_in_memory_database_writes_through_its_session() -> None:
    """No writer's connection there (another connection would see another database): the
    session's own transaction takes SQLite's write lock, ``BEGIN IMMEDIATE`` from SQLAlchemy's
    begin event."""
    db = Database.from_url("sqlite+aiosqlite:///:memory:")
    async with db.write() as session:
        await session.execute(text("CREATE TABLE t (x INTEGER)"))
        await session.execute(text("INSERT INTO t VALUES (1)"))
        raw = (await session.connection()).sync_connection
        assert raw is not None and raw.connection.driver_connection.sqlite.in_transaction
    async with db.read() as session:
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 1
    await db.dispose()
