"""What every visits use case shares: the staff member, their assigned points, the region filter,
the policy in force, and the one way a staff member is told something.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, ContactPoint, Staff, User, pk
from models.visits import Visit, VisitPolicy
from services.context import Context
from services.errors import NotAllowed
from services.outbox import Button, Keyboard, enqueue, text_message
from services.staff import StaffLabel, covers_region, label_of
from services.texts import Texts
from services.visits.rules import (
    FANOUT_CHUNK,
    Policy,
)


@dataclass(frozen=True)
class PointRef:
    id: int
    code: str
    name: str
    address: str
    region: str
    tz: str
    radius_m: int
    has_location: bool

    @classmethod
    def of(cls, p: ContactPoint) -> PointRef:
        return cls(
            pk(p),
            p.code,
            p.name,
            p.address,
            p.region,
            p.tz,
            p.radius_m,
            p.lat is not None and p.lon is not None,
        )


@dataclass(frozen=True)
class CadreRef:
    staff_id: int
    name: str
    title: str


class VisitCases:
    """The context every group of visits use cases works in."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.texts = ctx.texts
        self.fanout_chunk = FANOUT_CHUNK


def region_filter(region: str | None) -> list[Any]:
    if region is None:
        return []
    return [
        or_(
            col(ContactPoint.region) == region,
            col(ContactPoint.region).startswith(region + "/", autoescape=True),
        )
    ]


async def staff_member(session: AsyncSession, user_id: int) -> Staff:
    staff = (
        await session.execute(select(Staff).where(col(Staff.user_id) == user_id, col(Staff.active)))
    ).scalar()
    if staff is None or staff.role not in (Role.CADRE, Role.ADMIN):
        raise NotAllowed("visits.staff_only")
    return staff


async def admin_member(session: AsyncSession, user_id: int) -> Staff:
    staff = await staff_member(session, user_id)
    if staff.role != Role.ADMIN:
        raise NotAllowed("visits.admins_only")
    return staff


async def assigned_points(
    session: AsyncSession, staff_id: int
) -> list[tuple[ContactPoint, datetime]]:
    """The active points a staff member serves now, primary first, with the assignment's start."""
    rows = (
        await session.execute(
            select(ContactPoint, col(Assignment.since))
            .join(Assignment, col(Assignment.contact_point_id) == col(ContactPoint.id))
            .where(
                col(Assignment.staff_id) == staff_id,
                col(Assignment.until).is_(None),
                col(ContactPoint.active),
            )
            .order_by(col(Assignment.is_primary).desc(), col(ContactPoint.name))
        )
    ).all()
    return [(point, since) for point, since in rows]


async def assigned_point(
    session: AsyncSession, staff_id: int, point_id: int
) -> tuple[ContactPoint, datetime]:
    for point, since in await assigned_points(session, staff_id):
        if point.id == point_id:
            return point, since
    raise NotAllowed("visits.not_your_point")


async def assigned_since(session: AsyncSession, staff_id: int, point_id: int) -> datetime | None:
    return (
        await session.execute(
            select(func.min(col(Assignment.since))).where(
                col(Assignment.staff_id) == staff_id,
                col(Assignment.contact_point_id) == point_id,
                col(Assignment.until).is_(None),
            )
        )
    ).scalar()


async def is_assigned(session: AsyncSession, staff_id: int, point_id: int) -> bool:
    return await assigned_since(session, staff_id, point_id) is not None


async def open_visit_of(session: AsyncSession, staff_id: int) -> tuple[Visit, ContactPoint] | None:
    row = (
        await session.execute(
            select(Visit, ContactPoint)
            .join(ContactPoint, col(ContactPoint.id) == col(Visit.contact_point_id))
            .where(col(Visit.staff_id) == staff_id, col(Visit.ended_at).is_(None))
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def policies_of(session: AsyncSession, point_ids: Iterable[int]) -> dict[int, Policy]:
    ids = list(point_ids)
    scopes = ["default", *(f"point:{i}" for i in ids)]
    rows = {
        row.scope: row
        for row in (
            await session.execute(select(VisitPolicy).where(col(VisitPolicy.scope).in_(scopes)))
        ).scalars()
    }
    fallback = Policy.of(rows["default"]) if "default" in rows else Policy()
    return {i: Policy.of(rows[f"point:{i}"]) if f"point:{i}" in rows else fallback for i in ids}


async def active_points(session: AsyncSession) -> list[tuple[str, str]]:
    rows = (
        await session.execute(
            select(col(ContactPoint.tz), col(ContactPoint.region)).where(col(ContactPoint.active))
        )
    ).all()
    return [(str(tz), str(region)) for tz, region in rows]


async def admins(session: AsyncSession) -> list[tuple[int, str | None]]:
    rows = (
        await session.execute(
            select(col(Staff.id), col(Staff.region)).where(
                col(Staff.active), col(Staff.role) == Role.ADMIN
            )
        )
    ).all()
    return [(int(i or 0), r) for i, r in rows]


async def admins_of(session: AsyncSession, region: str) -> list[tuple[int, int, str, int]]:
    """The administrators over a point's region — or, when none covers it, all of them:
    (staff id, chat id, locale, user id)."""
    rows = (
        await session.execute(
            select(
                col(Staff.id), col(Staff.region), col(User.chat_id), col(User.locale), col(User.id)
            )
            .join(User, col(User.id) == col(Staff.user_id))
            .where(col(Staff.active), col(Staff.role) == Role.ADMIN)
            .order_by(col(Staff.id))
        )
    ).all()
    covering = [r for r in rows if covers_region(r[1], region)]
    return [(int(r[0] or 0), int(r[2]), str(r[3]), int(r[4] or 0)) for r in covering or rows]


async def tell_staff(
    texts: Texts,
    session: AsyncSession,
    staff_id: int,
    outbox_key: str,
    now: datetime,
    key: str,
    buttons: Sequence[tuple[str, str]] = (),
    **params: Any,
) -> StaffLabel:
    """A message to a staff member in their language, with a row of (label key, action)
    buttons; a parameter may be a function of the locale. Returns who they are."""
    person = await label_of(session, staff_id)
    keyboard: Keyboard = [
        [Button(texts(person.locale, label), action) for label, action in buttons]
    ]
    localized = {k: v(person.locale) if callable(v) else v for k, v in params.items()}
    await enqueue(
        session,
        now,
        key=outbox_key,
        chat_id=person.chat_id,
        payload=text_message(texts(person.locale, key, **localized), keyboard if buttons else None),
        recipient_user_id=person.user_id,
    )
    return person
