"""Who may see and act on a case — checked in every use case, since button data can be forged."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Staff
from services.errors import NotAllowed, NotFound
from services.staff import covers_region
from services.views import CaseView, must_view


async def active_staff(session: AsyncSession, user_id: int) -> Staff:
    """The acting cadre or administrator; anyone else is refused."""
    staff = (
        await session.execute(select(Staff).where(col(Staff.user_id) == user_id, col(Staff.active)))
    ).scalar()
    if staff is None or staff.role not in (Role.CADRE, Role.ADMIN):
        raise NotAllowed("staff.only")
    return staff


async def staff_case(session: AsyncSession, user_id: int, case_id: int) -> tuple[CaseView, Staff]:
    """The case, if this staff member may act on it: its assignee, or an administrator whose
    region covers its contact point."""
    staff = await active_staff(session, user_id)
    view = await must_view(session, case_id)
    allowed = view.assignee_id == staff.id or (
        staff.role == Role.ADMIN and covers_region(staff.region, view.point_region)
    )
    if not allowed:
        if staff.role == Role.ADMIN:  # an administrator's limit is their region, not assignment
            raise NotAllowed("case.outside_area", no=view.public_no)
        raise NotAllowed("case.not_assigned", no=view.public_no)
    return view, staff


async def resident_case(session: AsyncSession, user_id: int, case_id: int) -> CaseView:
    """The case, if it is this resident's own. Anyone else's looks like no case at all."""
    view = await must_view(session, case_id)
    if view.resident_id != user_id:
        raise NotFound("case.not_found")
    return view
