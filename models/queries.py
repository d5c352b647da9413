"""Small query helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.direct import Direct


def dialect_insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that knows its dialect's ON CONFLICT clause (both databases have one)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def insert_ignore(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], *conflict: str
) -> None:
    """Insert rows, skipping those whose unique key already exists (``ON CONFLICT DO NOTHING``)."""
    if not rows:
        return
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    key = (dialect, table, conflict)
    stmt = _IGNORING.get(key)
    if stmt is None:  # built once: building it is dearer than running it
        stmt = _IGNORING[key] = Direct(
            dialect_insert(session, table).on_conflict_do_nothing(
                index_elements=list(conflict) or None
            )
        )
    await stmt.many(session, rows, by_keys=True)


_IGNORING: dict[tuple[str, Table, tuple[str, ...]], Direct] = {}


async def next_value(session: AsyncSession, table: Table, name: str) -> int:
    """Atomically increment a named counter and return its new value."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    stmt = _COUNTING.get((dialect, table))
    if stmt is None:  # built once per dialect and table (every filing takes a number)
        insert = dialect_insert(session, table).values(name=bindparam("name"), value=1)
        stmt = Direct(
            insert.on_conflict_do_update(
                index_elements=["name"], set_={"value": table.c.value + 1}
            ).returning(table.c.value)
        )
        _COUNTING[(dialect, table)] = stmt
    return int(await stmt.scalar(session, {"name": name}))


_COUNTING: dict[tuple[str, Table], Direct] = {}
