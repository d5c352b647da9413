"""Where each chat stands in a flow, kept in the database so a restart loses nothing.

The Telegram adapter wraps this as aiogram's FSM storage; with Redis configured, aiogram's own
RedisStorage is used instead and this store is idle.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, select
from sqlmodel import col

from models.direct import Direct
from models.queries import dialect_insert
from models.tables import Conversation, table_of
from services.context import Context

_T = table_of(Conversation)
_GET = Direct(select(_T.c.state, _T.c.data).where(_T.c.key == bindparam("key")))
_UPSERTS: dict[tuple[str, tuple[str, ...]], Direct] = {}


class Conversations:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def get(self, key: str) -> tuple[str | None, dict[str, Any]]:
        async with self.ctx.db.read() as session:
            row = await _GET.first(session, {"key": key})
        return (row[0], dict(row[1] or {})) if row else (None, {})

    async def set(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        """The step and its data in one write."""
        await self._upsert(key, {"state": state, "data": data})

    async def set_state(self, key: str, state: str | None) -> None:
        await self._upsert(key, {"state": state})

    async def set_data(self, key: str, data: dict[str, Any]) -> None:
        await self._upsert(key, {"data": data})

    async def _upsert(self, key: str, values: dict[str, Any]) -> None:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
            columns = tuple(sorted(values))
            stmt = _UPSERTS.get((dialect, columns))
            if stmt is None:  # built once per dialect and set of columns
                insert = dialect_insert(session, _T)
                stmt = Direct(
                    insert.on_conflict_do_update(
                        index_elements=["key"],
                        set_={c: insert.excluded[c] for c in (*columns, "updated_at")},
                    )
                )
                _UPSERTS[(dialect, columns)] = stmt
            params = {"key": key, "state": None, "data": {}, **values, "updated_at": now}
            await stmt.all(session, params, by_keys=True)

    async def forget_idle(self, idle: timedelta) -> int:
        """Drop conversations nobody touched for ``idle`` (abandoned wizards)."""
        cutoff = self.ctx.clock.now() - idle
        async with self.ctx.db.write() as session:
            result = await session.execute(
                delete(Conversation).where(col(Conversation.updated_at) < cutoff)
            )
        return int(cast(CursorResult[Any], result).rowcount or 0)
