"""Status changes of a case: accept, resolve, transfer, close, internal notes; the resident's
withdrawal and verdict ("is it resolved?") with a rating; closing unanswered verdicts.

Each change is checked against the table in ``services/case_rules.py``, carries a note, and
tells the other side in their language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import CaseStatus, EventType, Role
from models.tables import Assignment, Case, CaseEvent, ContactPoint, Staff, User, pk
from services.audit import audit
from services.case_access import resident_case, staff_case
from services.case_clock import plan_deadlines, plan_verdict_timeout
from services.case_mail import CaseMail
from services.case_rules import STAFF_CLOSE_REASONS, CloseReason, transition
from services.cases import content_parts
from services.context import Context
from services.deadlines import deadlines_for
from services.errors import Invalid, NotFound
from services.outbox import Button, Keyboard
from services.staff import choose_assignee, covers_region, label_of
from services.texts import esc
from services.views import CaseView, must_view

NOTE_LIMIT = 2000
STARS = range(1, 6)


@dataclass(frozen=True)
class TransferTarget:
    kind: str  # "staff" or "point"
    id: int
    name: str
    detail: str


def verdict_buttons(texts_locale: str, ctx: Context, case_id: int) -> Keyboard:
    t = ctx.texts
    return [
        [
            Button(t(texts_locale, "btn.verdict_yes"), "verdict_yes", case_id),
            Button(t(texts_locale, "btn.verdict_no"), "verdict_no", case_id),
        ]
    ]


def _note(text: str, key: str) -> str:
    text = text.strip()
    if not text:
        raise Invalid(key)
    return text[:NOTE_LIMIT]


class Lifecycle:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.texts = ctx.texts
        self.mail = CaseMail(ctx)

    # ---- staff ---------------------------------------------------------------------------

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
        note = _note(note, "resolve.note_needed")
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
        text = _note(text, "note.needed")
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
        note = _note(note, "close.note_needed")
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

    async def transfer_targets(self, user_id: int, case_id: int) -> list[TransferTarget]:
        async with self.ctx.db.read() as session:
            view, staff = await staff_case(session, user_id, case_id)
            transition("transfer", view.status)
            colleagues = (
                await session.execute(
                    select(Staff, User)
                    .join(User, col(User.id) == col(Staff.user_id))
                    .join(Assignment, col(Assignment.staff_id) == col(Staff.id))
                    .where(
                        col(Assignment.contact_point_id) == view.point_id,
                        col(Assignment.until).is_(None),
                        col(Staff.active),
                        col(Staff.id) != view.assignee_id,
                    )
                    .order_by(col(Assignment.is_primary).desc(), col(User.name))
                )
            ).all()
            points = (
                (
                    await session.execute(
                        select(ContactPoint)
                        .where(col(ContactPoint.active), col(ContactPoint.id) != view.point_id)
                        .order_by(
                            (col(ContactPoint.region) == view.point_region).desc(),
                            col(ContactPoint.name),
                        )
                        .limit(10)
                    )
                )
                .scalars()
                .all()
            )
        targets = [
            TransferTarget("staff", pk(member), user.name, member.title)
            for member, user in colleagues
        ]
        targets += [
            TransferTarget("point", pk(p), p.name, p.code)
            for p in points
            if staff.role != Role.ADMIN or covers_region(staff.region, p.region)
        ]
        return targets

    async def transfer(
        self, user_id: int, case_id: int, target: TransferTarget, note: str
    ) -> CaseView:
        """Hand a case to a colleague or another contact point; the first receiver stays."""
        note = _note(note, "transfer.note_needed")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view, _staff = await staff_case(session, user_id, case_id)
            case = await self._changed(session, case_id, "transfer")
            if target.kind == "staff":
                new = await session.get(Staff, target.id)
                if new is None or not new.active or new.role not in (Role.CADRE, Role.ADMIN):
                    raise NotFound("transfer.target_gone")
                if new.id == view.assignee_id:
                    raise Invalid("transfer.same")
                case.assignee_id = new.id
            else:
                point = await session.get(ContactPoint, target.id)
                if point is None or not point.active:
                    raise NotFound("transfer.target_gone")
                case.contact_point_id = pk(point)
                case.assignee_id = await choose_assignee(session, point)
            # The resident sees that the case moved and to whom; the reason stays among the
            # staff notes (cadres write internal reasons there).
            await session.flush()
            moved = await must_view(session, case_id)
            to = moved.point_name if target.kind == "point" else (moved.assignee_name or "")
            event = self._event(session, case_id, user_id, EventType.TRANSFERRED, now, to)
            session.add(
                CaseEvent(
                    case_id=case_id,
                    actor_user_id=user_id,
                    type=EventType.NOTE,
                    text=note,
                    internal=True,
                    at=now,
                )
            )
            audit(
                session,
                now,
                user_id,
                "case:transfer",
                f"case:{case_id}",
                to=f"{target.kind}:{target.id}",
            )
            await session.flush()
            view = await must_view(session, case_id)
            parts = await content_parts(session, case_id)
            await self.mail.card(
                session, view, pk(event), parts, now, headline="card.transferred", note=note
            )
            await self._tell_resident(session, view, event, "notify.transferred", now)
            await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        return view

    async def show_card(self, chat_id: int, message_id: int, case_id: int, user_id: int) -> None:
        """Remember a card shown directly in a staff chat (/case), so it is redrawn later."""
        async with self.ctx.db.write() as session:
            await self.mail.remember_card(session, chat_id, message_id, case_id, user_id)

    # ---- residents -----------------------------------------------------------------------

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

    async def rate(
        self, user_id: int, case_id: int, stars: int, comment: str | None = None
    ) -> CaseView:
        """The resident's satisfaction with a case they confirmed: once, 1 to 5, kept the
        moment the stars are pressed (a comment may follow, see :meth:`comment_rating`).
        The same stars pressed again (a redelivered press) change nothing."""
        if stars not in STARS:
            raise Invalid("rating.bad")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view = await resident_case(session, user_id, case_id)
            if view.verdict is None or view.status != CaseStatus.CLOSED:
                raise Invalid("rating.not_now", no=view.public_no)
            if view.satisfaction == stars and comment is None:
                return view
            if view.satisfaction is not None:
                raise Invalid("rating.done", no=view.public_no)
            case = await self._case(session, case_id)
            case.satisfaction = stars
            text = (comment or "").strip()[:NOTE_LIMIT] or None
            event = self._event(session, case_id, user_id, EventType.RATED, now, text)
            await session.flush()
            view = await must_view(session, case_id)
            await self._tell_assignee(
                session,
                view,
                f"ev{pk(event)}",
                "staff.case_rated",
                now,
                stars="★" * stars + "☆" * (5 - stars),
                comment=esc(text or "—"),
            )
        return view

    async def comment_rating(self, user_id: int, case_id: int, comment: str) -> CaseView:
        """A few words added to a rating already given; the assignee is told. One comment."""
        text = _note(comment, "rating.comment_needed")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view = await resident_case(session, user_id, case_id)
            if view.satisfaction is None:
                raise Invalid("rating.not_now", no=view.public_no)
            event = (
                await session.execute(
                    select(CaseEvent)
                    .where(
                        col(CaseEvent.case_id) == case_id,
                        col(CaseEvent.type) == EventType.RATED,
                    )
                    .order_by(col(CaseEvent.id).desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            if event is None or event.text:
                raise Invalid("rating.comment_done", no=view.public_no)
            event.text = text
            await self._tell_assignee(
                session,
                view,
                f"ev{pk(event)}:comment",
                "staff.rating_comment",
                now,
                comment=esc(text),
            )
        return view

    # ---- helpers -------------------------------------------------------------------------

    @staticmethod
    async def _case(session: AsyncSession, case_id: int) -> Case:
        case = await session.get(Case, case_id)
        if case is None:
            raise NotFound("case.not_found")
        return case

    async def _changed(self, session: AsyncSession, case_id: int, action: str) -> Case:
        """The case, moved on by ``action`` (refused if its status does not allow it)."""
        case = await self._case(session, case_id)
        case.status = transition(action, case.status)
        return case

    @staticmethod
    def _event(
        session: AsyncSession,
        case_id: int,
        user_id: int | None,
        type_: str,
        now: datetime,
        text: str | None = None,
    ) -> CaseEvent:
        event = CaseEvent(case_id=case_id, actor_user_id=user_id, type=type_, text=text, at=now)
        session.add(event)
        return event

    async def _tell_resident(
        self,
        session: AsyncSession,
        view: CaseView,
        event: CaseEvent,
        key: str,
        now: datetime,
        *,
        buttons: Keyboard | None = None,
        **params: Any,
    ) -> None:
        """Tell the resident what ``event`` did to their case, in their language."""
        await self.mail.to_resident(
            session,
            view,
            f"ev{pk(event)}",
            self.mail.for_resident(view, key, **params),
            now,
            buttons=buttons,
        )

    async def _tell_assignee(
        self,
        session: AsyncSession,
        view: CaseView,
        key_suffix: str,
        key: str,
        now: datetime,
        **params: Any,
    ) -> None:
        if view.assignee_id is None:
            return
        person = await label_of(session, view.assignee_id)
        await self.mail.to_staff(
            session,
            [person],
            view,
            key_suffix,
            key,
            now,
            name=esc(view.resident_name or ""),
            **params,
        )
