"""The visit policy in force: per contact point or the default, set by administrators."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import col

from models.tables import ContactPoint
from models.visits import VisitPolicy
from services.audit import audit
from services.errors import Invalid, NotAllowed, NotFound
from services.staff import covers_region
from services.visits.rules import (
    DEFAULT_COUNT_UNVERIFIED,
    DEFAULT_NOTICE_DAYS,
    Policy,
)
from services.visits.shared import (
    VisitCases,
    admin_member,
    policies_of,
)


class PolicyCases(VisitCases):
    async def policy(self, point_id: int) -> Policy:
        async with self.ctx.db.read() as session:
            return (await policies_of(session, [point_id]))[point_id]

    async def set_policy(
        self,
        admin_user_id: int,
        point_id: int | None,
        *,
        visits_per_month: int,
        days_per_year: int,
        count_unverified: bool = DEFAULT_COUNT_UNVERIFIED,
        notice_days: int = DEFAULT_NOTICE_DAYS,
    ) -> Policy:
        """Set the rule for one point, or the global default (``point_id`` None; an
        administrator with a region may only set their points')."""
        if not (0 <= visits_per_month <= 31 and 0 <= days_per_year <= 366):
            raise Invalid("visits.policy.bad")
        if not 0 <= notice_days <= 30:
            raise Invalid("visits.policy.bad")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            admin = await admin_member(session, admin_user_id)
            if point_id is None:
                if admin.region is not None:
                    raise NotAllowed("visits.admins_only")
                scope = "default"
            else:
                point = await session.get(ContactPoint, point_id)
                if point is None:
                    raise NotFound("visits.point_gone")
                if not covers_region(admin.region, point.region):
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
            row.updated_at, row.updated_by_user_id = now, admin_user_id
            audit(session, now, admin_user_id, "visits:policy", scope, **values)
            return Policy.of(row)
