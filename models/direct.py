"""The relay's hot statements run straight on SQLite's driver, inside the session's transaction.

A statement executed through a session costs about 48 us of CPU in SQLAlchemy's per-call
machinery (the ORM's execute, the compiled cache, parameter and result objects, a greenlet
for the asyncio layer) and a few in SQLite itself; a relayed follow-up runs seven of them
(docs/performance.md). Here a Core statement is compiled by SQLAlchemy once, for SQLite, into
its SQL, the order of its parameters and each parameter's and each result column's
conversion — the same converters SQLAlchemy applies (JSON, UTC datetimes) — and run on the
inline connection (``models/sqlite_inline.py``) of the transaction the session has open.
Transactions stay the session's: begun, committed and rolled back as before.

A plain SELECT with no transaction open (a step's read, the replied-to message's case, the
press book's look-up) needs none: it runs on the engine's shared read-only connection
(``sqlite_inline.reader``) and reads the latest commit, as each statement of PostgreSQL's
READ COMMITTED does — the guarantee the code already lives with there. That saves an update
its read transaction (about 70 us with the session's begin and rollback).

Only there: on PostgreSQL, with aiosqlite's thread or an in-memory database, the statement
goes through the session unchanged (asyncpg's own work per statement dwarfs what would be
saved). No library offers this step (SQLAlchemy's fastest public path, the connection's
execute, costs 41 us a statement), so it is kept to what the hot path needs: plain
parameters, no expanding ``IN``, defaults only from scalar or zero-argument column defaults.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import Executable

from models import sqlite_inline
from models.sqlite_inline import InlineConnection

_DRIVER = "cpbot_inline_driver"
_DIALECT = sqlite.dialect()


@event.listens_for(Session, "after_begin")
def _note_driver(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    # Where this transaction's statements can go directly (an inline SQLite connection).
    driver = connection.connection.driver_connection
    if isinstance(driver, InlineConnection):
        session.info[_DRIVER] = (driver.sqlite, connection)


@event.listens_for(Session, "after_transaction_end")
def _forget_driver(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_DRIVER, None)


Convert = Callable[[Any], Any] | None
_DEFAULT = "\0default:"  # the name of a parameter its column's default fills


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # Each positional parameter: its name in the caller's values, or None with a fixed value.
    names: tuple[str | None, ...]
    fixed: tuple[Any, ...]
    binds: tuple[Convert, ...]
    results: tuple[Convert, ...]
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
        return tuple(
            conv(value) if conv is not None and value is not None else value
            for conv, value in zip(self.results, raw, strict=True)
        )


def _compile(statement: Any, keys: tuple[str, ...] | None) -> _Compiled:
    compiled = statement.compile(dialect=_DIALECT, column_keys=list(keys) if keys else None)
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
        binds.append(bind.type._cached_bind_processor(_DIALECT))
    columns: Sequence[ColumnElement[Any]] = list(getattr(statement, "exported_columns", ()))
    return _Compiled(
        compiled.string,
        tuple(names),
        tuple(fixed),
        tuple(binds),
        tuple(c.type._cached_result_processor(_DIALECT, None) for c in columns),
        tuple((_DEFAULT + key, default) for key, default in defaults.items()),
    )


class Direct:
    """One hot Core statement: straight on SQLite's inline driver, else through the session.

    Rows come back as plain tuples either way, in the order of the statement's columns
    (``keys`` names them). SQLAlchemy's ``before_cursor_execute`` listeners still hear of
    each statement (with no cursor or context): what counts statements counts these too."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self.keys = tuple(c.key for c in getattr(statement, "exported_columns", ()))
        # A plain SELECT may run outside any transaction (see ``_inline``).
        self._read = isinstance(statement, Select)
        self._forms: dict[tuple[str, ...] | None, _Compiled] = {}

    def _form(self, keys: tuple[str, ...] | None) -> _Compiled:
        form = self._forms.get(keys)
        if form is None:
            form = self._forms[keys] = _compile(self.statement, keys)
        return form

    async def all(
        self, session: AsyncSession, values: Mapping[str, Any], *, by_keys: bool = False
    ) -> list[tuple[Any, ...]]:
        """Run it once with ``values``; ``by_keys`` for an INSERT without ``values()``,
        whose columns are the keys given (compiled once per set of keys)."""
        inline = await _inline(session, read=self._read)
        if inline is None:
            result = await session.execute(self.statement, values)
            returns_rows = getattr(result, "returns_rows", True)
            return [tuple(row) for row in result] if returns_rows else []
        form = self._form(tuple(values) if by_keys else None)
        cursor = _run(inline, form.sql, form.params(values), many=False)
        return [form.row(r) for r in cursor.fetchall()]

    async def first(
        self, session: AsyncSession, values: Mapping[str, Any], *, by_keys: bool = False
    ) -> tuple[Any, ...] | None:
        rows = await self.all(session, values, by_keys=by_keys)
        return rows[0] if rows else None

    async def scalar(
        self, session: AsyncSession, values: Mapping[str, Any], *, by_keys: bool = False
    ) -> Any:
        row = await self.first(session, values, by_keys=by_keys)
        return row[0] if row else None

    async def count(self, session: AsyncSession, values: Mapping[str, Any]) -> int:
        """Run a write once with ``values``: the rows it changed."""
        inline = await _inline(session)
        if inline is None:
            result = await session.execute(self.statement, values)
            return int(getattr(result, "rowcount", 0) or 0)
        form = self._form(None)
        return int(_run(inline, form.sql, form.params(values), many=False).rowcount)

    async def many(
        self, session: AsyncSession, rows: Sequence[Mapping[str, Any]], *, by_keys: bool = False
    ) -> None:
        """Run it for each of ``rows`` (no results), as one executemany."""
        if not rows:
            return
        inline = await _inline(session)
        if inline is None:
            await session.execute(self.statement, list(rows))
            return
        form = self._form(tuple(rows[0]) if by_keys else None)
        _run(inline, form.sql, [form.params(r) for r in rows], many=True)


def _run(inline: Any, sql: str, params: Any, *, many: bool) -> Any:
    """On ``inline``: (an SQLite connection, the SQLAlchemy connection or engine whose
    statement listeners hear of it)."""
    conn, heard = inline
    listeners = heard.dispatch.before_cursor_execute
    if listeners:
        listeners(heard if isinstance(heard, Connection) else None, None, sql, params, None, many)
    try:
        if many:
            return conn.executemany(sql, params)
        return conn.execute(sql, params)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, params, error, sqlite3.Error) from error


async def _inline(session: AsyncSession, *, read: bool = False) -> Any:
    """Where the statement runs on SQLite's driver: the transaction the session has open
    (begun now if need be) — or, for a ``read`` while none is open, the engine's shared
    reader (``sqlite_inline.reader``: each statement reads the latest commit). None where
    statements go through the session."""
    found = session.info.get(_DRIVER)
    if found is not None:
        return found
    bind = session.bind
    if bind is None or bind.dialect.name != "sqlite":
        return None
    engine = bind.sync_engine
    if read:
        conn = sqlite_inline.reader(engine)
        if conn is not None:
            return conn, engine
    await session.connection()  # begins the transaction, which notes its driver
    return session.info.get(_DRIVER)
