"""The engine, sessions and transactions.

Write transactions are short and, on SQLite, serialized in-process by an asyncio lock and opened
with ``BEGIN IMMEDIATE``: SQLite has one writer at a time, and taking the write lock up front
avoids both busy-wait back-off inside SQLite and the "snapshot too old" failure of a read
transaction that later tries to write (a CLI command may be writing at the same time).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

_WRITE = "cpbot_write"
OUTBOX_TOUCHED = "cpbot_outbox_touched"


def _sqlite_on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy, not the driver, decide when a transaction begins.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
        return engine
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


class Database:
    """Owns the engine; hands out short read and write transactions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._after_outbox_commit: list[Callable[[], None]] = []

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(make_engine(url, **kwargs))

    def on_outbox_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every commit that wrote outbox rows (wakes the sender)."""
        self._after_outbox_commit.append(callback)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: commits on success, rolls back on any exception."""
        async with self._writer_slot():
            session = self.sessions()
            try:
                await session.connection(execution_options={_WRITE: True})
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                touched = session.info.pop(OUTBOX_TOUCHED, False)
                await session.close()
        if touched:
            for callback in self._after_outbox_commit:
                callback()

    @asynccontextmanager
    async def _writer_slot(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
        else:
            async with self._write_lock:
                yield

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
