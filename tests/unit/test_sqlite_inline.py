"""SQLite calls run on the event loop's thread (models/sqlite_inline.py): a write that finds
another process's write lock waits for it without blocking the loop, and gives up as a
transient failure after a while; nothing else changes."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from models import sqlite_inline
from models.db import Database, is_transient
from models.tables import Conversation


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
