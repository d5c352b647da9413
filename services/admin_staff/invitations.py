"""Administrators invite new cadres, inspectors and administrators within their region."""

from __future__ import annotations

from models.enums import Role
from models.tables import ContactPoint
from services.admin_access import By, acting, check_point
from services.admin_staff.desk import StaffDesk
from services.context import Context
from services.errors import Invalid, NotAllowed, NotFound
from services.points import find_by_code
from services.staff import INVITABLE, InviteLink, StaffService
from services.texts import esc


class Invitations(StaffDesk):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.staff = StaffService(ctx)

    async def invite(
        self,
        by: By,
        role: str,
        *,
        point_id: int | None = None,
        point_code: str | None = None,
        region: str | None = None,
        ttl_hours: int | None = None,
    ) -> InviteLink:
        """A single-use link for a new cadre (for a point), inspector or administrator (for a
        region; by default the inviting administrator's own)."""
        if role not in {r.value for r in INVITABLE}:
            raise Invalid("invite.bad_role", role=esc(role))
        if region is not None:
            region = region.strip().strip("/").strip() or None
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            point = None
            if point_id is not None:
                point = check_point(scope, await session.get(ContactPoint, point_id))
            elif point_code:
                point = await find_by_code(session, point_code)
                if point is None:
                    raise NotFound("point.not_found", code=esc(point_code))
                check_point(scope, point)
        if role == Role.CADRE:
            if point is None:
                raise Invalid("admin.invite.point_needed")
            region = None  # a cadre's reach is their points
        elif role == Role.INSPECTOR and point is not None:
            raise Invalid("admin.invite.inspector_point")
        else:
            region = region if region is not None else scope.region
            if not scope.covers(region):
                raise NotAllowed(
                    "admin.region_outside", region=esc(region or ""), scope=esc(scope.region or "")
                )
        if point is not None and not point.active:
            raise Invalid("admin.point.inactive", point=point.name)
        return await self.staff.create_invite(
            role,
            point_code=point.code if point is not None else None,
            region=region,
            ttl_hours=ttl_hours,
            created_by=scope.user_id,
        )
