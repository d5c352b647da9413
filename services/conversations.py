"""Where each chat stands in a flow, kept in the database so a restart loses nothing.

The Telegram adapter wraps this as aiogram's FSM storage; with Redis configured, aiogram's own
RedisStorage is used instead and this store is idle.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlmodel import col

from models.queries import dialect_insert
from models.tables import Conversation, table_of
from services.context import Context

_T = table_of(Conversation)


class Conversations:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def get(self, key: str) -> tuple[str | None, dict[str, Any]]:
        async with self.ctx.db.read() as session:
            row = await session.get(Conversation, key)
        return (row.state, dict(row.data or {})) if row else (None, {})

    async def set_state(self, key: str, state: str | None) -> None:
        await self._upsert(key, {"state": state})

    async def set_data(self, key: str, data: dict[str, Any]) -> None:
        await self._upsert(key, {"data": data})

    async def _upsert(self, key: str, values: dict[str, Any]) -> None:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            stmt = dialect_insert(session, _T).values(
                key=key, state=values.get("state"), data=values.get("data", {}), updated_at=now
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["key"], set_={**values, "updated_at": now}
            )
            await session.execute(stmt)

    async def forget_idle(self, idle: timedelta) -> int:
        """Drop conversations nobody touched for ``idle`` (abandoned wizards)."""
        cutoff = self.ctx.clock.now() - idle
        async with self.ctx.db.write() as session:
            result = await session.execute(
                delete(Conversation).where(col(Conversation.updated_at) < cutoff)
            )
        return int(cast(CursorResult[Any], result).rowcount or 0)
