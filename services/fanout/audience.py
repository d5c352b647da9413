"""Who may address whom, and the residents an audience reaches.

Cadres address the points they are assigned to; administrators anything within their region
scope; the office (the CLI, no user) everywhere. ``feature`` names the catalog section whose
refusals are shown (``notices``, ``consult``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, ContactPoint, Residency, Staff, User, pk
from services.errors import Invalid, NotAllowed
from services.staff import covers_region
from services.texts import esc

AUDIENCE_KINDS = ("all", "regions", "points")

# The refusals each feature shows, by the feature's catalog section.
REFUSALS: dict[str, dict[str, str]] = {
    "notices": {
        "staff_only": "notices.staff_only",
        "region_refused": "notices.region_refused",
        "point_refused": "notices.point_refused",
        "point_code_refused": "notices.point_code_refused",
        "no_audience": "notices.no_audience",
    },
    "consult": {
        "staff_only": "consult.staff_only",
        "region_refused": "consult.region_refused",
        "point_refused": "consult.point_refused",
        "point_code_refused": "consult.point_code_refused",
        "no_audience": "consult.no_audience",
    },
}


@dataclass(frozen=True)
class Audience:
    """Who a message is for: everyone the author may reach, some regions, or some points."""

    kind: str = "all"
    regions: tuple[str, ...] = ()
    point_ids: tuple[int, ...] = ()
    point_codes: tuple[str, ...] = ()  # the CLI names points by code

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "regions": list(self.regions),
            "point_ids": list(self.point_ids),
            "point_codes": list(self.point_codes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            str(data.get("kind", "all")),
            tuple(str(r) for r in data.get("regions") or ()),
            tuple(int(i) for i in data.get("point_ids") or ()),
            tuple(str(c) for c in data.get("point_codes") or ()),
        )


@dataclass
class Rights:
    """Who is composing and what they may address (None user: the office, from the CLI)."""

    user_id: int | None
    chat_id: int | None
    locale: str
    name: str
    title: str
    is_admin: bool
    region: str | None  # an administrator's scope; None means everywhere
    point_ids: frozenset[int] | None = None  # a cadre's current points
    extra: dict[str, Any] = field(default_factory=dict)


async def rights_of(
    session: AsyncSession, user_id: int | None, default_locale: str, feature: str = "notices"
) -> Rights:
    """The composing rights of a staff member; residents and inspectors are refused."""
    if user_id is None:
        return Rights(None, None, default_locale, "", "", True, None)
    row = (
        await session.execute(
            select(User, Staff)
            .join(Staff, col(Staff.user_id) == col(User.id), isouter=True)
            .where(col(User.id) == user_id)
        )
    ).first()
    if row is None:
        raise NotAllowed(REFUSALS[feature]["staff_only"])
    user, staff = row
    if staff is None or not staff.active or staff.role not in (Role.CADRE, Role.ADMIN):
        raise NotAllowed(REFUSALS[feature]["staff_only"])
    rights = Rights(
        user_id,
        user.chat_id,
        user.locale,
        user.name,
        staff.title,
        staff.role == Role.ADMIN,
        staff.region if staff.role == Role.ADMIN else None,
    )
    if not rights.is_admin:
        rights.point_ids = frozenset(
            (
                await session.execute(
                    select(col(Assignment.contact_point_id)).where(
                        col(Assignment.staff_id) == staff.id, col(Assignment.until).is_(None)
                    )
                )
            )
            .scalars()
            .all()
        )
    return rights


async def may_manage(
    session: AsyncSession,
    user_id: int | None,
    author_user_id: int | None,
    regions: Callable[[], Awaitable[list[str]]],
    default_locale: str,
) -> bool:
    """Whether ``user_id`` may follow or stop what ``author_user_id`` sent: the author, the
    office (no user), or an administrator whose region covers every region it went to."""
    if user_id is None or user_id == author_user_id:
        return True
    try:
        rights = await rights_of(session, user_id, default_locale)
    except NotAllowed:
        return False
    if not rights.is_admin:
        return False
    return all(covers_region(rights.region, r) for r in await regions())


async def scope_points(session: AsyncSession, rights: Rights) -> list[ContactPoint]:
    """The active points these rights may address, by region and code."""
    points = (
        (
            await session.execute(
                select(ContactPoint)
                .where(col(ContactPoint.active))
                .order_by(col(ContactPoint.region), col(ContactPoint.code))
            )
        )
        .scalars()
        .all()
    )
    if rights.point_ids is not None:
        return [p for p in points if p.id in rights.point_ids]
    return [p for p in points if covers_region(rights.region, p.region)]


def pick(
    scope: Sequence[ContactPoint], audience: Audience, feature: str = "notices"
) -> list[ContactPoint]:
    """The points of ``scope`` an audience names; naming anything outside it is refused."""
    if audience.kind == "all":
        chosen = list(scope)
    elif audience.kind == "regions":
        chosen = []
        for region in audience.regions:
            matched = [p for p in scope if covers_region(region, p.region)]
            if not matched:
                raise NotAllowed(REFUSALS[feature]["region_refused"], region=esc(region[:60]))
            chosen += [p for p in matched if p not in chosen]
    elif audience.kind == "points":
        by_id = {pk(p): p for p in scope}
        by_code = {p.code.lower(): p for p in scope}
        chosen = []
        for point_id in audience.point_ids:
            if point_id not in by_id:
                raise NotAllowed(REFUSALS[feature]["point_refused"])
            chosen.append(by_id[point_id])
        for code in audience.point_codes:
            if code.lower() not in by_code:
                raise NotAllowed(REFUSALS[feature]["point_code_refused"], code=esc(code[:32]))
            chosen.append(by_code[code.lower()])
        chosen = list({pk(p): p for p in chosen}.values())
    else:
        raise Invalid(REFUSALS[feature]["no_audience"])
    if not chosen:
        raise Invalid(REFUSALS[feature]["no_audience"])
    return chosen


async def count_residents(session: AsyncSession, point_ids: list[int]) -> tuple[int, int]:
    """Residents of these points, and how many of them are known to have blocked the bot."""
    if not point_ids:
        return 0, 0
    total, blocked = (
        await session.execute(
            select(func.count(), func.count(col(User.blocked_at)))
            .select_from(Residency)
            .join(User, col(User.id) == col(Residency.user_id))
            .where(col(Residency.contact_point_id).in_(point_ids))
        )
    ).one()
    return int(total), int(blocked)


async def contacts(session: AsyncSession, user_ids: list[int]) -> dict[int, tuple[int, str, bool]]:
    """Chat id, language and whether they blocked the bot, for each of ``user_ids``."""
    if not user_ids:
        return {}
    rows = (
        await session.execute(
            select(
                col(User.id), col(User.chat_id), col(User.locale), col(User.blocked_at).is_not(None)
            ).where(col(User.id).in_(user_ids))
        )
    ).all()
    return {
        int(uid or 0): (int(chat), str(locale), bool(blocked))
        for uid, chat, locale, blocked in rows
    }


async def residents_after(
    session: AsyncSession, points: set[int], cursor: int, size: int, scan: int
) -> tuple[list[int], int, bool]:
    """The next ``size`` residents of ``points`` after ``cursor`` (looking at no more than
    ``scan`` residents): their ids, the new cursor, and whether the walk is over.

    Residents are walked in id order on the unique index and filtered by point: every resident
    is looked at once over the whole fan-out, whatever the audience (a point filter first would
    sort all of a point's residents each chunk)."""
    scanned = (
        await session.execute(
            select(col(Residency.user_id), col(Residency.contact_point_id))
            .where(col(Residency.user_id) > cursor)
            .order_by(col(Residency.user_id))
            .limit(scan)
        )
    ).all()
    wanted: list[int] = []
    for user_id, point in scanned:
        if len(wanted) == size:
            break
        cursor = int(user_id)
        if point in points:
            wanted.append(cursor)
    done = len(scanned) < scan and cursor == (int(scanned[-1][0]) if scanned else cursor)
    return wanted, cursor, done
