"""Counting the statements a piece of work sends to the database (for cache tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from services.app import Services


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
