"""Hot statements on the driver (models/direct.py), SQLite's inline connection and asyncpg's:
the same rows, values and errors as through the session, in the session's own transaction,
and no SQLAlchemy execution at all; elsewhere (aiosqlite's thread) through the session
unchanged."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    func,
    literal_column,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from models.db import Database, is_transient
from models.direct import Direct
from models.tables import Conversation, MessageLink, table_of
from models.types import JsonDoc, UtcDateTime
from services.app import Services
from services.views import _VIEW_BY_ID, load_view
from tests.factories import file_case, load_points, resident, staff
from tests.statements import transactions_begun

_CONV = table_of(Conversation)
_AT = datetime(2026, 3, 2, tzinfo=UTC)
_GET = (
    select(_CONV.c.key, _CONV.c.state, _CONV.c.data, _CONV.c.updated_at)
    .where(_CONV.c.key >= "a", _CONV.c.key <= "b")
    .order_by(_CONV.c.key)
)


def _executions(db: Database) -> list[object]:
    """What went through SQLAlchemy's execution (before it compiles anything)."""
    seen: list[object] = []
    event.listen(db.engine.sync_engine, "before_execute", lambda _c, stmt, *_a: seen.append(stmt))
    return seen


def _statements(db: Database) -> list[str]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement != "BEGIN":
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    return seen


@contextmanager
def transactions_begun_on(db: Database) -> Iterator[list[str]]:
    begins: list[str] = []
    listener = lambda _conn: begins.append("begin")  # noqa: E731
    event.listen(db.engine.sync_engine, "begin", listener)
    try:
        yield begins
    finally:
        event.remove(db.engine.sync_engine, "begin", listener)


async def _county(services: Services) -> int:
    await load_points(services)
    await staff(services, "Li Wei")
    return await file_case(services, await resident(services, "Zhang San"))


async def test_rows_match_the_sessions(services_on_both: Services) -> None:
    """JSON, UTC datetimes, booleans and NULLs come back as SQLAlchemy gives them."""
    services = services_on_both
    case_id = await _county(services)
    at = datetime(2026, 3, 2, 1, 0, 0, 123456, tzinfo=UTC)
    async with services.ctx.db.write() as session:
        insert = Direct(_CONV.insert())
        await insert.many(
            session,
            [
                {"key": "a", "state": "S:x", "data": {"n": 1, "zh": "街道"}, "updated_at": at},
                {"key": "b", "state": None, "data": {}, "updated_at": at},
            ],
            by_keys=True,
        )
    db = services.ctx.db
    async with db.read() as session:
        through_session = [tuple(r) for r in await session.execute(_GET)]
        executed = _executions(db)
        heard = _statements(db)
        direct = await Direct(_GET).all(session, {})
        view_rows = await _VIEW_BY_ID.all(session, {"case_id": case_id})
        assert executed == []  # nothing went through SQLAlchemy's execution
        # ... but its statement listeners heard both (statement counters count them).
        assert [s.split()[0] for s in heard] == ["SELECT", "SELECT"]
        found = await session.execute(_VIEW_BY_ID.statement, {"case_id": case_id})
        view_session = [tuple(r) for r in found]
    assert direct == through_session
    assert direct[0] == ("a", "S:x", {"n": 1, "zh": "街道"}, at)
    assert direct[1][1] is None and direct[1][3].tzinfo is UTC
    assert view_rows == view_session
    async with db.read() as session:
        view = await load_view(session, case_id)
    assert view is not None and view.id == case_id and view.created_at.tzinfo is UTC


async def test_a_direct_write_is_part_of_the_sessions_transaction(
    services_on_both: Services,
) -> None:
    """Also as the first statement of a transaction on PostgreSQL, where SQLAlchemy's adapter
    has not begun one yet: were it run outside, the rollback would not undo it."""
    services = services_on_both
    case_id = await _county(services)
    links = Direct(table_of(MessageLink).insert())
    row = {"chat_id": 7, "message_id": 1, "case_id": case_id, "event_id": None}

    class Undo(Exception):
        pass

    async def undone() -> None:
        async with services.ctx.db.write() as session:
            await links.many(session, [row], by_keys=True)
            raise Undo

    with pytest.raises(Undo):
        await undone()
    assert await services.cases.case_of_message(7, 1) is None  # rolled back with the block
    async with services.ctx.db.write() as session:
        await links.many(session, [row], by_keys=True)
    assert await services.cases.case_of_message(7, 1) == case_id

    # A broken constraint is SQLAlchemy's IntegrityError, as the callers expect.
    async def again() -> None:
        async with services.ctx.db.write() as session:
            await links.many(session, [row], by_keys=True)

    with pytest.raises(IntegrityError):
        await again()


async def test_defaults_fill_columns_left_out(db_path: Path) -> None:
    calls: list[int] = []

    def stamp() -> str:
        calls.append(1)
        return f"v{len(calls)}"

    table = Table(
        "direct_defaults",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("kind", String, default="plain"),
        Column("stamp", String, default=stamp),
        Column("doc", JsonDoc),
        Column("at", UtcDateTime),
    )
    db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
    async with db.engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
    ins = Direct(table.insert().returning(table.c.id, table.c.kind, table.c.stamp))
    async with db.write() as session:
        first = await ins.all(session, {"doc": [1]}, by_keys=True)
        second = await ins.all(session, {"doc": None, "kind": "given"}, by_keys=True)
    assert [r[1:] for r in first + second] == [("plain", "v1"), ("given", "v2")]
    async with db.read() as session:
        docs = await Direct(select(table.c.doc).order_by(table.c.id)).all(session, {})
    assert docs == [([1],), (None,)]
    await db.dispose()


async def _through_the_session(db: Database) -> None:
    stmt = Direct(select(_CONV.c.key, _CONV.c.data).where(_CONV.c.key == "a"))
    at = datetime(2026, 3, 2, tzinfo=UTC)
    async with db.write() as session:
        await Direct(_CONV.insert()).many(
            session, [{"key": "a", "state": None, "data": {"x": 1}, "updated_at": at}], by_keys=True
        )
    executed = _executions(db)
    seen = _statements(db)
    async with db.read() as session:
        assert await stmt.all(session, {}) == [("a", {"x": 1})]
    assert len(seen) == 1 and "conversations" in seen[0]
    assert len(executed) == 1  # SQLAlchemy's own execution
    await db.dispose()


async def test_with_aiosqlites_thread_the_statement_goes_through_the_session(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPBOT_SQLITE_THREADED", "1")
    await _through_the_session(Database.from_url(f"sqlite+aiosqlite:///{db_path}"))


async def test_on_postgresql_the_statement_runs_on_asyncpg(pg_url: str) -> None:
    db = Database.from_url(pg_url)
    stmt = Direct(select(_CONV.c.key, _CONV.c.data).where(_CONV.c.key == "a"))
    async with db.write() as session:
        await Direct(_CONV.insert()).many(
            session,
            [{"key": "a", "state": None, "data": {"x": 1}, "updated_at": _AT}],
            by_keys=True,
        )
    executed = _executions(db)
    seen = _statements(db)
    async with db.read() as session:
        assert await stmt.all(session, {}) == [("a", {"x": 1})]
    async with db.alone() as conn:  # each statement its own transaction
        assert await stmt.all(conn, {}) == [("a", {"x": 1})]
    assert len(seen) == 2 and "conversations" in seen[0]
    assert executed == []  # nothing went through SQLAlchemy's execution
    await db.dispose()


async def test_on_postgresql_an_error_is_sqlalchemys(pg_url: str) -> None:
    """Its SQLSTATE kept (what ``is_transient`` reads); a lost connection is marked
    invalidated and dropped from the pool, so the update handled again gets another."""
    db = Database.from_url(pg_url, pool_size=1)
    keys = Direct(select(_CONV.c.key))
    async with db.read() as session:
        with pytest.raises(DBAPIError) as caught:
            await Direct(select(literal_column("1") / bindparam("zero"))).all(session, {"zero": 0})
    assert getattr(caught.value.orig, "sqlstate", None) == "22012"  # division by zero
    assert not caught.value.connection_invalidated and not is_transient(caught.value)

    async with db.read() as session:
        pid = await Direct(select(func.pg_backend_pid())).scalar(session, {})
    # The pool's one connection, ended from outside while it waits in the pool.
    dsn = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    killer = await asyncpg.connect(dsn)
    assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
    await killer.close()
    with pytest.raises(DBAPIError) as lost:
        async with db.read() as session:
            await keys.all(session, {})
    assert lost.value.connection_invalidated and is_transient(lost.value)
    async with db.read() as session:  # a new connection
        assert await keys.all(session, {}) == []
    await db.dispose()


async def test_a_read_outside_a_transaction_begins_none_and_reads_the_latest_commit(
    services: Services, db_path: Path
) -> None:
    db = services.ctx.db
    stmt = Direct(select(_CONV.c.key).order_by(_CONV.c.key))
    other = sqlite3.connect(db_path, isolation_level=None)  # a command line, say
    with transactions_begun(services) as begins:
        async with db.read() as session:
            assert await stmt.all(session, {}) == []
            other.execute(
                "INSERT INTO conversations (key, data, updated_at) VALUES ('k', '{}', '2026-03-02')"
            )
            assert await stmt.all(session, {}) == [("k",)]
    other.close()
    assert begins == []


async def test_an_in_memory_database_reads_in_its_transaction() -> None:
    db = Database.from_url("sqlite+aiosqlite:///:memory:")
    async with db.engine.begin() as conn:
        await conn.run_sync(_CONV.metadata.create_all, tables=[_CONV])
    with transactions_begun_on(db) as begins:
        async with db.read() as session:
            assert await Direct(select(_CONV.c.key)).all(session, {}) == []
    assert begins == ["begin"]  # a second connection would see another, empty database
    await db.dispose()
