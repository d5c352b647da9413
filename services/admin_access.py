"""Who may run the office, and over what: checked again in every administration use case.

An administrator acts in Telegram over their scope — everything (``Staff.region`` None) or one
region and everything under it (``芜湖市`` covers ``芜湖市/镜湖区``). The ``cpbot`` commands act
as the :class:`Operator` of the installation: everywhere, optionally on behalf of an
administrator for the audit log. Button data can be forged, so each use case loads the acting
person and the target again and refuses with :class:`~services.errors.NotAllowed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, AuditLog, Case, ContactPoint, Staff, User
from services.case_rules import OPEN
from services.errors import NotAllowed, NotFound
from services.staff import covers_region

PAGE_SIZE = 8


@dataclass(frozen=True)
class Operator:
    """The operator at the server (``cpbot``): acts everywhere as the office (the system).
    ``user_id`` names the administrator the command is run for (``--as``): it then acts
    within that administrator's rights — their region, never on themselves — so the audit
    log never shows them doing what they could not do in the bot."""

    user_id: int | None = None


# Who acts: an administrator's user id (Telegram), or the operator (the CLI).
By = int | Operator


@dataclass(frozen=True)
class Scope:
    """The acting administrator and what they may manage."""

    user_id: int | None  # for the audit log; None: the system
    staff_id: int | None
    region: str | None  # None: everywhere

    @property
    def everywhere(self) -> bool:
        return self.region is None

    def covers(self, region: str | None) -> bool:
        """Whether a point's or a person's region lies inside this scope (None: everywhere,
        which only an administrator of everything covers)."""
        if region is None:
            return self.region is None
        return covers_region(self.region, region)


async def acting(session: AsyncSession, by: By) -> Scope:
    """The scope of whoever acts; anyone but an active administrator is refused. The CLI
    acts everywhere, or (``--as``) exactly as far as the administrator it names may."""
    if isinstance(by, Operator):
        if by.user_id is None:
            return Scope(None, None, None)
        by = by.user_id
    staff = (
        await session.execute(select(Staff).where(col(Staff.user_id) == by, col(Staff.active)))
    ).scalar()
    if staff is None or staff.role != Role.ADMIN:
        raise NotAllowed("admin.only")
    return Scope(by, staff.id, staff.region)


async def operator_for(session: AsyncSession, tg_id: int | None) -> Operator:
    """The operator, acting for the administrator with Telegram id ``tg_id`` (if given)."""
    if tg_id is None:
        return Operator()
    row = (
        await session.execute(
            select(col(User.id))
            .join(Staff, col(Staff.user_id) == col(User.id))
            .where(col(User.tg_id) == tg_id, col(Staff.active), col(Staff.role) == Role.ADMIN)
        )
    ).scalar()
    if row is None:
        raise NotFound("admin.cli.not_admin", tg_id=tg_id)
    return Operator(int(row))


def point_clause(scope: Scope) -> ColumnElement[bool]:
    """Contact points inside the scope (a SQL condition on ``ContactPoint``)."""
    if scope.region is None:
        return true()
    return or_(
        col(ContactPoint.region) == scope.region,
        col(ContactPoint.region).startswith(scope.region + "/", autoescape=True),
    )


def points_in_scope(scope: Scope) -> Any:
    """The ids of the contact points inside the scope (a subquery)."""
    return select(col(ContactPoint.id)).where(point_clause(scope))


def region_clause(scope: Scope, column: Any) -> ColumnElement[bool]:
    """A region column (a person's scope) inside this scope; None is covered only by None."""
    if scope.region is None:
        return true()
    return or_(column == scope.region, column.startswith(scope.region + "/", autoescape=True))


def staff_clause(scope: Scope) -> ColumnElement[bool]:
    """Staff inside the scope: administrators and inspectors by their own region, cadres by
    the contact points they serve now."""
    if scope.region is None:
        return true()
    serves_here = exists().where(
        col(Assignment.staff_id) == col(Staff.id),
        col(Assignment.until).is_(None),
        col(Assignment.contact_point_id).in_(points_in_scope(scope)),
    )
    by_region = region_clause(scope, col(Staff.region))
    return or_(
        (col(Staff.role).in_((Role.ADMIN, Role.INSPECTOR)) & by_region),
        (col(Staff.role).not_in((Role.ADMIN, Role.INSPECTOR)) & (serves_here | by_region)),
    )


def check_point(scope: Scope, point: ContactPoint | None) -> ContactPoint:
    """The point, if it exists and lies in the scope."""
    if point is None:
        raise NotFound("admin.point.gone")
    if not scope.covers(point.region):
        raise NotAllowed("admin.out_of_scope")
    return point


async def check_staff(session: AsyncSession, scope: Scope, staff_id: int) -> Staff:
    """The staff member, if they exist and lie in the scope."""
    staff = await session.get(Staff, staff_id)
    if staff is None:
        raise NotFound("admin.staff.gone")
    if scope.everywhere:
        return staff
    inside = (
        await session.execute(
            select(col(Staff.id)).where(col(Staff.id) == staff_id, staff_clause(scope))
        )
    ).scalar()
    if inside is None:
        raise NotAllowed("admin.out_of_scope")
    return staff


def only_everywhere(scope: Scope) -> None:
    """What applies to every region (categories and deadlines) is for administrators of all."""
    if not scope.everywhere:
        raise NotAllowed("admin.everywhere_only")


def pages_of(total: int, page: int, size: int = PAGE_SIZE) -> tuple[int, int]:
    """The number of pages and the page clamped into them."""
    pages = max(1, -(-total // size))
    return pages, min(max(page, 0), pages - 1)


def open_clause() -> ColumnElement[bool]:
    """Cases still to be handled."""
    return col(Case.status).in_(tuple(OPEN))


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Open cases past a deadline: no first answer in time, or not resolved in time (the rule
    of ``CaseView.overdue``, as SQL)."""
    late_ack = col(Case.first_response_at).is_(None) & (col(Case.due_ack_at) < now)
    return open_clause() & (late_ack | (col(Case.due_resolve_at) < now))


async def case_load(
    session: AsyncSession, now: datetime, group: Any, *where: Any
) -> dict[int, tuple[int, int]]:
    """Open and overdue cases per ``group`` (a ``Case`` column), for the rows ``where`` picks."""
    overdue = func.sum(case((overdue_clause(now), 1), else_=0))
    rows = (
        await session.execute(
            select(group, func.count(), overdue).where(open_clause(), *where).group_by(group)
        )
    ).all()
    return {int(key): (int(n), int(late or 0)) for key, n, late in rows if key is not None}


async def audit_round(session: AsyncSession, action: str, target: str) -> int:
    """How many times ``action`` was done to ``target`` before: keys the messages of each
    time apart, so doing it again later is not mistaken for a repeat."""
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(AuditLog)
                .where(col(AuditLog.action) == action, col(AuditLog.target) == target)
            )
        ).scalar_one()
    )
