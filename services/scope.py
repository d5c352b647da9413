"""Where an official's view reaches: the contact points of a region, and the time zone their
months and years are counted in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, ContactPoint, Staff

DEFAULT_ZONE: str = ContactPoint.model_fields["tz"].default


def in_region(region: str) -> Any:
    """Contact points in ``region`` or below it (a sibling that merely starts alike is not)."""
    return or_(
        col(ContactPoint.region) == region, col(ContactPoint.region).startswith(region + "/")
    )


async def zone_of_scope(session: AsyncSession, staff: Staff) -> str:
    """Months and years are counted in the time zone of the contact points in view: a cadre's
    own points, an administrator's region; the most common one where they differ."""
    if staff.role == Role.ADMIN:
        return await zone_of_region(session, staff.region)
    stmt = (
        _zones()
        .join(Assignment, col(Assignment.contact_point_id) == col(ContactPoint.id))
        .where(col(Assignment.staff_id) == staff.id, col(Assignment.until).is_(None))
    )
    return await _most_common(session, stmt)


async def zone_of_region(session: AsyncSession, region: str | None) -> str:
    """The time zone most of the region's contact points keep (``None``: everywhere)."""
    stmt = _zones()
    if region:
        stmt = stmt.where(in_region(region))
    return await _most_common(session, stmt)


def _zones() -> Any:
    return select(col(ContactPoint.tz), func.count()).group_by(col(ContactPoint.tz))


async def _most_common(session: AsyncSession, stmt: Any) -> str:
    row = (await session.execute(stmt.order_by(func.count().desc()).limit(1))).first()
    return str(row[0]) if row else DEFAULT_ZONE
