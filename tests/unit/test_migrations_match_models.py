"""The migrations build exactly the schema the models describe (tables, columns, types, indexes),
on SQLite and, when its URL is set, on PostgreSQL: a model changed without its migration, or a
migration that drifted from its model, fails here rather than in production."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import models.registry  # noqa: F401  (every table)


def _compare(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def _differences(url: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_compare)
    finally:
        await engine.dispose()


async def test_sqlite_schema_matches_the_models(db_path: Path) -> None:
    assert await _differences(f"sqlite+aiosqlite:///{db_path}") == []


async def test_postgresql_schema_matches_the_models(pg_url: str) -> None:
    assert await _differences(pg_url) == []
