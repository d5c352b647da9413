"""The monthly compliance figures: per point and cadre, for a region, for /stats and the summary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, ContactPoint, Staff, User, pk
from models.visits import Pairing, PairingContact
from services.visits.progress import (
    all_counts,
)
from services.visits.rules import (
    DayCounts,
    day_start,
    duty_start,
    expected_by,
    month_after,
    month_first,
    months_of_duty,
    obliged,
    year_target,
)
from services.visits.shared import (
    CadreRef,
    PointRef,
    VisitCases,
    policies_of,
    region_filter,
)


@dataclass(frozen=True)
class ComplianceRow:
    point: PointRef
    cadre: CadreRef | None  # None: no cadre served the point that month
    obliged: bool
    required: int
    days: int  # counted visit days in the month
    verified_days: int
    year_days: int  # counted, from 1 January to the month's end
    year_target: int
    year_expected: int  # by the month's end
    pairings: int
    pairings_contacted: int
    duty_from: date | None = None  # the first day of the cadre's first month of duty

    @property
    def met(self) -> bool:
        return self.days >= self.required

    @property
    def behind(self) -> bool:
        return self.year_days < self.year_expected


@dataclass(frozen=True)
class Compliance:
    """The visit figures of one month, per point and cadre, for a region (None: everywhere)."""

    region: str | None
    year: int
    month: int
    rows: list[ComplianceRow] = field(default_factory=list)

    @property
    def obliged_rows(self) -> list[ComplianceRow]:
        return [r for r in self.rows if r.cadre is not None and r.obliged]

    @property
    def met(self) -> int:
        return sum(1 for r in self.obliged_rows if r.met)

    @property
    def new_rows(self) -> list[ComplianceRow]:
        """Cadres in their first, partial month: listed, not yet owing visits."""
        return [r for r in self.rows if r.cadre is not None and not r.obliged]


class ComplianceCases(VisitCases):
    # ---- compliance ----------------------------------------------------------------------------

    async def compliance(self, scope_region: str | None, year: int, month: int) -> Compliance:
        """The month's figures per point and cadre in a region (None: everywhere)."""
        async with self.ctx.db.read() as session:
            return await compliance_of(session, scope_region, year, month)


async def compliance_of(
    session: AsyncSession, region: str | None, year: int, month: int
) -> Compliance:
    first, after = month_first(year, month), month_after(year, month)
    points = list(
        (
            await session.execute(
                select(ContactPoint)
                .where(col(ContactPoint.active), *region_filter(region))
                .order_by(col(ContactPoint.region), col(ContactPoint.code))
            )
        ).scalars()
    )
    # A point counts from the month it was set up: no figures, and so no monthly summary,
    # for a month before it existed.
    points = [p for p in points if p.created_at < day_start(after, p.tz)]
    if not points:
        return Compliance(region, year, month)
    by_id = {pk(p): p for p in points}
    policies = await policies_of(session, by_id)
    # Cadres who served at each point during the month (their assignments overlap it).
    served: dict[int, dict[int, datetime]] = defaultdict(dict)
    names: dict[int, CadreRef] = {}
    rows = (
        await session.execute(
            select(Assignment, Staff, User)
            .join(Staff, col(Staff.id) == col(Assignment.staff_id))
            .join(User, col(User.id) == col(Staff.user_id))
            .where(
                col(Assignment.contact_point_id).in_(list(by_id)),
                col(Staff.role) == Role.CADRE,
            )
        )
    ).all()
    for assignment, staff, user in rows:
        point = by_id[assignment.contact_point_id]
        start, end = day_start(first, point.tz), day_start(after, point.tz)
        if assignment.since >= end or (assignment.until is not None and assignment.until <= start):
            continue
        if not staff.active and (staff.removed_at is None or staff.removed_at <= start):
            continue
        known = served[pk(point)].get(pk(staff))
        served[pk(point)][pk(staff)] = min(assignment.since, known or assignment.since)
        names[pk(staff)] = CadreRef(pk(staff), user.name, staff.title)
    month_counts = await all_counts(session, first, after)
    year_counts = await all_counts(session, date(year, 1, 1), after)
    pairings = (
        await session.execute(
            select(Pairing).where(
                col(Pairing.contact_point_id).in_(list(by_id)),
                or_(
                    col(Pairing.ended_at).is_(None),
                    col(Pairing.ended_at)
                    >= datetime.combine(first, time(0), tzinfo=UTC) - timedelta(days=1),
                ),
            )
        )
    ).scalars()
    live: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pairing in pairings:
        point = by_id[pairing.contact_point_id]
        start, end = day_start(first, point.tz), day_start(after, point.tz)
        if pairing.created_at < end and (pairing.ended_at is None or pairing.ended_at > start):
            live[(pairing.staff_id, pairing.contact_point_id)].append(pk(pairing))
    all_ids = [i for ids in live.values() for i in ids]
    contacted: set[int] = set()
    if all_ids:
        contacted = set(
            (
                await session.execute(
                    select(col(PairingContact.pairing_id))
                    .where(
                        col(PairingContact.pairing_id).in_(all_ids),
                        col(PairingContact.day) >= first,
                        col(PairingContact.day) < after,
                    )
                    .distinct()
                )
            ).scalars()
        )
    report: list[ComplianceRow] = []
    for point in points:
        policy, ref = policies[pk(point)], PointRef.of(point)
        cadres = served.get(pk(point), {})
        if not cadres:
            report.append(
                ComplianceRow(ref, None, False, policy.visits_per_month, 0, 0, 0, 0, 0, 0, 0)
            )
            continue
        for staff_id, since in sorted(cadres.items(), key=lambda kv: names[kv[0]].name):
            mc = month_counts.get((staff_id, pk(point)), DayCounts())
            yc = year_counts.get((staff_id, pk(point)), DayCounts())
            ids = live.get((staff_id, pk(point)), [])
            report.append(
                ComplianceRow(
                    point=ref,
                    cadre=names[staff_id],
                    obliged=obliged(since, point.tz, year, month),
                    duty_from=duty_start(since, point.tz),
                    required=policy.visits_per_month,
                    days=mc.counted(policy),
                    verified_days=mc.verified,
                    year_days=yc.counted(policy),
                    year_target=year_target(
                        policy.days_per_year, months_of_duty(since, point.tz, year, 12)
                    ),
                    year_expected=expected_by(
                        policy.days_per_year, months_of_duty(since, point.tz, year, month)
                    ),
                    pairings=len(ids),
                    pairings_contacted=sum(1 for i in ids if i in contacted),
                )
            )
    return Compliance(region, year, month, report)
