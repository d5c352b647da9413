"""The engine, sessions and transactions.

Write transactions are short and, on SQLite, serialized in-process by an asyncio lock and opened
with ``BEGIN IMMEDIATE``: SQLite has one writer at a time, and taking the write lock up front
avoids both busy-wait back-off inside SQLite and the "snapshot too old" failure of a read
transaction that later tries to write (a CLI command may be writing at the same time).

Two lanes share that lock: the outbox sender's writes (claim, record) run in the *delivery*
lane and go before any waiting intake write, so a backlog of residents' messages never holds
back the messages already promised to others. A task enters the lane with
``async with delivery_lane():`` or by being started inside it (the lane is a context variable).

One update, one session (``Database.unit()``, opened around each update by the dispatcher):
the reads of the middlewares, the handler and the services share one transaction, and on
PostgreSQL the update's write joins it and commits it all at once. On SQLite a read
transaction cannot become the writer, so a write ends the reads first and begins its own
(``BEGIN IMMEDIATE``, under the write gate) on the connection kept for writing
(``Database._on_writer``; with aiosqlite's thread or in memory, on the same session). Reads
are ended before the update waits on anything else (``release_reads()``: a Telegram request,
flood control), so no connection or snapshot is held across a network call; a write commits
before its block ends, so whatever the handler answers afterwards is already stored. The
relay's hot statements bypass SQLAlchemy's execution (SQLite's driver, asyncpg's), and on
SQLite its hot reads with no transaction open need none (``models/direct.py``).
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_, greenlet_spawn

from models import direct, sqlite_inline

_WRITE = "cpbot_write"
OUTBOX_TOUCHED = "cpbot_outbox_touched"
_DELIVERY: ContextVar[bool] = ContextVar("cpbot_delivery_lane", default=False)
# Who people are, and the categories they file under: a write to these tables makes every
# process-wide cache of people, roles, points and categories stale (``Database.people_version``).
PEOPLE_TABLES = frozenset(
    {"users", "staff", "residencies", "assignments", "contact_points", "categories"}
)
_PEOPLE_TOUCHED = "cpbot_people_touched"
_AFTER = "cpbot_after_commit"


def after_commit(
    session: AsyncSession, done: Callable[[], None], undone: Callable[[], None]
) -> None:
    """Call ``done`` once the current write transaction of ``session`` has committed, or
    ``undone`` if it rolls back: for what a write promised to someone in this process (a row
    claimed for its sender, ``services/dispatch.py``), given or taken back with the write."""
    session.info.setdefault(_AFTER, []).append((done, undone))


def _settle(hooks: list[tuple[Callable[[], None], Callable[[], None]]] | None, done: bool) -> None:
    for on_commit, on_rollback in hooks or ():
        (on_commit if done else on_rollback)()


def _table_name(target: Any) -> str | None:
    name = getattr(target, "name", None) or getattr(target, "__tablename__", None)
    return name if isinstance(name, str) else None


@event.listens_for(Session, "do_orm_execute")
def _note_people_statement(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if table is None or _table_name(table) in PEOPLE_TABLES:
        state.session.info[_PEOPLE_TOUCHED] = True  # an unknown target counts as touched


@event.listens_for(Session, "before_flush")
def _note_people_objects(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        # The class's table, not the class: a model with a ``name`` column (users, contact
        # points) would hide its __tablename__ behind that column's attribute.
        if _table_name(getattr(type(obj), "__table__", None)) in PEOPLE_TABLES:
            session.info[_PEOPLE_TOUCHED] = True
            return


@dataclass
class _Unit:
    """One update's session, used only by the task that opened it."""

    db: Database
    task: asyncio.Task[Any] | None
    session: AsyncSession | None = None
    depth: int = 0  # read blocks open in it
    writing: bool = False


_UNIT: ContextVar[_Unit | None] = ContextVar("cpbot_unit", default=None)
BeforeCommit = Callable[["Database", AsyncSession], Awaitable[None]]


async def release_reads() -> None:
    """End the current update's read transaction (if any) before it waits on something else
    — a Telegram request, a pause: no connection or snapshot is held across it."""
    unit = _UNIT.get()
    if unit is None or unit.writing or unit.depth or unit.task is not asyncio.current_task():
        return
    if unit.session is not None:
        await unit.db._end_reads(unit.session)


# PostgreSQL: serialization failure, deadlock, lock not available, too many connections.
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "53300"}


@contextmanager
def delivery_lane() -> Iterator[None]:
    """Writes made inside (and by tasks started inside) go first on SQLite's one writer."""
    token = _DELIVERY.set(True)
    try:
        yield
    finally:
        _DELIVERY.reset(token)


def is_transient(error: BaseException) -> bool:
    """A failure that says "not now" rather than "never": the pool's wait ran out, SQLite
    was locked, PostgreSQL aborted a transaction to resolve contention, the connection broke.
    The update is worth handling again."""
    if isinstance(error, exc.TimeoutError):
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        text = str(error.orig).lower()
        if "database is locked" in text or "database is busy" in text:
            return True
        code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        return code in _TRANSIENT_SQLSTATES
    return isinstance(error, ConnectionError | OSError)


class WriteGate:
    """SQLite's one writer, handed on in order of arrival, the delivery lane first."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (
            deque(),  # delivery
            deque(),  # everything else
        )

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        await self._acquire(_DELIVERY.get())
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, delivery: bool) -> None:
        if not self._held and not any(self._waiting):
            self._held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiting[0 if delivery else 1]
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed to us just as we were cancelled: pass it on
            else:
                queue.remove(waiter)
            raise

    def _release(self) -> None:
        for queue in self._waiting:
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the gate stays held, now by the waiter
                    return
        self._held = False


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


def _inline_on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    # As _sqlite_on_connect, but never waiting inside SQLite (see models/sqlite_inline.py).
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _inline_on_begin(conn: Connection) -> None:
    # Straight to the inline connection (models/sqlite_inline.py): a BEGIN sent as a driver
    # statement cost about 40 us of CPU, nearly half a query's, and a relay has four.
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite_inline.InlineConnection)
    if driver.sqlite.in_transaction:
        return  # the writer's transaction, begun by Database.write: a session joins it
    if conn.get_execution_options().get(_WRITE, False):
        await_(sqlite_inline.begin_writing(driver.sqlite))
    else:
        driver.begin(immediate=False)


def _inline_path(url: str) -> str | None:
    """The file an inline SQLite engine opens, or None to keep aiosqlite's thread (asked for
    with CPBOT_SQLITE_THREADED=1, or a URL with options)."""
    if os.environ.get("CPBOT_SQLITE_THREADED") == "1":
        return None
    parsed = make_url(url)
    if parsed.query or parsed.get_driver_name() != "aiosqlite":
        return None
    return parsed.database or ":memory:"


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """``pool_size`` connections, as many again for bursts (the sender, the scheduler, a
    slow moment), and a wait of at most 10 s for one; on SQLite connections are cheap, and
    their calls run on the event loop's thread (models/sqlite_inline.py)."""
    if url.startswith("sqlite"):
        path = _inline_path(url)
        if path is not None:
            engine = create_async_engine(url, echo=echo, async_creator=sqlite_inline.creator(path))
            event.listen(engine.sync_engine, "connect", _inline_on_connect)
            event.listen(engine.sync_engine, "begin", _inline_on_begin)
            sqlite_inline.share_reads(engine.sync_engine, path)
            return engine
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=10,
        # No ping on every checkout (a round trip per transaction): a connection found broken
        # fails its transaction as transient, and the update is handled again.
        pool_recycle=1800,
    )


class Database:
    """Owns the engine; hands out short read and write transactions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._write_gate = WriteGate() if self.is_sqlite else None
        # SQLite in a file, inline: every write on one connection of its own (``_on_writer``).
        self._writes_on_writer = self.is_sqlite and sqlite_inline.file_backed(engine.sync_engine)
        self._writer: AsyncConnection | None = None
        # The same pool, each statement its own transaction (PostgreSQL): see ``alone()``.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._before_commit: list[BeforeCommit] = []
        self._after_outbox_commit: list[Callable[[], None]] = []
        self._after_people_commit: list[Callable[[], None]] = []
        # Bumped after every commit that changed people, roles, points or categories in this
        # process; caches compare it (and subscribers hear of it, e.g. to tell other processes).
        self.people_version = 0

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(make_engine(url, **kwargs))

    def on_people_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every commit that changed people, roles, points or categories."""
        self._after_people_commit.append(callback)

    def people_changed(self) -> None:
        """People changed elsewhere (another process said so): drop what is cached."""
        self.people_version += 1

    def before_commit(self, hook: BeforeCommit) -> None:
        """Run ``hook(db, session)`` in every write transaction just before it commits: what
        it writes commits with the rest, or the whole write fails (registered once)."""
        if hook not in self._before_commit:
            self._before_commit.append(hook)

    async def _before_committing(self, session: AsyncSession) -> None:
        for hook in self._before_commit:
            await hook(self, session)

    def on_outbox_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every commit that wrote outbox rows (wakes the sender)."""
        self._after_outbox_commit.append(callback)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[None]:
        """One session for everything the current task does inside (one update): see the
        module's notes. Tasks started inside use sessions of their own."""
        current = _UNIT.get()
        if current is not None and current.db is self and current.task is asyncio.current_task():
            yield
            return
        unit = _Unit(self, asyncio.current_task())
        token = _UNIT.set(unit)
        try:
            yield
        finally:
            _UNIT.reset(token)
            if unit.session is not None:
                await unit.session.close()

    def _joinable(self, *, write: bool = False) -> _Unit | None:
        """The current task's unit of this database, if a block may join it: not inside its
        write (nor, for a write, inside one of its read blocks) — those get a session of
        their own, as outside any unit."""
        unit = _UNIT.get()
        if (
            unit is None
            or unit.db is not self
            or unit.writing
            or (write and unit.depth)
            or unit.task is not asyncio.current_task()
        ):
            return None
        if unit.session is None:
            unit.session = self.sessions()
        return unit

    @staticmethod
    async def _end_reads(session: AsyncSession) -> None:
        # Detach first: a rollback would expire what earlier reads handed out.
        session.expunge_all()
        if session.in_transaction():
            await session.rollback()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: commits on success, rolls back on any exception."""
        unit = self._joinable(write=True)
        if unit is not None:
            async with self._unit_write(unit) as session:
                yield session
            return
        notes: dict[str, bool] = {}
        async with self._writer_slot():
            if self._writes_on_writer:
                async with self._on_writer(notes) as session:
                    yield session
            else:
                session = self.sessions()
                try:
                    async with self._on_session(session, notes) as joined:
                        yield joined
                finally:
                    await session.close()
        self._committed(notes["touched"], notes["people"])

    @asynccontextmanager
    async def _unit_write(self, unit: _Unit) -> AsyncIterator[AsyncSession]:
        session = unit.session
        assert session is not None
        if self.is_sqlite:
            await self._end_reads(session)  # a read snapshot cannot become SQLite's writer
        else:
            session.expunge_all()  # PostgreSQL: the reads' transaction goes on as the write
        unit.writing = True
        notes: dict[str, bool] = {}
        try:
            async with self._writer_slot():
                if self._writes_on_writer:
                    async with self._on_writer(notes) as written:
                        yield written
                else:
                    async with self._on_session(session, notes) as written:
                        yield written
        finally:
            unit.writing = False
        self._committed(notes["touched"], notes["people"])

    @asynccontextmanager
    async def _on_session(
        self, session: AsyncSession, notes: dict[str, bool]
    ) -> AsyncIterator[AsyncSession]:
        """The write transaction on ``session`` (the caller holds the writer's slot), begun
        here unless the session's reads' transaction goes on as the write (PostgreSQL)."""
        committed = False
        try:
            if not session.in_transaction():
                await session.connection(execution_options={_WRITE: True})
            yield session
            await self._before_committing(session)
            await session.commit()
            committed = True
            # Before the writer is handed on: a row handed to the sender is sent before
            # the next writer's transaction runs (on SQLite, on this very thread).
            _settle(session.info.pop(_AFTER, None), done=True)
        except BaseException:
            session.expunge_all()
            await session.rollback()
            raise
        finally:
            self._note(session, notes, committed)

    @asynccontextmanager
    async def _on_writer(self, notes: dict[str, bool]) -> AsyncIterator[AsyncSession]:
        """SQLite in a file, inline: the write transaction on the writer's own connection,
        kept open for the process (the caller holds the writer's slot, so one write at a
        time uses it). ``BEGIN IMMEDIATE`` goes straight to SQLite and SQLAlchemy's
        transaction is begun over it without a greenlet (its listeners hear one begin); the
        statements of ``models/direct.py`` run on the connection, and a session bound to it
        joins the transaction only when a statement goes through SQLAlchemy. A write through
        a session of its own cost about 170 us of CPU here, this about 75 (session and pool
        machinery), and a relay has one or two (docs/performance.md, fourteenth pass)."""
        if self._writer is None:
            self._writer = await self.engine.connect()
        writer = self._writer
        connection = writer.sync_connection
        assert connection is not None
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite_inline.InlineConnection)
        raw = driver.sqlite
        await sqlite_inline.begin_writing(raw)
        try:
            connection.begin()  # SQLAlchemy's transaction over SQLite's (no BEGIN sent)
        except BaseException:
            raw.rollback()
            await self._drop_writer()
            raise
        session = self.sessions(bind=writer)
        direct.run_on(session, raw, connection)
        committed = False
        try:
            yield session
            await self._before_committing(session)
            if session.in_transaction():
                await session.commit()  # its flush; it joined the writer's transaction
            await greenlet_spawn(connection.commit)
            committed = True
            _settle(session.info.pop(_AFTER, None), done=True)  # before the next writer
        except BaseException:
            try:
                if session.in_transaction():
                    session.expunge_all()
                    await session.rollback()  # a joined session rolls the writer's back too
                if connection.in_transaction():
                    await greenlet_spawn(connection.rollback)
            except BaseException:
                await self._drop_writer()
                raise
            finally:
                if raw.in_transaction:
                    raw.rollback()
            raise
        finally:
            self._note(session, notes, committed)
            direct.forget(session)
            await session.close()

    async def _drop_writer(self) -> None:
        """The writer's connection is in a state no write should inherit: the next write
        opens another."""
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer.invalidate()
            await writer.close()

    @staticmethod
    def _note(session: AsyncSession, notes: dict[str, bool], committed: bool) -> None:
        notes["touched"] = session.info.pop(OUTBOX_TOUCHED, False)
        notes["people"] = session.info.pop(_PEOPLE_TOUCHED, False)
        if not committed:
            _settle(session.info.pop(_AFTER, None), done=False)

    def _committed(self, touched: bool, people: bool) -> None:
        if people:
            self.people_version += 1
            for callback in self._after_people_commit:
                callback()
        if touched:
            for callback in self._after_outbox_commit:
                callback()

    @asynccontextmanager
    async def _writer_slot(self) -> AsyncIterator[None]:
        if self._write_gate is None:
            yield
        else:
            async with self._write_gate.held():
                yield

    @asynccontextmanager
    async def alone(self) -> AsyncIterator[AsyncConnection]:
        """A connection on which every statement is a transaction of its own — PostgreSQL only,
        for a write that one statement does whole (the outbox's claim, its record of plain
        sends): no ``BEGIN`` and ``COMMIT`` round trips around it, and none of a session's
        machinery. Nothing here wakes the sender or drops the caches of people: use it for
        no statement that writes outbox rows or people. On SQLite every write goes through
        ``write()`` (its one writer is handed out there)."""
        if self.is_sqlite:
            raise RuntimeError("Database.alone() is for PostgreSQL; SQLite writes use write()")
        async with self._autocommit.connect() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Reads: in an update's unit, its session and its open transaction."""
        unit = self._joinable()
        if unit is None:
            async with self.sessions() as own:
                yield own
            return
        session = unit.session
        assert session is not None
        if not unit.depth:
            session.expunge_all()  # each read block sees rows as a new session would
        unit.depth += 1
        try:
            yield session
        except BaseException:
            if unit.depth == 1:
                await self._end_reads(session)  # a failed statement may have spoilt it
            raise
        finally:
            unit.depth -= 1

    async def dispose(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await writer.close()
        sqlite_inline.close_reader(self.engine.sync_engine)
        await self.engine.dispose()
