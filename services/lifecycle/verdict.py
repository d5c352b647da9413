"""The resident's side: withdrawing a case, and the verdict on a resolved one (confirmed, or
not resolved and reopened with the same cadre)."""

from __future__ import annotations

from models.enums import EventType
from models.tables import ContactPoint, Staff, pk
from services.case_access import resident_case
from services.case_clock import plan_deadlines
from services.case_rules import CloseReason
from services.deadlines import deadlines_for
from services.lifecycle.desk import CaseDesk
from services.staff import choose_assignee
from services.views import CaseView, must_view


class Verdict(CaseDesk):
    async def withdraw(self, user_id: int, case_id: int) -> CaseView:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            await resident_case(session, user_id, case_id)
            case = await self._changed(session, case_id, "withdraw")
            case.closed_at, case.close_reason = now, CloseReason.WITHDRAWN
            event = self._event(session, case_id, user_id, EventType.CLOSED, now)
            await session.flush()
            view = await must_view(session, case_id)
            await self._tell_assignee(session, view, f"ev{pk(event)}", "staff.case_withdrawn", now)
            await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        return view

    async def confirm(self, user_id: int, case_id: int) -> CaseView:
        """The resident says it is resolved: the case closes as fixed."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view = await resident_case(session, user_id, case_id)
            if view.verdict == "resolved":
                return view  # pressed twice
            case = await self._changed(session, case_id, "confirm")
            case.verdict, case.verdict_at = "resolved", now
            case.closed_at, case.close_reason = now, CloseReason.RESOLVED
            event = self._event(session, case_id, user_id, EventType.CLOSED, now)
            await session.flush()
            view = await must_view(session, case_id)
            await self._tell_assignee(session, view, f"ev{pk(event)}", "staff.case_confirmed", now)
            await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        return view

    async def reopen(self, user_id: int, case_id: int) -> CaseView:
        """The resident says it is not resolved: back to the same cadre, flagged, with a new
        resolution deadline."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view = await resident_case(session, user_id, case_id)
            case = await self._changed(session, case_id, "reopen")
            case.verdict, case.verdict_at = "not_resolved", now
            case.reopened_count += 1
            case.resolved_at = None
            due = deadlines_for(self.ctx.config.deadlines, case.tier, now, view.point_tz)
            case.due_resolve_at = due.resolve
            if case.assignee_id is not None:
                still = await session.get(Staff, case.assignee_id)
                if still is None or not still.active:
                    point = await session.get(ContactPoint, case.contact_point_id)
                    assert point is not None
                    case.assignee_id = await choose_assignee(session, point)
            event = self._event(session, case_id, user_id, EventType.REOPENED, now)
            await session.flush()
            view = await must_view(session, case_id)
            await self.mail.card(session, view, pk(event), [], now, headline="card.reopened")
            await plan_deadlines(session, self.ctx, view, now)
            await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        return view
