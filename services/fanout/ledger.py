"""The fan-out's ledger: what a run's row (a notice, a consultation's invitation) records about
its outbox rows, and the tallies read from them.

A run's outbox rows are found without a column on the outbox: their ids lie in
``(outbox_after_id, outbox_upto_id]`` and their key starts with the run's prefix (an exact
prefix test inside that range). Every row below ``settled_id`` has a final status and is counted
in ``sent``/``failed``/``blocked``/``cancelled_rows``; progress looks only above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import OutboxStatus
from models.tables import Outbox, User

SCHEDULED = "scheduled"
SENDING = "sending"
SENT = "sent"
CANCELLED = "cancelled"

UNSETTLED = (OutboxStatus.PENDING, OutboxStatus.SENDING)


class Ledger(Protocol):
    """The columns a fan-out keeps on its run's row (see models/notices.py)."""

    id: int | None
    status: str
    send_at: datetime
    started_at: datetime | None
    fanout_done_at: datetime | None
    finished_at: datetime | None
    author_user_id: int | None
    author_chat_id: int | None
    cursor: int
    audience_size: int
    queued: int
    skipped_blocked: int
    groups: int
    outbox_after_id: int
    outbox_upto_id: int
    settled_id: int
    sent: int
    failed: int
    blocked: int
    cancelled_rows: int
    progress_message_id: int | None
    progress_seq: int
    progress_text: str | None
    progress_at: datetime | None
    measured_at: datetime | None
    measured_done: int
    rate: float


@dataclass(frozen=True)
class Tally:
    sent: int = 0
    failed: int = 0
    blocked: int = 0  # 403 on sending, or skipped as already blocked
    cancelled: int = 0
    in_flight: int = 0

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.blocked + self.cancelled


@dataclass(frozen=True)
class Progress:
    id: int
    status: str
    total: int
    tally: Tally
    reads: int
    rate: float
    fanout_done: bool
    finished: bool
    groups: int

    @property
    def notice_id(self) -> int:
        return self.id

    @property
    def remaining(self) -> int:
        if self.finished or self.status == CANCELLED:
            return 0
        return max(self.total - self.tally.done, self.tally.in_flight, 0)


Groups = dict[tuple[str, bool], tuple[int, int]]


def prefixed(prefix: str) -> ColumnElement[bool]:
    """An exact, collation-independent test that a row's key starts with ``prefix``."""
    return func.substr(col(Outbox.dedupe_key), 1, len(prefix)) == prefix


def tally_of(groups: Groups) -> Tally:
    sent = failed = blocked = cancelled = in_flight = 0
    for (status, is_blocked), (count, _) in groups.items():
        if status == OutboxStatus.SENT:
            sent += count
        elif status == OutboxStatus.DEAD:
            if is_blocked:
                blocked += count
            else:
                failed += count
        elif status == OutboxStatus.CANCELLED:
            cancelled += count
        else:
            in_flight += count
    return Tally(sent, failed, blocked, cancelled, in_flight)


async def groups_of(
    session: AsyncSession, run: Ledger, prefix: str, low: int, high: int | None = None
) -> Groups:
    """Rows of the run in [low, high] by (status, recipient blocked): (count, lowest id)."""
    high = run.outbox_upto_id if high is None else high
    if high < low:
        return {}
    blocked = col(User.blocked_at).is_not(None)
    rows = (
        await session.execute(
            select(col(Outbox.status), blocked, func.count(), func.min(col(Outbox.id)))
            .select_from(Outbox)
            .join(User, col(User.id) == col(Outbox.recipient_user_id), isouter=True)
            .where(col(Outbox.id) >= low, col(Outbox.id) <= high, prefixed(prefix))
            .group_by(col(Outbox.status), blocked)
        )
    ).all()
    return {(str(s), bool(b)): (int(n), int(m or 0)) for s, b, n, m in rows}


def with_ledger(run: Ledger, above: Tally) -> Tally:
    """The settled figures on the row plus what is above the settled mark."""
    return Tally(
        sent=run.sent + above.sent,
        failed=run.failed + above.failed,
        blocked=run.blocked + above.blocked + run.skipped_blocked,
        cancelled=run.cancelled_rows + above.cancelled,
        in_flight=above.in_flight,
    )


def measure(run: Ledger, done: int, now: datetime) -> None:
    """Keep a smoothed delivery rate (rows a second) for pacing and the time left."""
    if run.measured_at is None:
        run.measured_at, run.measured_done = now, done
        return
    elapsed = (now - run.measured_at).total_seconds()
    if elapsed < 2:
        return
    rate = max(done - run.measured_done, 0) / elapsed
    run.rate = rate if run.rate <= 0 else 0.6 * rate + 0.4 * run.rate
    run.measured_at, run.measured_done = now, done


async def max_outbox_id(session: AsyncSession) -> int:
    return int((await session.execute(select(func.max(col(Outbox.id))))).scalar() or 0)


async def status_of(session: AsyncSession, key: str) -> str | None:
    status = (
        await session.execute(select(col(Outbox.status)).where(col(Outbox.dedupe_key) == key))
    ).scalar()
    return None if status is None else str(status)


async def sent_message_id(session: AsyncSession, key: str) -> int | None:
    value = (
        await session.execute(
            select(col(Outbox.sent_message_id)).where(
                col(Outbox.dedupe_key) == key, col(Outbox.status) == OutboxStatus.SENT
            )
        )
    ).scalar()
    return None if value is None else int(value)
