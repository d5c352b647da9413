"""Delivery problems, as administrators see and settle them: messages the sender gave up on
(outbox rows marked dead, with the reason Telegram gave) and people who blocked the bot.

A retried row goes back to the sender's queue as if new; a dismissed one is cancelled. What a
message said is never shown here (it may be a resident's words to their cadre): only to whom,
when, why it failed, and its case number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.db import OUTBOX_TOUCHED
from models.enums import OutboxStatus
from models.tables import Case, ContactPoint, Outbox, Residency, Staff, User, pk
from services.admin_access import (
    PAGE_SIZE,
    By,
    Scope,
    acting,
    pages_of,
    point_clause,
    points_in_scope,
    staff_clause,
)
from services.audit import audit
from services.context import Context
from services.errors import Invalid, NotAllowed, NotFound

REASON_LIMIT = 300
# Messages of a tip-off: to whom they went is the reporter's secret, kept from administrators.
SEALED_KEYS = ("tipoff", "tipmsg")


@dataclass(frozen=True)
class DeadLine:
    id: int
    at: datetime
    recipient: str | None  # the person's name; None for a group
    reason: str
    case_no: str | None
    attempts: int


@dataclass(frozen=True)
class DeadPage:
    rows: list[DeadLine]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class BlockedLine:
    user_id: int
    name: str
    since: datetime
    point: str | None  # the resident's contact point


@dataclass(frozen=True)
class BlockedPage:
    rows: list[BlockedLine]
    page: int
    pages: int
    total: int


def _not_a_tipoff() -> ColumnElement[bool]:
    """Messages of tip-offs are never listed, counted, retried or dismissed here: a failed
    message to a reporter next to the list of people who blocked the bot would tell who
    reported. (Their inspectors follow their reports in the bot.)"""
    return and_(*(not_(col(Outbox.dedupe_key).startswith(key)) for key in SEALED_KEYS))


def _rows_in_scope(scope: Scope) -> ColumnElement[bool]:
    """Outbox rows about the scope, tip-offs' never: for a case there, to a resident or staff
    member there, or to a contact point's group there."""
    if scope.everywhere:
        return _not_a_tipoff()
    points = points_in_scope(scope)
    return and_(_not_a_tipoff(), _in_points(scope, points))


def _in_points(scope: Scope, points: Any) -> ColumnElement[bool]:
    return or_(
        col(Outbox.case_id).in_(select(col(Case.id)).where(col(Case.contact_point_id).in_(points))),
        col(Outbox.recipient_user_id).in_(
            select(col(Residency.user_id)).where(col(Residency.contact_point_id).in_(points))
        ),
        col(Outbox.recipient_user_id).in_(select(col(Staff.user_id)).where(staff_clause(scope))),
        col(Outbox.chat_id).in_(
            select(col(ContactPoint.group_chat_id)).where(
                point_clause(scope), col(ContactPoint.group_chat_id).is_not(None)
            )
        ),
    )


def _people_in_scope(scope: Scope) -> ColumnElement[bool]:
    if scope.everywhere:
        return true()
    return or_(
        col(User.id).in_(
            select(col(Residency.user_id)).where(
                col(Residency.contact_point_id).in_(points_in_scope(scope))
            )
        ),
        col(User.id).in_(select(col(Staff.user_id)).where(staff_clause(scope))),
    )


class Delivery:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def dead(self, by: By, page: int = 0, size: int = PAGE_SIZE) -> DeadPage:
        """Messages that could not be delivered, newest first."""
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            where = [col(Outbox.status) == OutboxStatus.DEAD, _rows_in_scope(scope)]
            total = int(
                (
                    await session.execute(select(func.count()).select_from(Outbox).where(*where))
                ).scalar_one()
            )
            pages, page = pages_of(total, page, size)
            rows = (
                await session.execute(
                    select(Outbox, col(User.name), col(Case.public_no))
                    .join(User, col(User.id) == col(Outbox.recipient_user_id), isouter=True)
                    .join(Case, col(Case.id) == col(Outbox.case_id), isouter=True)
                    .where(*where)
                    .order_by(col(Outbox.id).desc())
                    .offset(page * size)
                    .limit(size)
                )
            ).all()
        lines = [
            DeadLine(
                id=pk(row),
                at=row.created_at,
                recipient=name,
                reason=(row.last_error or "")[:REASON_LIMIT],
                case_no=case_no,
                attempts=row.attempts,
            )
            for row, name, case_no in rows
        ]
        return DeadPage(lines, page, pages, total)

    async def dead_ids(self, by: By) -> list[int]:
        """Every undelivered message in the scope (for retrying or dismissing them all)."""
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            rows = await session.execute(
                select(col(Outbox.id))
                .where(col(Outbox.status) == OutboxStatus.DEAD, _rows_in_scope(scope))
                .order_by(col(Outbox.id))
            )
            return [i for i in rows.scalars() if i is not None]

    async def blocked(self, by: By, page: int = 0, size: int = PAGE_SIZE) -> BlockedPage:
        """People who blocked the bot (nothing reaches them until they write again)."""
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            where = [col(User.blocked_at).is_not(None), _people_in_scope(scope)]
            total = int(
                (
                    await session.execute(select(func.count()).select_from(User).where(*where))
                ).scalar_one()
            )
            pages, page = pages_of(total, page, size)
            rows = (
                await session.execute(
                    select(
                        col(User.id), col(User.name), col(User.blocked_at), col(ContactPoint.name)
                    )
                    .join(Residency, col(Residency.user_id) == col(User.id), isouter=True)
                    .join(
                        ContactPoint,
                        col(ContactPoint.id) == col(Residency.contact_point_id),
                        isouter=True,
                    )
                    .where(*where)
                    .order_by(col(User.blocked_at).desc(), col(User.id))
                    .offset(page * size)
                    .limit(size)
                )
            ).all()
        return BlockedPage(
            [
                BlockedLine(uid, str(name), since, point)
                for uid, name, since, point in rows
                if uid is not None and since is not None
            ],
            page,
            pages,
            total,
        )

    async def retry(self, by: By, outbox_id: int) -> None:
        """Send it again: back in the queue as if new (the sender is woken)."""
        await self._settle(
            by,
            outbox_id,
            "outbox:retry",
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=self.ctx.clock.now(),
            last_error=None,
            locked_by=None,
            locked_until=None,
        )

    async def dismiss(self, by: By, outbox_id: int) -> None:
        """Give it up for good."""
        await self._settle(by, outbox_id, "outbox:dismiss", status=OutboxStatus.CANCELLED)

    async def _settle(self, by: By, outbox_id: int, action: str, **values: Any) -> None:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            await _must_dead(session, scope, outbox_id)
            await session.execute(
                update(Outbox)
                .where(col(Outbox.id) == outbox_id, col(Outbox.status) == OutboxStatus.DEAD)
                .values(**values)
            )
            if values.get("status") == OutboxStatus.PENDING:
                session.info[OUTBOX_TOUCHED] = True  # wake the sender after the commit
            audit(session, now, scope.user_id, action, f"outbox:{outbox_id}")


async def _must_dead(session: AsyncSession, scope: Scope, outbox_id: int) -> None:
    row = await session.get(Outbox, outbox_id)
    if row is None:
        raise NotFound("admin.delivery.gone")
    inside = (
        await session.execute(
            select(col(Outbox.id)).where(col(Outbox.id) == outbox_id, _rows_in_scope(scope))
        )
    ).scalar()
    if inside is None:
        raise NotAllowed("admin.out_of_scope")
    if row.status != OutboxStatus.DEAD:
        raise Invalid("admin.delivery.not_dead", id=outbox_id)
