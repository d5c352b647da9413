"""Administrators suspend, remove or reinstate someone; the open cases of whoever loses access
are re-routed by the normal routing rules, each with a card to its new owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import EventType
from models.tables import Case, CaseEvent, ContactPoint, Staff, User, pk
from services.admin_access import By, Scope, open_clause
from services.admin_staff.desk import StaffDesk
from services.admin_staff.lines import Rerouted, StaffLine
from services.admin_staff.serving import assignments, promote_next
from services.audit import audit
from services.case_mail import CaseMail
from services.case_rules import transition
from services.cases import content_parts
from services.context import Context
from services.errors import Invalid, NotAllowed
from services.staff import choose_assignee, refresh_commands
from services.tipoffs import TipOffs
from services.views import must_view


class Access(StaffDesk):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.mail = CaseMail(ctx)
        self.tipoffs = TipOffs(ctx)

    async def suspend(self, by: By, staff_id: int) -> Rerouted:
        """Access ends now and can be given back (:meth:`reinstate`); assignments are kept."""
        return await self._end_access(by, staff_id, remove=False)

    async def remove(self, by: By, staff_id: int) -> Rerouted:
        """Access ends for good and their assignments end; a new invitation brings them back."""
        return await self._end_access(by, staff_id, remove=True)

    async def reinstate(self, by: By, staff_id: int) -> StaffLine:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope, staff = await self._in_scope(session, by, staff_id)
            if staff.removed_at is not None:
                raise Invalid("admin.staff.removed")
            if staff.active:
                raise Invalid("admin.staff.already_active")
            staff.active = True
            await session.flush()
            audit(session, now, scope.user_id, "staff:reinstate", f"staff:{staff_id}")
            await self._tell(session, staff, "staff:reinstate", "admin.staff.told_reinstated", now)
            await refresh_commands(session, self.ctx, staff.user_id)
            return await self._line(session, staff)

    async def _end_access(self, by: By, staff_id: int, *, remove: bool) -> Rerouted:
        now = self.ctx.clock.now()
        action = "staff:remove" if remove else "staff:suspend"
        async with self.ctx.db.write() as session:
            scope, staff = await self._in_scope(session, by, staff_id)
            await self._may_end(session, scope, staff)
            if remove:
                if staff.removed_at is not None:
                    raise Invalid("admin.staff.removed")
                staff.removed_at = now
                for current in await assignments(session, staff_id):
                    current.until, current.is_primary = now, False
                    await session.flush()
                    await promote_next(session, current.contact_point_id)
            elif not staff.active:
                raise Invalid("admin.staff.already_suspended")
            staff.active = False
            await session.flush()
            moved, unowned = await self._reroute(session, scope, staff, now)
            await self.tipoffs.route_waiting_in(session, now)  # an inspector's open reports
            audit(session, now, scope.user_id, action, f"staff:{staff_id}", cases=moved)
            key = "admin.staff.told_removed" if remove else "admin.staff.told_suspended"
            await self._tell(session, staff, action, key, now)
            await refresh_commands(session, self.ctx, staff.user_id)
            return Rerouted(await self._line(session, staff), moved, unowned)

    async def _may_end(self, session: AsyncSession, scope: Scope, staff: Staff) -> None:
        if scope.staff_id is not None and staff.id == scope.staff_id:
            raise Invalid("admin.staff.not_yourself")
        user = await session.get(User, staff.user_id)
        if user is not None and user.tg_id in self.ctx.config.admin_tg_ids:
            # The settings make them an administrator again at their next message.
            raise NotAllowed("admin.staff.from_settings")

    async def _reroute(
        self, session: AsyncSession, scope: Scope, staff: Staff, now: datetime
    ) -> tuple[int, int]:
        """Hand each open case of ``staff`` to whoever routing picks now, with a card."""
        cases = (
            (
                await session.execute(
                    select(Case)
                    .where(col(Case.assignee_id) == staff.id, open_clause())
                    .order_by(col(Case.id))
                )
            )
            .scalars()
            .all()
        )
        unowned = 0
        for case in cases:
            point = await session.get(ContactPoint, case.contact_point_id)
            assert point is not None
            new = await choose_assignee(session, point, exclude_staff_id=staff.id)
            case.assignee_id = new  # the first receiver stays on record
            case.status = transition("transfer", case.status)  # the new owner accepts it
            # Recorded as what it is: handed on because its cadre no longer serves, by the
            # system (the administrator's suspension is in the audit log), not as a transfer.
            event = CaseEvent(
                case_id=pk(case),
                actor_user_id=None,
                type=EventType.REROUTED,
                at=now,
            )
            session.add(event)
            await session.flush()  # the next case's routing sees this one's load
            audit(
                session,
                now,
                scope.user_id,
                "case:reroute",
                f"case:{pk(case)}",
                from_staff=staff.id,
                to_staff=new,
            )
            if new is None:
                unowned += 1
                continue
            view = await must_view(session, pk(case))
            parts = await content_parts(session, pk(case))
            await self.mail.card(
                session, view, pk(event), parts, now, headline="admin.card.rerouted"
            )
            # The resident hears who has their case now, and why.
            notice = self.mail.for_resident(view, "notify.rerouted")
            await self.mail.to_resident(session, view, f"ev{pk(event)}", notice, now)
            await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        return len(cases), unowned
