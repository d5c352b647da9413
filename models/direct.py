"""The relay's hot statements run straight on the driver, inside the session's transaction.

A statement executed through a session costs SQLAlchemy's per-call machinery (the ORM's
execute, the compiled cache, parameter and result objects, a greenlet for the asyncio layer):
about 48 us of CPU on SQLite, where SQLite's own work is a few, and 120-220 us on asyncpg,
where asyncpg's is about 60 (docs/performance.md). A relayed follow-up runs five to seven of
them. Here a Core statement is compiled by SQLAlchemy once, for the engine's dialect, into its
SQL, the order of its parameters and each parameter's and each result column's conversion —
the same converters SQLAlchemy applies (JSON, UTC datetimes) — and run on the driver
connection of the transaction the session has open:

- SQLite: the inline connection (``models/sqlite_inline.py``), called on this thread;
- PostgreSQL: the asyncpg connection under SQLAlchemy's adapter, whose transaction is begun
  first if no statement has begun it yet (the adapter begins lazily, on first use).

Transactions stay the session's: begun, committed and rolled back as before. A connection
of ``Database.alone()`` (each statement its own transaction) works the same way.

A plain SELECT with no transaction open on SQLite (a step's read, the replied-to message's
case, the press book's look-up) needs none: it runs on the engine's shared read-only
connection (``sqlite_inline.reader``) and reads the latest commit, as each statement of
PostgreSQL's READ COMMITTED does — the guarantee the code already lives with there. That
saves an update its read transaction (about 70 us with the session's begin and rollback).

Elsewhere — aiosqlite's thread, an in-memory database, another PostgreSQL driver — the
statement goes through the session unchanged. No library offers this step (SQLAlchemy's
fastest public path, the connection's execute, costs 41 us a statement on SQLite), so it is
kept to what the hot path needs: plain parameters, no expanding ``IN``, defaults only from
scalar or zero-argument column defaults. On PostgreSQL it uses three private members of
SQLAlchemy's asyncpg adapter (its transaction, how it begins one, how it translates asyncpg's
errors), stable since 1.4; ``tests/unit/test_direct.py`` fails if they change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import Select, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import Executable

from models import sqlite_inline
from models.sqlite_inline import InlineConnection

_DRIVER = "cpbot_inline_driver"
_SQLITE = sqlite.dialect()


@dataclass(frozen=True, slots=True)
class _Lite:
    """An SQLite connection, and the SQLAlchemy connection or engine whose statement
    listeners hear of what runs on it."""

    conn: sqlite3.Connection
    heard: Connection | Engine


@dataclass(frozen=True, slots=True)
class _Pg:
    """SQLAlchemy's asyncpg adapter, its asyncpg connection, and the SQLAlchemy connection."""

    adapter: Any
    conn: Any
    heard: Connection


def _pg_target(connection: Connection) -> _Pg | None:
    if connection.dialect.driver != "asyncpg":
        return None
    fairy = connection.connection
    return _Pg(fairy.dbapi_connection, fairy.driver_connection, connection)


@event.listens_for(Session, "after_begin")
def _note_driver(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    # Where this transaction's statements can go directly (an inline SQLite connection,
    # asyncpg's connection).
    driver = connection.connection.driver_connection
    if isinstance(driver, InlineConnection):
        session.info[_DRIVER] = _Lite(driver.sqlite, connection)
    else:
        pg = _pg_target(connection)
        if pg is not None:
            session.info[_DRIVER] = pg


@event.listens_for(Session, "after_transaction_end")
def _forget_driver(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_DRIVER, None)


def run_on(session: AsyncSession, conn: sqlite3.Connection, heard: Connection) -> None:
    """Run this session's statements on ``conn``, whose transaction the caller has begun
    (SQLite's writer, ``Database.write``): ``heard`` is the SQLAlchemy connection over it."""
    session.info[_DRIVER] = _Lite(conn, heard)


def forget(session: AsyncSession) -> None:
    session.info.pop(_DRIVER, None)


Convert = Callable[[Any], Any] | None
_DEFAULT = "\0default:"  # the name of a parameter its column's default fills


@dataclass(slots=True)
class _Compiled:
    sql: str
    # Each positional parameter: its name in the caller's values, or None with a fixed value.
    names: tuple[str | None, ...]
    fixed: tuple[Any, ...]
    binds: tuple[Convert, ...]
    # Each result column's conversion; on PostgreSQL known once the server has described
    # the columns (some of SQLAlchemy's converters there depend on the column's type).
    results: tuple[Convert, ...] | None
    # Columns left to their default (an INSERT by keys): a fresh value per row from a function.
    defaults: tuple[tuple[str, Any], ...]

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        if self.defaults:
            values = dict(values)
            for key, default in self.defaults:
                values[key] = default.arg(None) if default.is_callable else default.arg
        out = []
        for name, fixed, bind in zip(self.names, self.fixed, self.binds, strict=True):
            value = fixed if name is None else values[name]
            out.append(bind(value) if bind is not None and value is not None else value)
        return tuple(out)

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        assert self.results is not None
        return tuple(
            conv(value) if conv is not None and value is not None else value
            for conv, value in zip(self.results, raw, strict=True)
        )


def _compile(statement: Any, keys: tuple[str, ...] | None, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
    defaults: dict[str, Any] = {}
    for column in compiled.insert_prefetch:
        default = column.default
        if default is None or not (default.is_scalar or default.is_callable):
            raise NotImplementedError(f"direct: no plain default for {column.key}")
        defaults[column.key] = default
    if compiled.update_prefetch:
        raise NotImplementedError("direct: columns updated by their default")
    names: list[str | None] = []
    fixed: list[Any] = []
    binds: list[Convert] = []
    for position in compiled.positiontup or ():
        bind = compiled.binds[position]
        if bind.expanding or bind.callable is not None:
            raise NotImplementedError("direct: expanding or computed parameters")
        key = bind.key
        if key in defaults:
            names.append(_DEFAULT + key)
            fixed.append(None)
        elif (keys is not None and key in keys) or bind.required:
            names.append(key)
            fixed.append(None)
        else:
            names.append(None)
            fixed.append(bind.effective_value)
        binds.append(bind.type._cached_bind_processor(dialect))
    results = None
    if dialect.name == "sqlite":
        results = tuple(c.type._cached_result_processor(dialect, None) for c in _columns(statement))
    return _Compiled(
        compiled.string,
        tuple(names),
        tuple(fixed),
        tuple(binds),
        results,
        tuple((_DEFAULT + key, default) for key, default in defaults.items()),
    )


def _columns(statement: Any) -> Sequence[ColumnElement[Any]]:
    return list(getattr(statement, "exported_columns", ()))


Where = AsyncSession | AsyncConnection


class Direct:
    """One hot Core statement: straight on the driver (SQLite inline, asyncpg), else through
    the session or connection given.

    Rows come back as plain tuples either way, in the order of the statement's columns
    (``keys`` names them). SQLAlchemy's ``before_cursor_execute`` listeners still hear of
    each statement (with no cursor or context): what counts statements counts these too."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self.keys = tuple(str(c.key) for c in _columns(statement))
        # A plain SELECT may run outside any transaction (see ``_target``).
        self._read = isinstance(statement, Select)
        self._forms: dict[tuple[str, tuple[str, ...] | None], _Compiled] = {}

    def _form(self, dialect: Dialect, keys: tuple[str, ...] | None) -> _Compiled:
        form = self._forms.get((dialect.name, keys))
        if form is None:
            form = self._forms[(dialect.name, keys)] = _compile(self.statement, keys, dialect)
        return form

    async def all(
        self, where: Where, values: Mapping[str, Any], *, by_keys: bool = False
    ) -> list[tuple[Any, ...]]:
        """Run it once with ``values``; ``by_keys`` for an INSERT without ``values()``,
        whose columns are the keys given (compiled once per set of keys)."""
        target = await _target(where, read=self._read)
        keys = tuple(values) if by_keys else None
        if isinstance(target, _Lite):
            form = self._form(_SQLITE, keys)
            cursor = _run(target, form.sql, form.params(values), many=False)
            return [form.row(r) for r in cursor.fetchall()]
        if isinstance(target, _Pg):
            form = self._form(target.heard.dialect, keys)
            return await _pg_rows(target, form, self.statement, form.params(values))
        result = await where.execute(self.statement, values)
        returns_rows = getattr(result, "returns_rows", True)
        return [tuple(row) for row in result] if returns_rows else []

    async def first(
        self, where: Where, values: Mapping[str, Any], *, by_keys: bool = False
    ) -> tuple[Any, ...] | None:
        rows = await self.all(where, values, by_keys=by_keys)
        return rows[0] if rows else None

    async def scalar(
        self, where: Where, values: Mapping[str, Any], *, by_keys: bool = False
    ) -> Any:
        row = await self.first(where, values, by_keys=by_keys)
        return row[0] if row else None

    async def count(self, where: Where, values: Mapping[str, Any]) -> int:
        """Run a write once with ``values``: the rows it changed."""
        target = await _target(where)
        if isinstance(target, _Lite):
            form = self._form(_SQLITE, None)
            return int(_run(target, form.sql, form.params(values), many=False).rowcount)
        if isinstance(target, _Pg):
            form = self._form(target.heard.dialect, None)
            return await _pg_count(target, form.sql, form.params(values))
        result = await where.execute(self.statement, values)
        return int(getattr(result, "rowcount", 0) or 0)

    async def many(
        self, where: Where, rows: Sequence[Mapping[str, Any]], *, by_keys: bool = False
    ) -> None:
        """Run it for each of ``rows`` (no results), as one executemany."""
        if not rows:
            return
        target = await _target(where)
        keys = tuple(rows[0]) if by_keys else None
        if isinstance(target, _Lite):
            form = self._form(_SQLITE, keys)
            _run(target, form.sql, [form.params(r) for r in rows], many=True)
        elif isinstance(target, _Pg):
            form = self._form(target.heard.dialect, keys)
            await _pg_many(target, form.sql, [form.params(r) for r in rows])
        else:
            await where.execute(self.statement, list(rows))


def _hear(heard: Connection | Engine, sql: str, params: Any, many: bool) -> None:
    listeners = heard.dispatch.before_cursor_execute
    if listeners:
        listeners(heard if isinstance(heard, Connection) else None, None, sql, params, None, many)


def _run(target: _Lite, sql: str, params: Any, *, many: bool) -> Any:
    _hear(target.heard, sql, params, many)
    try:
        if many:
            return target.conn.executemany(sql, params)
        return target.conn.execute(sql, params)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, params, error, sqlite3.Error) from error


async def _pg_begun(target: _Pg) -> None:
    # SQLAlchemy's adapter begins its transaction at the first statement; this may be it.
    adapter = target.adapter
    if adapter._transaction is None and not adapter.autocommit:
        await adapter._start_transaction()


async def _pg_rows(
    target: _Pg, form: _Compiled, statement: Any, params: tuple[Any, ...]
) -> list[tuple[Any, ...]]:
    _hear(target.heard, form.sql, params, False)
    try:
        await _pg_begun(target)
        if form.results is None:
            # First use in this process: how the server describes the result's columns.
            prepared = await target.conn.prepare(form.sql)
            dialect = target.heard.dialect
            form.results = tuple(
                column.type._cached_result_processor(dialect, attribute.type.oid)
                for column, attribute in zip(
                    _columns(statement), prepared.get_attributes(), strict=True
                )
            )
            raw = await prepared.fetch(*params)
        else:
            raw = await target.conn.fetch(form.sql, *params)
    except Exception as error:
        _pg_failed(target, form.sql, params, error)
    return [form.row(r) for r in raw]


async def _pg_count(target: _Pg, sql: str, params: tuple[Any, ...]) -> int:
    _hear(target.heard, sql, params, False)
    try:
        await _pg_begun(target)
        status = await target.conn.execute(sql, *params)
    except Exception as error:
        _pg_failed(target, sql, params, error)
    last = str(status).rsplit(" ", 1)[-1]  # "INSERT 0 1", "UPDATE 3"
    return int(last) if last.isdigit() else 0


async def _pg_many(target: _Pg, sql: str, rows: list[tuple[Any, ...]]) -> None:
    _hear(target.heard, sql, rows, True)
    try:
        await _pg_begun(target)
        await target.conn.executemany(sql, rows)
    except Exception as error:
        _pg_failed(target, sql, rows, error)


def _pg_failed(target: _Pg, sql: str, params: Any, error: Exception) -> NoReturn:
    """Raise ``error`` as SQLAlchemy would have: its adapter's DB-API error (asyncpg's
    SQLSTATE kept), wrapped in SQLAlchemy's class of it (``IntegrityError`` …), marked
    invalidated when the connection was lost."""
    dbapi = target.adapter.dbapi
    try:
        target.adapter._handle_exception(error)
    except dbapi.Error as translated:
        lost = target.heard.dialect.is_disconnect(translated, target.adapter, None)
        if lost:
            # As SQLAlchemy does: the pool drops it, the next transaction gets another.
            target.heard.invalidate(translated)
        raise DBAPIError.instance(
            sql, params, translated, dbapi.Error, connection_invalidated=lost
        ) from error
    raise error  # not translated (the adapter raised it as it was)


async def _target(where: Where, *, read: bool = False) -> _Lite | _Pg | None:
    """Where the statement runs on the driver: the transaction the session has open (begun
    now if need be), the connection given — or, for a ``read`` on SQLite while no
    transaction is open, the engine's shared reader (``sqlite_inline.reader``: each statement
    reads the latest commit). None where statements go through SQLAlchemy."""
    if isinstance(where, AsyncConnection):
        return _pg_target(where.sync_connection) if where.sync_connection else None
    found: _Lite | _Pg | None = where.info.get(_DRIVER)
    if found is not None:
        return found
    bind = where.bind
    if bind is None:
        return None
    dialect = bind.dialect
    if dialect.name == "sqlite":
        if read:
            engine = bind.sync_engine
            conn = sqlite_inline.reader(engine)
            if conn is not None:
                return _Lite(conn, engine)
    elif dialect.driver != "asyncpg":
        return None
    await where.connection()  # begins the transaction, which notes its driver
    found = where.info.get(_DRIVER)
    return found
