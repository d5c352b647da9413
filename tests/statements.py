"""For cache and cost tests: the statements and transactions a piece of work sends to the
database, and another process on the same database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from models.db import Database
from services.app import Services
from services.clock import FakeClock
from services.config import ServiceConfig
from services.context import Context


@contextmanager
def transactions_begun(services: Services) -> Iterator[list[str]]:
    """One entry for each transaction begun on the services' database, while inside."""
    from sqlalchemy import event

    begins: list[str] = []
    engine = services.ctx.db.engine.sync_engine

    def on_begin(_conn: Any) -> None:
        begins.append("begin")

    event.listen(engine, "begin", on_begin)
    try:
        yield begins
    finally:
        event.remove(engine, "begin", on_begin)


@contextmanager
def reads_of(services: Services, table: str) -> Iterator[list[str]]:
    """The statements that read ``table``, while inside."""
    from sqlalchemy import event

    seen: list[str] = []
    engine = services.ctx.db.engine.sync_engine
    marker = f"FROM {table}"

    def on_execute(_c: Any, _cur: Any, sql: str, *_a: Any) -> None:
        if marker in sql:
            seen.append(sql)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


@asynccontextmanager
async def another_process(
    db_path: Path, config: ServiceConfig, clock: FakeClock
) -> AsyncIterator[Services]:
    """The command line, say: its own database engine on the same SQLite file, and no signal
    to this process when it changes something."""
    db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
    try:
        yield Services(Context.create(db, config, clock))
    finally:
        await db.dispose()
