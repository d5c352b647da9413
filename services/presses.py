"""Each button press answered once and acted on once (issue 18).

Telegram delivers an update again when it was not acknowledged in time — after a restart, or
to another replica. Its button press can be answered only once (a second answerCallbackQuery
fails with "query is too old"), and what it asked for was done already. So the presses the
bot answered and the presses it finished handling are kept here, by Telegram's callback query
id, in the database every process shares: a redelivered press that was handled is skipped; one
that was answered but not handled (the process died half-way) is handled again, without a
second answer. Telegram gives up redelivering after a day; rows are pruned after ``KEEP``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlmodel import col

from models.presses import AnsweredPress
from models.queries import dialect_insert
from models.tables import table_of
from services.context import Context

KEEP = timedelta(days=2)
_T = table_of(AnsweredPress)


class Presses:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def claim(self, query_id: str) -> bool:
        """Record that the press is being answered now. False if it was answered before: the
        answer must not be sent again."""
        async with self.ctx.db.write() as session:
            stmt = dialect_insert(session, _T).values(
                query_id=query_id, at=self.ctx.clock.now(), answered=True, handled=False
            )
            result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["query_id"]))
            if cast(CursorResult[Any], result).rowcount:
                return True
            claimed = await session.execute(
                update(AnsweredPress)
                .where(col(AnsweredPress.query_id) == query_id)
                .where(col(AnsweredPress.answered).is_(False))
                .values(answered=True)
            )
            return bool(cast(CursorResult[Any], claimed).rowcount)

    async def release(self, query_id: str) -> None:
        """The answer could not be sent after all (a network failure): another try may send it."""
        async with self.ctx.db.write() as session:
            await session.execute(
                update(AnsweredPress)
                .where(col(AnsweredPress.query_id) == query_id)
                .values(answered=False)
            )

    async def handled(self, query_id: str) -> bool:
        """The press's handler finished before: a redelivery has nothing left to do."""
        async with self.ctx.db.read() as session:
            found = await session.execute(
                select(col(AnsweredPress.handled)).where(col(AnsweredPress.query_id) == query_id)
            )
        return bool(found.scalar_one_or_none())

    async def done(self, query_id: str) -> None:
        async with self.ctx.db.write() as session:
            stmt = dialect_insert(session, _T).values(
                query_id=query_id, at=self.ctx.clock.now(), answered=False, handled=True
            )
            await session.execute(
                stmt.on_conflict_do_update(index_elements=["query_id"], set_={"handled": True})
            )

    async def prune(self, keep: timedelta = KEEP) -> int:
        """Forget presses older than ``keep``: Telegram no longer delivers them."""
        cutoff = self.ctx.clock.now() - keep
        async with self.ctx.db.write() as session:
            result = await session.execute(
                delete(AnsweredPress).where(col(AnsweredPress.at) < cutoff)
            )
        return int(cast(CursorResult[Any], result).rowcount or 0)
