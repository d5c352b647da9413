"""Each button press answered once and acted on once (issue 18).

Telegram delivers an update again when it was not acknowledged in time — after a restart, or
to another replica. Its button press can be answered only once (a second answerCallbackQuery
fails with "query is too old"), and what it asked for was done already. So the presses the
bot answered and the presses it finished handling are kept here, by Telegram's callback query
id, in the database every process shares: a redelivered press that was handled is skipped; one
that was answered but not handled (the process died half-way) is handled again, without a
second answer. Telegram gives up redelivering after a day; rows are pruned after ``KEEP``.

Every press of a running bot asks, claims and marks, so the statements are built once per
dialect (building one cost more than running it). The "handled" mark rides on the update's
own last write when it can (:meth:`Presses.handling`): a press whose handler changed the
person's step — every press of the filing wizard — costs no transaction of its own for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, false, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlmodel import col

from models.db import Database
from models.direct import Direct
from models.presses import AnsweredPress
from models.tables import table_of
from services.context import Context

KEEP = timedelta(days=2)
_T = table_of(AnsweredPress)


def _statements(dialect: Any) -> dict[str, Executable]:
    new = dialect.insert(_T)
    return {
        # A first answer inserts the row; a retry after a released answer (answered false)
        # takes it; a row already answered is left alone — no row counted, no answer.
        "claim": new.values(
            query_id=bindparam("query_id"), at=bindparam("at"), answered=True, handled=False
        ).on_conflict_do_update(
            index_elements=["query_id"], set_={"answered": True}, where=_T.c.answered == false()
        ),
        "done": new.values(
            query_id=bindparam("query_id"), at=bindparam("at"), answered=False, handled=True
        ).on_conflict_do_update(index_elements=["query_id"], set_={"handled": True}),
    }


_BUILT = {"sqlite": _statements(sqlite), "postgresql": _statements(postgresql)}
_CLAIM = {dialect: Direct(built["claim"]) for dialect, built in _BUILT.items()}
_DONE = {dialect: Direct(built["done"]) for dialect, built in _BUILT.items()}
_HANDLED = Direct(select(_T.c.handled).where(_T.c.query_id == bindparam("query_id")))
_RELEASE = update(_T).where(_T.c.query_id == bindparam("q")).values(answered=False)


@dataclass
class _Handling:
    """The press the current update is handling, until its handler has finished."""

    presses: Presses
    query_id: str
    task: asyncio.Task[Any] | None
    finished: bool = False  # the handler returned (or refused): the mark may be written
    carried: bool = False  # written in the update's own write transaction


_HANDLING: ContextVar[_Handling | None] = ContextVar("cpbot_press_handling", default=None)


def handler_finished() -> None:
    """The current update's handler has finished (returned or refused): its next write — the
    step's, written just after — may carry the press's "handled" mark (bot/fsm.py)."""
    handling = _HANDLING.get()
    if handling is not None and handling.task is asyncio.current_task():
        handling.finished = True


async def _carry_the_mark(db: Database, session: AsyncSession) -> None:
    """The update's write after its handler finished commits the press's mark with it: the
    step and "handled" are stored together, or neither is (``Database.before_commit``). A
    write of another task or database is left alone."""
    handling = _HANDLING.get()
    if handling is None or not handling.finished or handling.carried:
        return
    if handling.task is not asyncio.current_task() or handling.presses.ctx.db is not db:
        return
    params = {"query_id": handling.query_id, "at": handling.presses.ctx.clock.now()}
    await _DONE[db.engine.dialect.name].count(session, params)
    handling.carried = True


class Presses:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._claim = _CLAIM[ctx.db.engine.dialect.name]
        ctx.db.before_commit(_carry_the_mark)

    async def claim(self, query_id: str) -> bool:
        """Record that the press is being answered now. False if it was answered before: the
        answer must not be sent again."""
        params = {"query_id": query_id, "at": self.ctx.clock.now()}
        async with self.ctx.db.write() as session:
            return bool(await self._claim.count(session, params))

    async def release(self, query_id: str) -> None:
        """The answer could not be sent after all (a network failure): another try may send it."""
        async with self.ctx.db.write() as session:
            await session.execute(_RELEASE, {"q": query_id})

    async def handled(self, query_id: str) -> bool:
        """The press's handler finished before: a redelivery has nothing left to do."""
        async with self.ctx.db.read() as session:
            return bool(await _HANDLED.scalar(session, {"query_id": query_id}))

    @contextmanager
    def handling(self, query_id: str) -> Iterator[None]:
        """While the current update handles this press: once its handler has finished
        (:func:`handler_finished`), the update's next write in this database records the press
        as handled in the same transaction, and :meth:`done` has nothing left to write."""
        token = _HANDLING.set(_Handling(self, query_id, asyncio.current_task()))
        try:
            yield
        finally:
            _HANDLING.reset(token)

    def carried(self, query_id: str) -> bool:
        """The press was recorded as handled with the update's own write."""
        handling = _HANDLING.get()
        return (
            handling is not None
            and handling.presses.ctx.db is self.ctx.db
            and handling.query_id == query_id
            and handling.carried
        )

    async def done(self, query_id: str) -> None:
        if self.carried(query_id):
            return
        params = {"query_id": query_id, "at": self.ctx.clock.now()}
        async with self.ctx.db.write() as session:
            await _DONE[self.ctx.db.engine.dialect.name].count(session, params)

    async def prune(self, keep: timedelta = KEEP) -> int:
        """Forget presses older than ``keep``: Telegram no longer delivers them."""
        cutoff = self.ctx.clock.now() - keep
        async with self.ctx.db.write() as session:
            result = await session.execute(
                delete(AnsweredPress).where(col(AnsweredPress.at) < cutoff)
            )
        return int(cast(CursorResult[Any], result).rowcount or 0)
