"""Cadres handle a case: may they act now, accept, resolve (asking the resident for a verdict),
internal notes, closing without a fix, and cards shown directly in their chat."""

from __future__ import annotations

from models.enums import EventType
from models.tables import CaseEvent, pk
from services.audit import audit
from services.case_access import staff_case
from services.case_clock import plan_verdict_timeout
from services.case_rules import STAFF_CLOSE_REASONS, transition
from services.context import Context
from services.errors import Invalid
from services.lifecycle.desk import CaseDesk, note_text
from services.outbox import Button, Keyboard
from services.texts import esc
from services.views import CaseView, must_view


def verdict_buttons(texts_locale: str, ctx: Context, case_id: int) -> Keyboard:
    t = ctx.texts
    return [
        [
            Button(t(texts_locale, "btn.verdict_yes"), "verdict_yes", case_id),
            Button(t(texts_locale, "btn.verdict_no"), "verdict_no", case_id),
        ]
    ]


class Handling(CaseDesk):
    async def check(self, user_id: int, case_id: int, action: str) -> CaseView:
        """Before asking for a note: may this person take ``action`` on the case now?"""
        async with self.ctx.db.read() as session:
            view, _staff = await staff_case(session, user_id, case_id)
        transition(action, view.status)
        return view

    async def accept(self, user_id: int, case_id: int) -> CaseView:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            _view, staff = await staff_case(session, user_id, case_id)
            case = await self._changed(session, case_id, "accept")
            case.accepted_at = now
            case.first_response_at = case.first_response_at or now
            case.assignee_id = staff.id
            case.first_receiver_id = case.first_receiver_id or staff.id
            event = self._event(session, case_id, user_id, EventType.ACCEPTED, now)
            await session.flush()
            view = await must_view(session, case_id)
            due = self.texts.when(
                self.mail.resident_locale(view), view.due_resolve_at, view.point_tz
            )
            await self._tell_resident(session, view, event, "notify.accepted", now, due=due)
            await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        return view

    async def resolve(self, user_id: int, case_id: int, note: str) -> CaseView:
        note = note_text(note, "resolve.note_needed")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            await staff_case(session, user_id, case_id)
            case = await self._changed(session, case_id, "resolve")
            case.resolved_at = now
            case.first_response_at = case.first_response_at or now
            event = self._event(session, case_id, user_id, EventType.RESOLVED, now, note)
            await session.flush()
            view = await must_view(session, case_id)
            locale = self.mail.resident_locale(view)
            await self._tell_resident(
                session,
                view,
                event,
                "notify.resolved",
                now,
                buttons=verdict_buttons(locale, self.ctx, case_id),
                note=esc(note),
                n=self.ctx.config.deadlines.verdict_days,
            )
            await plan_verdict_timeout(session, self.ctx, view, now)
            await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        return view

    async def note(self, user_id: int, case_id: int, text: str) -> CaseView:
        """An internal note: kept with the case for staff, never shown to the resident."""
        text = note_text(text, "note.needed")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view, _staff = await staff_case(session, user_id, case_id)
            transition("note", view.status)
            session.add(
                CaseEvent(
                    case_id=case_id,
                    actor_user_id=user_id,
                    type=EventType.NOTE,
                    text=text,
                    internal=True,
                    at=now,
                )
            )
        return view

    async def close(self, user_id: int, case_id: int, reason: str, note: str) -> CaseView:
        """Close without a fix: a duplicate, referred elsewhere, or rejected — with a note."""
        if reason not in STAFF_CLOSE_REASONS:
            raise Invalid("close.bad_reason")
        note = note_text(note, "close.note_needed")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            await staff_case(session, user_id, case_id)
            case = await self._changed(session, case_id, "close")
            case.closed_at, case.close_reason = now, reason
            event = self._event(session, case_id, user_id, EventType.CLOSED, now, note)
            audit(session, now, user_id, "case:close", f"case:{case_id}", reason=reason)
            await session.flush()
            view = await must_view(session, case_id)
            locale = self.mail.resident_locale(view)
            await self._tell_resident(
                session,
                view,
                event,
                "notify.closed",
                now,
                note=esc(note),
                reason=self.texts(locale, f"close.{reason}"),
            )
            await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        return view

    async def show_card(self, chat_id: int, message_id: int, case_id: int, user_id: int) -> None:
        """Remember a card shown directly in a staff chat (/case), so it is redrawn later."""
        async with self.ctx.db.write() as session:
            await self.mail.remember_card(session, chat_id, message_id, case_id, user_id)
