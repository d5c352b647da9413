"""Who serves which point now: the open assignments, and a new primary when one leaves."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.tables import Assignment, ContactPoint, Staff, pk
from services.admin_staff.lines import ASSIGNABLE
from services.errors import Invalid


async def current(session: AsyncSession, staff_id: int, point_id: int) -> Assignment | None:
    return (
        await session.execute(
            select(Assignment).where(
                col(Assignment.staff_id) == staff_id,
                col(Assignment.contact_point_id) == point_id,
                col(Assignment.until).is_(None),
            )
        )
    ).scalar()


async def serving(session: AsyncSession, staff_id: int, point: ContactPoint) -> Assignment:
    """Their current assignment to ``point``; refused if they do not serve there."""
    found = await current(session, staff_id, pk(point))
    if found is None:
        raise Invalid("admin.staff.not_assigned", point=point.name)
    return found


async def assignments(session: AsyncSession, staff_id: int) -> list[Assignment]:
    rows = await session.execute(
        select(Assignment).where(
            col(Assignment.staff_id) == staff_id, col(Assignment.until).is_(None)
        )
    )
    return list(rows.scalars().all())


async def promote_next(session: AsyncSession, point_id: int) -> None:
    """A point whose primary cadre left gets its longest-serving active cadre as primary."""
    found = (
        (
            await session.execute(
                select(Assignment)
                .join(Staff, col(Staff.id) == col(Assignment.staff_id))
                .where(
                    col(Assignment.contact_point_id) == point_id,
                    col(Assignment.until).is_(None),
                    col(Staff.active),
                    col(Staff.role).in_(ASSIGNABLE),
                )
                .order_by(col(Assignment.is_primary).desc(), col(Assignment.since))
            )
        )
        .scalars()
        .first()
    )
    if found is not None and not found.is_primary:
        found.is_primary = True
        await session.flush()
