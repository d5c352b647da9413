"""The visit policy in force: per contact point or the default, set by administrators in the
menu (/admin → Visit rules) or by the operator on the command line (``cpbot visits policy``);
every change is audited as ``visits:policy``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from models.tables import ContactPoint
from models.visits import VisitPolicy
from services.admin_access import By, Operator
from services.audit import audit
from services.errors import Invalid, NotAllowed, NotFound
from services.staff import covers_region
from services.visits.rules import Policy
from services.visits.shared import (
    VisitCases,
    admin_member,
    policies_of,
)

# What may be set, and its bounds (a month has at most 31 visit days, a year 366).
LIMITS = {
    "visits_per_month": (0, 31),
    "days_per_year": (0, 366),
    "notice_days": (0, 30),
}


def checked(policy: Policy) -> Policy:
    """The policy, if every value lies within its bounds; else the refusal says the bounds."""
    for name, (low, high) in LIMITS.items():
        if not low <= getattr(policy, name) <= high:
            raise Invalid("visits.policy.bad")
    return policy


class PolicyCases(VisitCases):
    async def policy(self, point_id: int) -> Policy:
        async with self.ctx.db.read() as session:
            return (await policies_of(session, [point_id]))[point_id]

    async def default_policy(self) -> Policy:
        """The rule for points without their own (the built-in one until an administrator
        sets it)."""
        async with self.ctx.db.read() as session:
            row = (
                await session.execute(
                    select(VisitPolicy).where(col(VisitPolicy.scope) == "default")
                )
            ).scalar()
            return Policy() if row is None else Policy.of(row)

    async def change_policy(self, by: By, point_id: int | None, **changes: Any) -> Policy:
        """Change some values of a point's rule or of the default (``point_id`` None), keeping
        the others as they are in force now."""
        unknown = set(changes) - {*LIMITS, "count_unverified"}
        if unknown:
            raise Invalid("visits.policy.bad")
        current = await (self.default_policy() if point_id is None else self.policy(point_id))
        new = checked(replace(current, **changes))
        return await self.set_policy(
            by,
            point_id,
            visits_per_month=new.visits_per_month,
            days_per_year=new.days_per_year,
            count_unverified=new.count_unverified,
            notice_days=new.notice_days,
        )

    async def set_policy(
        self,
        by: By,
        point_id: int | None,
        *,
        visits_per_month: int,
        days_per_year: int,
        count_unverified: bool = Policy.count_unverified,
        notice_days: int = Policy.notice_days,
    ) -> Policy:
        """Set the rule for one point, or the global default (``point_id`` None). ``by`` is an
        administrator's user id (one with a region may only set their points') or the operator
        at the server (the CLI: everywhere)."""
        checked(Policy(visits_per_month, days_per_year, count_unverified, notice_days))
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            if isinstance(by, Operator):
                actor, region = by.user_id, None
            else:
                actor, region = by, (await admin_member(session, by)).region
            if point_id is None:
                if region is not None:
                    raise NotAllowed("visits.admins_only")
                scope = "default"
            else:
                point = await session.get(ContactPoint, point_id)
                if point is None:
                    raise NotFound("visits.point_gone")
                if not covers_region(region, point.region):
                    raise NotAllowed("visits.pair.out_of_scope")
                scope = f"point:{point_id}"
            values: dict[str, Any] = {
                "visits_per_month": visits_per_month,
                "days_per_year": days_per_year,
                "count_unverified": count_unverified,
                "notice_days": notice_days,
            }
            row = (
                await session.execute(select(VisitPolicy).where(col(VisitPolicy.scope) == scope))
            ).scalar()
            if row is None:
                row = VisitPolicy(scope=scope, contact_point_id=point_id, updated_at=now, **values)
                session.add(row)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at, row.updated_by_user_id = now, actor
            audit(session, now, actor, "visits:policy", scope, **values)
            return Policy.of(row)
