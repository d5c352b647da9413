"""Administrators decide who serves which point, and who is its primary cadre."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import ContactPoint, Staff, pk
from services.admin_access import By, Scope
from services.admin_staff.desk import StaffDesk
from services.admin_staff.lines import ASSIGNABLE, StaffLine
from services.admin_staff.serving import current, promote_next, serving
from services.audit import audit
from services.errors import Invalid
from services.staff import assign
from services.texts import esc


class PointAssignments(StaffDesk):
    async def assign(
        self, by: By, staff_id: int, point_id: int, *, primary: bool = False
    ) -> StaffLine:
        """Someone serves a point from now on (its primary cadre if asked, or if it has none)."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope, staff, point = await self._at_point(session, by, staff_id, point_id)
            if staff.removed_at is not None:
                raise Invalid("admin.staff.removed")
            if staff.role not in ASSIGNABLE:
                raise Invalid("admin.staff.not_assignable")
            if not point.active:
                raise Invalid("admin.point.inactive", point=point.name)
            if await current(session, staff_id, point_id) is not None:
                raise Invalid("admin.staff.already_assigned", point=point.name)
            made_primary = await assign(session, staff, point_id, now, primary=primary or None)
            return await self._point_changed(
                session,
                scope,
                staff,
                point,
                "staff:assign",
                "admin.staff.told_assigned",
                now,
                primary=made_primary,
            )

    async def unassign(self, by: By, staff_id: int, point_id: int) -> StaffLine:
        """Someone no longer serves a point; if they were its primary cadre, its longest-serving
        other cadre becomes primary. Their open cases stay with them until handed on."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope, staff, point = await self._at_point(session, by, staff_id, point_id)
            found = await serving(session, staff_id, point)
            was_primary = found.is_primary
            found.until, found.is_primary = now, False
            await session.flush()
            if was_primary:
                await promote_next(session, point_id)
            return await self._point_changed(
                session, scope, staff, point, "staff:unassign", "admin.staff.told_unassigned", now
            )

    async def make_primary(self, by: By, staff_id: int, point_id: int) -> StaffLine:
        """Someone becomes the point's primary cadre: new cases there go to them first."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope, staff, point = await self._at_point(session, by, staff_id, point_id)
            found = await serving(session, staff_id, point)
            if not staff.active:
                raise Invalid("admin.staff.not_active")
            if found.is_primary:
                return await self._line(session, staff)
            await assign(session, staff, point_id, now, primary=True)
            return await self._point_changed(
                session, scope, staff, point, "staff:primary", "admin.staff.told_primary", now
            )

    async def _point_changed(
        self,
        session: AsyncSession,
        scope: Scope,
        staff: Staff,
        point: ContactPoint,
        action: str,
        key: str,
        now: datetime,
        **details: Any,
    ) -> StaffLine:
        """Who serves ``point`` changed: audit it, tell the staff member, show them again."""
        audit(
            session, now, scope.user_id, action, f"staff:{pk(staff)}", point=point.code, **details
        )
        await self._tell(session, staff, action, key, now, point=esc(point.name))
        await session.flush()
        return await self._line(session, staff)
