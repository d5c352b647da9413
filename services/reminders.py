"""Reminders the scheduler sends once: planned with a unique key, fired under a lease.

A feature plans a reminder with :func:`plan` (in its own transaction, when the state that calls
for it changes, or from a planning tick) and registers a handler for its ``kind``. The tick
claims due reminders with a lease — like the outbox — and runs each handler in a transaction
that also marks the reminder done, so the messages the handler queues and the "done" mark
commit together: a restart between planning and sending, or two schedulers at once, still
send each reminder exactly once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.queries import insert_ignore
from models.tables import Reminder, table_of
from services.context import Context

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, "Due", datetime], Awaitable[bool]]
"""Queue what the reminder says; return False when it no longer applies (then it is skipped)."""


class HasReminders(Protocol):
    """A feature that sends reminders names a handler for each of its kinds."""

    def reminder_handlers(self) -> dict[str, Handler]: ...


@dataclass(frozen=True)
class Due:
    id: int
    kind: str
    subject: str
    period: str
    params: dict[str, Any]


def reminder_row(
    *, kind: str, subject: str, period: str, due_at: datetime, now: datetime, params: dict[str, Any]
) -> dict[str, Any]:
    """A pending reminder, as a row for :func:`plan_rows`."""
    return {
        "kind": kind,
        "subject": subject,
        "period": period,
        "due_at": due_at,
        "status": "pending",
        "params": params,
        "created_at": now,
    }


async def plan_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Plan many reminders in the caller's transaction; a key already planned is left as it is."""
    for start in range(0, len(rows), 500):
        await insert_ignore(
            session, table_of(Reminder), rows[start : start + 500], "kind", "subject", "period"
        )


async def plan(
    session: AsyncSession,
    *,
    kind: str,
    subject: str,
    due_at: datetime,
    period: str = "",
    now: datetime,
    **params: Any,
) -> None:
    """Plan a reminder in the caller's transaction; planning the same key again does nothing."""
    row = reminder_row(
        kind=kind, subject=subject, period=period, due_at=due_at, now=now, params=params
    )
    await plan_rows(session, [row])


class Reminders:
    def __init__(
        self, ctx: Context, worker_id: str | None = None, lease_seconds: float = 120
    ) -> None:
        self.ctx = ctx
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self.lease = timedelta(seconds=lease_seconds)
        self.handlers: dict[str, Handler] = {}

    def handle(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    async def claim(self, limit: int = 100) -> list[Due]:
        now = self.ctx.clock.now()
        due = or_(
            and_(col(Reminder.status) == "pending", col(Reminder.due_at) <= now),
            and_(col(Reminder.status) == "sending", col(Reminder.locked_until) < now),
        )
        pick = select(col(Reminder.id)).where(due).order_by(col(Reminder.due_at)).limit(limit)
        if not self.ctx.db.is_sqlite:
            pick = pick.with_for_update(skip_locked=True)
        stmt = (
            update(Reminder)
            .where(col(Reminder.id).in_(pick.scalar_subquery()))
            .values(status="sending", locked_by=self.worker_id, locked_until=now + self.lease)
            .returning(
                col(Reminder.id),
                col(Reminder.kind),
                col(Reminder.subject),
                col(Reminder.period),
                col(Reminder.params),
            )
        )
        async with self.ctx.db.write() as session:
            rows = (await session.execute(stmt)).all()
        return [Due(int(r[0]), r[1], r[2], r[3], dict(r[4] or {})) for r in rows]

    async def fire(self, reminder: Due) -> str:
        """Run the handler and mark the reminder done in one transaction."""
        handler = self.handlers.get(reminder.kind)
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            still_mine = await session.execute(
                update(Reminder)
                .where(
                    col(Reminder.id) == reminder.id,
                    col(Reminder.locked_by) == self.worker_id,
                    col(Reminder.status) == "sending",
                )
                .values(locked_until=now + self.lease)
            )
            if not still_mine.rowcount:  # type: ignore[attr-defined]
                return "lost"  # another scheduler took it over after our lease expired
            applies = handler is not None and await handler(session, reminder, now)
            if handler is None:
                log.error("no handler for reminder kind %s", reminder.kind)
            status = "done" if applies else "skipped"
            await session.execute(
                update(Reminder)
                .where(col(Reminder.id) == reminder.id)
                .values(status=status, done_at=now, locked_by=None, locked_until=None)
            )
        return status

    async def release(self) -> None:
        """Give back the reminders this worker holds (graceful shutdown)."""
        async with self.ctx.db.write() as session:
            await session.execute(
                update(Reminder)
                .where(col(Reminder.locked_by) == self.worker_id, col(Reminder.status) == "sending")
                .values(status="pending", locked_by=None, locked_until=None)
            )

    async def tick(self, batch: int = 100) -> dict[str, int]:
        """Send everything due now; returns how many were done, skipped or lost."""
        counts: dict[str, int] = {}
        while claimed := await self.claim(batch):
            for reminder in claimed:
                try:
                    outcome = await self.fire(reminder)
                except Exception:
                    # Leave it leased: it is retried when the lease expires.
                    log.exception("reminder %s (%s) failed", reminder.id, reminder.kind)
                    outcome = "failed"
                counts[outcome] = counts.get(outcome, 0) + 1
            if len(claimed) < batch:
                break
        return counts
