"""Running the office: the administration use cases, from the phone (``/admin``) and the CLI.

One object groups them (``Services.admin``): contact points, staff, categories and delivery
problems. Every use case takes ``by`` — an administrator's user id, checked against their
scope, or the CLI's :class:`~services.admin_access.Operator` — and writes the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import col

from models.tables import ContactPoint, Staff
from services.admin_access import (
    By,
    Operator,
    Scope,
    acting,
    operator_for,
    point_clause,
    staff_clause,
)
from services.admin_points import AdminPoints
from services.admin_staff import AdminStaff
from services.categories import Categories
from services.context import Context
from services.delivery import Delivery


@dataclass(frozen=True)
class Overview:
    """The head of the administrator's menu: their scope and what needs a look."""

    region: str | None  # None: all regions
    points: int
    inactive_points: int
    staff: int
    suspended: int
    undelivered: int
    blocked: int


class Administration:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.points = AdminPoints(ctx)
        self.staff = AdminStaff(ctx)
        self.categories = Categories(ctx)
        self.delivery = Delivery(ctx)

    async def scope(self, by: By) -> Scope:
        """What the acting administrator may manage (refuses anyone else)."""
        async with self.ctx.db.read() as session:
            return await acting(session, by)

    async def overview(self, by: By) -> Overview:
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            points = (
                await session.execute(
                    select(col(ContactPoint.active), func.count())
                    .where(point_clause(scope))
                    .group_by(col(ContactPoint.active))
                )
            ).all()
            staff = (
                await session.execute(
                    select(col(Staff.active), func.count())
                    .where(staff_clause(scope), col(Staff.removed_at).is_(None))
                    .group_by(col(Staff.active))
                )
            ).all()
        by_point = {bool(active): int(n) for active, n in points}
        by_staff = {bool(active): int(n) for active, n in staff}
        dead = await self.delivery.dead(by, size=1)
        blocked = await self.delivery.blocked(by, size=1)
        return Overview(
            region=scope.region,
            points=by_point.get(True, 0),
            inactive_points=by_point.get(False, 0),
            staff=by_staff.get(True, 0),
            suspended=by_staff.get(False, 0),
            undelivered=dead.total,
            blocked=blocked.total,
        )

    async def operator(self, tg_id: int | None = None) -> Operator:
        """The CLI's operator, acting for the administrator with this Telegram id if given."""
        async with self.ctx.db.read() as session:
            return await operator_for(session, tg_id)
