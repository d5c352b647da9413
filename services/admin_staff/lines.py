"""A staff member as an administrator sees them (role, points, load), read in one place."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, Case, ContactPoint, Staff, User, pk
from services.admin_access import case_load
from services.context import Context

ACTIVE, SUSPENDED, REMOVED = "active", "suspended", "removed"
ASSIGNABLE = (Role.CADRE, Role.ADMIN)


@dataclass(frozen=True)
class StaffPoint:
    point_id: int
    code: str
    name: str
    primary: bool


@dataclass(frozen=True)
class StaffLine:
    """A staff member as an administrator sees them: role, points and load."""

    id: int
    user_id: int
    name: str
    title: str
    role: str
    region: str | None
    status: str  # ACTIVE, SUSPENDED or REMOVED
    points: list[StaffPoint]
    open_cases: int
    overdue: int


@dataclass(frozen=True)
class StaffPage:
    staff: list[StaffLine]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class Rerouted:
    """Someone's access ended: who, and where their open cases went."""

    staff: StaffLine
    cases: int  # open cases re-routed
    unowned: int  # of which nobody could take (they wait in the administrators' /cases)


def status_of(staff: Staff) -> str:
    if staff.removed_at is not None:
        return REMOVED
    return ACTIVE if staff.active else SUSPENDED


async def staff_line(ctx: Context, session: AsyncSession, staff: Staff) -> StaffLine:
    user = await session.get(User, staff.user_id)
    assert user is not None
    return (await staff_lines(ctx, session, [(staff, user)]))[0]


async def staff_lines(
    ctx: Context, session: AsyncSession, rows: list[tuple[Staff, User]]
) -> list[StaffLine]:
    ids = [pk(staff) for staff, _ in rows]
    if not ids:
        return []
    assigned = (
        await session.execute(
            select(
                col(Assignment.staff_id),
                col(ContactPoint.id),
                col(ContactPoint.code),
                col(ContactPoint.name),
                col(Assignment.is_primary),
            )
            .join(ContactPoint, col(ContactPoint.id) == col(Assignment.contact_point_id))
            .where(col(Assignment.staff_id).in_(ids), col(Assignment.until).is_(None))
            .order_by(col(Assignment.is_primary).desc(), col(ContactPoint.name))
        )
    ).all()
    points: dict[int, list[StaffPoint]] = {}
    for staff_id, point_id, code, name, primary in assigned:
        if point_id is not None:
            points.setdefault(int(staff_id), []).append(
                StaffPoint(point_id, str(code), str(name), bool(primary))
            )
    load = await case_load(
        session, ctx.clock.now(), col(Case.assignee_id), col(Case.assignee_id).in_(ids)
    )
    return [
        StaffLine(
            id=pk(staff),
            user_id=pk(user),
            name=user.name,
            title=staff.title,
            role=staff.role,
            region=staff.region,
            status=status_of(staff),
            points=points.get(pk(staff), []),
            open_cases=load.get(pk(staff), (0, 0))[0],
            overdue=load.get(pk(staff), (0, 0))[1],
        )
        for staff, user in rows
    ]
