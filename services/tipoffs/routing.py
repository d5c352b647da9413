"""Which inspector a tip-off goes to: one of the contact point's region, the least loaded,
never one the report names — never a cadre or an administrator — and handing reports on when
their inspector leaves or the first inspector of a region joins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import ContactPoint, Staff, pk
from models.tipoffs import TipOff
from services.audit import audit
from services.errors import NotAllowed
from services.staff import covers_region
from services.tipoffs.views import OPEN

# Sends a report's card (with what the reporter sent, by file id) to its new inspector.
HandOn = Callable[[AsyncSession, TipOff, datetime], Awaitable[None]]


async def choose_inspector(
    session: AsyncSession, point: ContactPoint, excluded: set[int]
) -> int | None:
    """An inspector of the point's region, the least loaded, never one the report names;
    else an inspector with no region (everywhere). Never a cadre or an administrator."""
    load = (
        select(func.count())
        .select_from(TipOff)
        .where(col(TipOff.assignee_id) == col(Staff.id), col(TipOff.status).in_(OPEN))
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(col(Staff.id), col(Staff.region))
            .where(col(Staff.role) == Role.INSPECTOR, col(Staff.active))
            .order_by(load, col(Staff.id))
        )
    ).all()
    candidates = [(sid, region) for sid, region in rows if sid is not None and sid not in excluded]
    for staff_id, region in candidates:
        if region and covers_region(region, point.region):
            return staff_id
    for staff_id, region in candidates:
        if region is None:
            return staff_id
    return None


async def inspector_of(session: AsyncSession, user_id: int) -> Staff:
    """The acting inspector, or a refusal for anyone else."""
    staff = (
        await session.execute(select(Staff).where(col(Staff.user_id) == user_id, col(Staff.active)))
    ).scalar()
    if staff is None or staff.role != Role.INSPECTOR:
        raise NotAllowed("tipoff.inspectors_only")
    return staff


async def route_waiting_in(session: AsyncSession, now: datetime, hand_on: HandOn) -> int:
    """Hand every open report without an active inspector to one (a report filed before any
    inspector of its region joined, or whose inspector was suspended or removed), inside the
    caller's transaction. Returns how many moved."""
    moved = 0
    waiting = (
        (
            await session.execute(
                select(TipOff)
                .outerjoin(Staff, col(Staff.id) == col(TipOff.assignee_id))
                .where(
                    col(TipOff.status).in_(OPEN),
                    or_(col(TipOff.assignee_id).is_(None), not_(col(Staff.active))),
                )
                .order_by(col(TipOff.id))
                .with_for_update(skip_locked=True, of=TipOff)
            )
        )
        .scalars()
        .all()
    )
    for tip in waiting:
        point = await session.get(ContactPoint, tip.contact_point_id)
        assert point is not None
        new = await choose_inspector(session, point, set(tip.concerns or []))
        if new is None:
            continue
        before, tip.assignee_id = tip.assignee_id, new
        await session.flush()  # the next report's choice sees this one's load
        audit(
            session,
            now,
            None,
            "tipoff:route",
            f"tipoff:{pk(tip)}",
            from_staff=before,
            to_staff=new,
        )
        await hand_on(session, tip, now)
        moved += 1
    return moved
