"""Whose figures a report holds: a cadre's own points, an administrator's area (or a region
or point inside it), or — from the CLI — any region or point."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, ContactPoint, Staff, pk
from services.case_access import active_staff
from services.errors import NotFound
from services.points import find_by_code
from services.scope import in_region, zone_of_region, zone_of_scope
from services.staff import covers_region


@dataclass(frozen=True)
class ReportScope:
    """A set of contact points: ``point_ids`` when listed, else the points of ``region``
    (None: everywhere). ``label`` names it for people ("" is everywhere)."""

    label: str
    zone: str
    region: str | None = None
    point_ids: tuple[int, ...] | None = None
    for_cadre: bool = False
    codes: tuple[str, ...] = ()  # the listed points' codes (for the command line's words)

    def cli_args(self) -> str:
        """The ``cpbot report`` options that make this scope's report (the office's tool)."""
        if self.codes:
            return "".join(f" --point {shlex.quote(code)}" for code in self.codes)
        return f" --region {shlex.quote(self.region)}" if self.region else ""

    def points_filter(self) -> list[Any]:
        """Conditions on ``ContactPoint`` that keep a query inside the scope."""
        if self.point_ids is not None:
            return [col(ContactPoint.id).in_(self.point_ids or (-1,))]
        return [in_region(self.region)] if self.region else []

    def holds(self, point_id: int, point_region: str) -> bool:
        if self.point_ids is not None:
            return point_id in self.point_ids
        return covers_region(self.region, point_region)


async def _point_scope(session: AsyncSession, code: str) -> tuple[ContactPoint, ReportScope]:
    point = await find_by_code(session, code)
    if point is None:
        raise NotFound("report.no_such_scope", scope=code)
    label = f"{point.name} ({point.code})"
    return point, ReportScope(label, point.tz, point.region, (pk(point),), codes=(point.code,))


async def _region_scope(session: AsyncSession, spec: str) -> ReportScope:
    region = "/".join(part.strip() for part in spec.split("/") if part.strip())
    exists = (
        await session.execute(
            select(func.count()).select_from(ContactPoint).where(in_region(region))
        )
    ).scalar_one()
    if not region or not exists:
        raise NotFound("report.no_such_scope", scope=spec)
    return ReportScope(region, await zone_of_region(session, region), region)


async def reader_scope(session: AsyncSession, user_id: int, spec: str | None) -> ReportScope:
    """What a staff member may see. A cadre: the points they serve now (``spec`` ignored).
    An administrator: their area, or one point or region inside it."""
    staff = await active_staff(session, user_id)
    if staff.role != Role.ADMIN:
        ids = (
            await session.execute(
                select(col(Assignment.contact_point_id)).where(
                    col(Assignment.staff_id) == staff.id, col(Assignment.until).is_(None)
                )
            )
        ).scalars()
        point_ids = tuple(sorted(set(ids)))
        codes = (
            await session.execute(
                select(col(ContactPoint.code))
                .where(col(ContactPoint.id).in_(point_ids or (-1,)))
                .order_by(col(ContactPoint.code))
            )
        ).scalars()
        zone = await zone_of_scope(session, staff)
        return ReportScope("", zone, None, point_ids, for_cadre=True, codes=tuple(codes))
    spec = (spec or "").strip()
    if not spec:
        return ReportScope(
            staff.region or "", await zone_of_region(session, staff.region), staff.region
        )
    if await find_by_code(session, spec) is not None:
        point, scope = await _point_scope(session, spec)
        if not covers_region(staff.region, point.region):
            raise NotFound("report.no_such_scope", scope=spec)
        return scope
    scope = await _region_scope(session, spec)
    if not covers_region(staff.region, scope.region or ""):
        raise NotFound("report.no_such_scope", scope=spec)
    return scope


async def office_scope(
    session: AsyncSession, *, region: str | None = None, points: Sequence[str] = ()
) -> ReportScope:
    """The CLI speaks for the office: any points or region, or everywhere."""
    if len(points) == 1:
        return (await _point_scope(session, points[0]))[1]
    if points:
        found = [(await _point_scope(session, code))[0] for code in dict.fromkeys(points)]
        codes = tuple(p.code for p in found)
        ids = tuple(sorted({pk(p) for p in found}))
        return ReportScope(", ".join(codes), found[0].tz, None, ids, codes=codes)
    if region:
        return await _region_scope(session, region)
    return ReportScope("", await zone_of_region(session, None), None)


async def admins_scope(session: AsyncSession, staff: Staff) -> ReportScope:
    """An administrator's whole area (the scheduled monthly report)."""
    return ReportScope(
        staff.region or "", await zone_of_region(session, staff.region), staff.region
    )
