"""SQLite without a thread hop per call: an aiosqlite-shaped connection that runs each call
on the event loop's own thread.

aiosqlite sends every call — making a cursor, executing, fetching, closing the cursor,
committing — to a thread of its own and wakes the event loop when it is done: four round
trips and four event-loop wake-ups per statement, which cost far more CPU than the statement
itself (a follow-up's small indexed reads and writes take microseconds in SQLite). Here the
calls run inline; SQLAlchemy's aiosqlite dialect is used unchanged (``async_creator``).

What could make a call wait is a lock held by another process (a command-line change) — in
this process, writers are serialized by the write gate before they begin. So connections
never wait inside SQLite (``busy_timeout`` 0): ``BEGIN IMMEDIATE`` is retried with
asynchronous pauses (``begin_writing``), and anything else that finds the database busy
fails at once as a transient error, which the update's retry handles.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.exc import DBAPIError

# How long a write waits for another process's write lock before failing as transient.
BUSY_PATIENCE = 10.0


class InlineCursor:
    __slots__ = ("_cursor",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._cursor = conn.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: Any) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Now:
    """Stands in for aiosqlite's request queue (SQLAlchemy sets the isolation level via it)."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    """The parts of ``aiosqlite.Connection`` SQLAlchemy's dialect uses."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._tx = _Now()

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The open connection itself (``models/direct.py`` runs hot statements on it)."""
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        assert self._conn is not None
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        if self._conn is None:
            raise ValueError("no active connection")
        return InlineCursor(self._conn)

    def begin(self, *, immediate: bool) -> None:
        """Open the transaction SQLAlchemy's ``begin`` event asks for, straight on SQLite: as a
        driver statement (``exec_driver_sql``) it took nearly half a query's CPU — events, a
        cursor, a result — and every transaction has one. Errors come out as SQLAlchemy's,
        as they would from a statement (so a locked database still reads as transient)."""
        if self._conn is None:
            raise ValueError("no active connection")
        sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        try:
            self._conn.execute(sql)
        except sqlite3.Error as error:
            raise DBAPIError.instance(sql, None, error, sqlite3.Error) from error

    async def commit(self) -> None:
        if self._conn is not None:
            self._conn.commit()

    async def rollback(self) -> None:
        if self._conn is not None:
            self._conn.rollback()

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        assert self._conn is not None
        self._conn.create_function(*args, **kwargs)


# Per engine: the file its reads outside a transaction may share one connection to, and that
# connection (opened on first use). See ``reader``.
_READ_PATHS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_READERS: weakref.WeakKeyDictionary[Any, sqlite3.Connection] = weakref.WeakKeyDictionary()


def share_reads(engine: Any, path: str) -> None:
    """Let reads outside a transaction on ``engine`` (a sync Engine) use ``reader``; not for
    an in-memory database, which another connection would not see."""
    if path and path != ":memory:" and not path.startswith("file:"):
        _READ_PATHS[engine] = path


def reader(engine: Any) -> sqlite3.Connection | None:
    """One connection per engine, in autocommit and read-only, for a read that needs no
    transaction (``models/direct.py``): each statement reads the latest commit, as a
    statement of PostgreSQL's READ COMMITTED does. Calls run inline, one at a time on the
    event loop's thread, so one connection serves every task; a read in WAL mode waits for
    no writer."""
    conn = _READERS.get(engine)
    if conn is None:
        path = _READ_PATHS.get(engine)
        if path is None:
            return None
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=0")
        conn.execute("PRAGMA query_only=ON")
        _READERS[engine] = conn
    return conn


def file_backed(engine: Any) -> bool:
    """Whether ``engine`` (a sync Engine) opens inline connections to a file: more than one
    connection then sees the same database (not so for an in-memory one)."""
    return engine in _READ_PATHS


def close_reader(engine: Any) -> None:
    conn = _READERS.pop(engine, None)
    if conn is not None:
        conn.close()


def creator(path: str) -> Callable[[], Any]:
    """``async_creator`` for ``create_async_engine``: inline connections to ``path``."""

    async def connect() -> InlineConnection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=0")
        return InlineConnection(conn)

    return connect


def is_busy(error: BaseException) -> bool:
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


async def begin_writing(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE`` on ``conn`` (the writer's own connection, ``Database.write``; from
    SQLAlchemy's ``begin`` event, in its greenlet, through ``await_``): another process's
    write lock is waited for with asynchronous pauses, never inside SQLite on the event
    loop's thread; errors come out as SQLAlchemy's."""
    deadline = time.monotonic() + BUSY_PATIENCE
    pause = 0.002
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.Error as error:
            if not is_busy(error) or time.monotonic() > deadline:
                raise DBAPIError.instance("BEGIN IMMEDIATE", None, error, sqlite3.Error) from error
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.1)


def commit(conn: sqlite3.Connection) -> None:
    try:
        conn.commit()
    except sqlite3.Error as error:
        raise DBAPIError.instance("COMMIT", None, error, sqlite3.Error) from error
