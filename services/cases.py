"""Cases: filing, routing, the conversation both ways, and the cadre's actions.

Every use case runs in one short transaction and writes, in that same transaction, an outbox row
for each message to anyone other than the person acting. Repeating a use case with the same
source message is harmless: the unique source keys on cases and events make it a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import CaseKind, CaseStatus, EventType, Role
from models.queries import next_value
from models.tables import (
    Assignment,
    Case,
    CaseEvent,
    Category,
    ContactPoint,
    Counter,
    MessageLink,
    Residency,
    Staff,
    User,
    pk,
    table_of,
)
from services.audit import audit
from services.cards import case_actions, staff_card, staff_name
from services.case_rules import OPEN, next_status
from services.context import Context
from services.deadlines import deadlines_for
from services.errors import Invalid, Label, NotAllowed, NotFound
from services.outbox import enqueue, text_message
from services.parts import Part
from services.relay import relay_payloads
from services.staff import choose_assignee, covers_region, label_of
from services.texts import esc
from services.views import (
    CaseView,
    EventView,
    case_query,
    load_events,
    load_view,
    must_view,
    to_view,
)

PAGE_SIZE = 8


@dataclass(frozen=True)
class Draft:
    kind: str
    category_id: int
    parts: list[Part]


@dataclass(frozen=True)
class Filed:
    case: CaseView
    duplicate: bool  # the same submission had already been filed (a redelivered update)


@dataclass(frozen=True)
class CategoryView:
    id: int
    code: str
    name_zh: str
    name_en: str
    tier: str

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh_Hans" else self.name_en


@dataclass(frozen=True)
class TransferTarget:
    kind: str  # "staff" or "point"
    id: int
    name: str
    detail: str


@dataclass(frozen=True)
class Page:
    cases: list[CaseView]
    page: int
    pages: int


@dataclass(frozen=True)
class CaseDetail:
    case: CaseView
    events: list[EventView]


class Cases:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.texts = ctx.texts

    # ---- reading -------------------------------------------------------------------------

    async def categories(self) -> list[CategoryView]:
        async with self.ctx.db.read() as session:
            rows = (
                await session.execute(
                    select(Category)
                    .where(col(Category.active))
                    .order_by(col(Category.sort), col(Category.id))
                )
            ).scalars()
            return [CategoryView(pk(c), c.code, c.name_zh, c.name_en, c.tier) for c in rows]

    async def of_resident(self, user_id: int, limit: int = 20) -> list[CaseView]:
        async with self.ctx.db.read() as session:
            rows = (
                await session.execute(
                    case_query()
                    .where(col(Case.resident_id) == user_id)
                    .order_by(col(Case.id).desc())
                    .limit(limit)
                )
            ).all()
        return [to_view(r) for r in rows]

    async def open_of_resident(self, user_id: int, limit: int = 3) -> list[CaseView]:
        async with self.ctx.db.read() as session:
            rows = (
                await session.execute(
                    case_query()
                    .where(
                        col(Case.resident_id) == user_id,
                        col(Case.status).in_(tuple(OPEN | {CaseStatus.RESOLVED})),
                    )
                    .order_by(col(Case.id).desc())
                    .limit(limit)
                )
            ).all()
        return [to_view(r) for r in rows]

    async def for_resident(self, user_id: int, case_id: int) -> CaseDetail:
        async with self.ctx.db.read() as session:
            view = await must_view(session, case_id)
            if view is None or view.resident_id != user_id:
                raise NotFound("case.not_found")
            events = await load_events(session, case_id, include_internal=False)
        return CaseDetail(view, events)

    async def for_staff(self, user_id: int, case_id: int) -> CaseDetail:
        async with self.ctx.db.read() as session:
            view, _staff = await self._staff_case(session, user_id, case_id, read_only=True)
            events = await load_events(session, case_id, include_internal=True)
        return CaseDetail(view, events)

    async def find_number(self, public_no: str) -> int | None:
        async with self.ctx.db.read() as session:
            return (
                await session.execute(
                    select(col(Case.id)).where(
                        func.upper(col(Case.public_no)) == public_no.strip().upper()
                    )
                )
            ).scalar()

    async def staff_queue(self, user_id: int, page: int = 0) -> Page:
        """A staff member's open cases, the most pressing deadline first."""
        async with self.ctx.db.read() as session:
            staff = await _active_staff(session, user_id)
            where: list[Any] = [col(Case.status).in_(tuple(OPEN))]
            if staff.role == Role.ADMIN:
                # Administrators also see what nobody owns in their scope.
                where.append(
                    or_(col(Case.assignee_id) == staff.id, col(Case.assignee_id).is_(None))
                )
            else:
                where.append(col(Case.assignee_id) == staff.id)
            total = int(
                (
                    await session.execute(select(func.count()).select_from(Case).where(*where))
                ).scalar_one()
            )
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(page, 0), pages - 1)
            rows = (
                await session.execute(
                    case_query()
                    .where(*where)
                    .order_by(col(Case.due_resolve_at), col(Case.id))
                    .offset(page * PAGE_SIZE)
                    .limit(PAGE_SIZE)
                )
            ).all()
        return Page([to_view(r) for r in rows], page, pages)

    async def case_of_message(self, chat_id: int, message_id: int) -> int | None:
        async with self.ctx.db.read() as session:
            link = await session.get(MessageLink, (chat_id, message_id))
            return link.case_id if link else None

    async def link_message(self, chat_id: int, message_id: int, case_id: int) -> None:
        """Remember that a message the bot showed belongs to a case (for native replies)."""
        async with self.ctx.db.write() as session:
            if await session.get(MessageLink, (chat_id, message_id)) is None:
                session.add(MessageLink(chat_id=chat_id, message_id=message_id, case_id=case_id))

    # ---- residents -----------------------------------------------------------------------

    async def file(self, user_id: int, draft: Draft) -> Filed:
        """File a case at the resident's contact point and route it to its cadre."""
        if not draft.parts:
            raise Invalid("filing.empty")
        if draft.kind not in set(CaseKind):
            raise Invalid("filing.bad_kind")
        first = draft.parts[0]
        existing = await self._by_source(first.chat_id, first.message_id)
        if existing is not None:
            return Filed(existing, duplicate=True)
        try:
            return await self._file(user_id, draft)
        except IntegrityError:
            # Filed concurrently from a redelivered update: the first one stands.
            existing = await self._by_source(first.chat_id, first.message_id)
            if existing is None:
                raise
            return Filed(existing, duplicate=True)

    async def _file(self, user_id: int, draft: Draft) -> Filed:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            residency = (
                await session.execute(select(Residency).where(col(Residency.user_id) == user_id))
            ).scalar()
            if residency is None:
                raise Invalid("filing.no_point")
            point = await session.get(ContactPoint, residency.contact_point_id)
            assert point is not None
            assert point.id is not None
            if not point.active:
                raise Invalid("filing.point_inactive")
            category = await session.get(Category, draft.category_id)
            if category is None or not category.active:
                raise Invalid("filing.bad_category")
            year = now.astimezone(ZoneInfo(point.tz)).year
            seq = await next_value(session, table_of(Counter), f"case:{year}")
            assignee = await choose_assignee(session, point)
            due = deadlines_for(self.ctx.config.deadlines, category.tier, now, point.tz)
            summary = "\n".join(p.text for p in draft.parts if p.text)[:2000]
            first = draft.parts[0]
            case = Case(
                public_no=f"{year}-{seq:04d}",
                kind=draft.kind,
                category_id=category.id,
                tier=category.tier,
                status=CaseStatus.NEW,
                resident_id=user_id,
                contact_point_id=point.id,
                assignee_id=assignee,
                first_receiver_id=assignee,
                summary=summary,
                created_at=now,
                due_ack_at=due.ack,
                due_resolve_at=due.resolve,
                source_chat_id=first.chat_id,
                source_message_id=first.message_id,
            )
            session.add(case)
            await session.flush()
            filed = CaseEvent(case_id=pk(case), actor_user_id=user_id, type=EventType.FILED, at=now)
            session.add(filed)
            for part in draft.parts:
                session.add(_message_event(pk(case), user_id, EventType.MESSAGE, part, now))
            await session.flush()
            view = await must_view(session, pk(case))
            await self._send_card(session, view, pk(filed), draft.parts, now)
        return Filed(view, duplicate=False)

    async def follow_up(self, user_id: int, case_id: int, part: Part) -> CaseView:
        """A resident adds a message to their case; it is relayed to the assignee."""
        now = self.ctx.clock.now()
        try:
            async with self.ctx.db.write() as session:
                view = await must_view(session, case_id)
                if view is None or view.resident_id != user_id:
                    raise NotFound("case.not_found")
                if view.status == CaseStatus.CLOSED:
                    raise Invalid("case.closed", no=view.public_no)
                next_status("follow_up", view.status)
                event = _message_event(case_id, user_id, EventType.MESSAGE, part, now)
                session.add(event)
                await session.flush()
                if view.assignee_id is not None:
                    target = await label_of(session, view.assignee_id)
                    label = self.texts(
                        target.locale,
                        "relay.from_resident",
                        no=view.public_no,
                        name=esc(view.resident_name or ""),
                    )
                    await self._relay(
                        session,
                        view.id,
                        pk(event),
                        part,
                        label,
                        target.chat_id,
                        target.user_id,
                        now,
                    )
        except IntegrityError:
            pass  # the same message again (a redelivered update): already relayed
        return view

    # ---- staff ---------------------------------------------------------------------------

    async def reply(self, user_id: int, case_id: int, part: Part) -> CaseView:
        """A staff member answers the resident; the message is relayed with their name."""
        now = self.ctx.clock.now()
        try:
            async with self.ctx.db.write() as session:
                view, staff = await self._staff_case(session, user_id, case_id)
                case = await session.get(Case, case_id)
                assert case is not None
                case.status = next_status("reply", case.status)
                case.first_response_at = case.first_response_at or now
                if case.assignee_id is None:
                    case.assignee_id = staff.id
                    case.first_receiver_id = case.first_receiver_id or staff.id
                event = _message_event(case_id, user_id, EventType.REPLY, part, now)
                session.add(event)
                await session.flush()
                if view.resident_chat_id is not None and view.resident_id is not None:
                    me = await label_of(session, pk(staff))
                    locale = view.resident_locale or self.ctx.config.default_locale
                    label = self.texts(
                        locale,
                        "relay.from_staff",
                        no=view.public_no,
                        name=staff_name(self.texts, locale, me.name, me.title),
                    )
                    await self._relay(
                        session,
                        case_id,
                        pk(event),
                        part,
                        label,
                        view.resident_chat_id,
                        view.resident_id,
                        now,
                    )
                view = await must_view(session, case_id)
        except IntegrityError:
            async with self.ctx.db.read() as session:
                view = await must_view(session, case_id)
        return view

    async def accept(self, user_id: int, case_id: int) -> CaseView:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view, staff = await self._staff_case(session, user_id, case_id)
            case = await session.get(Case, case_id)
            assert case is not None
            case.status = next_status("accept", case.status)
            case.accepted_at = now
            case.first_response_at = case.first_response_at or now
            case.assignee_id = staff.id
            case.first_receiver_id = case.first_receiver_id or staff.id
            event = CaseEvent(
                case_id=case_id, actor_user_id=user_id, type=EventType.ACCEPTED, at=now
            )
            session.add(event)
            await session.flush()
            view = await must_view(session, case_id)
            await self._tell_resident(
                session,
                view,
                pk(event),
                "notify.accepted",
                now,
                due=True,
            )
        return view

    async def resolve(self, user_id: int, case_id: int, note: str) -> CaseView:
        note = note.strip()
        if not note:
            raise Invalid("resolve.note_needed")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view, _staff = await self._staff_case(session, user_id, case_id)
            case = await session.get(Case, case_id)
            assert case is not None
            case.status = next_status("resolve", case.status)
            case.resolved_at = now
            case.first_response_at = case.first_response_at or now
            event = CaseEvent(
                case_id=case_id,
                actor_user_id=user_id,
                type=EventType.RESOLVED,
                text=note[:2000],
                at=now,
            )
            session.add(event)
            await session.flush()
            view = await must_view(session, case_id)
            await self._tell_resident(
                session,
                view,
                pk(event),
                "notify.resolved",
                now,
                note=esc(note),
            )
        return view

    async def transfer_targets(self, user_id: int, case_id: int) -> list[TransferTarget]:
        async with self.ctx.db.read() as session:
            view, staff = await self._staff_case(session, user_id, case_id, read_only=True)
            if view.status not in OPEN:
                raise Invalid("case.refused.transfer", status=Label(f"status.{view.status}"))
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
                        .where(
                            col(ContactPoint.active),
                            col(ContactPoint.id) != view.point_id,
                        )
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
        note = note.strip()
        if not note:
            raise Invalid("transfer.note_needed")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view, _staff = await self._staff_case(session, user_id, case_id)
            case = await session.get(Case, case_id)
            assert case is not None
            case.status = next_status("transfer", case.status)
            if target.kind == "staff":
                new = await session.get(Staff, target.id)
                if new is None or not new.active or new.role not in (Role.CADRE, Role.ADMIN):
                    raise NotFound("transfer.target_gone")
                case.assignee_id = new.id
            else:
                point = await session.get(ContactPoint, target.id)
                if point is None or not point.active:
                    raise NotFound("transfer.target_gone")
                case.contact_point_id = pk(point)
                case.assignee_id = await choose_assignee(session, point)
            if case.assignee_id == view.assignee_id and target.kind == "staff":
                raise Invalid("transfer.same")
            event = CaseEvent(
                case_id=case_id,
                actor_user_id=user_id,
                type=EventType.TRANSFERRED,
                text=note[:2000],
                at=now,
            )
            session.add(event)
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
            parts = await _content_parts(session, case_id)
            await self._send_card(
                session,
                view,
                pk(event),
                parts,
                now,
                headline="card.transferred",
                note=note,
            )
            await self._tell_resident(session, view, pk(event), "notify.transferred", now)
        return view

    # ---- helpers -------------------------------------------------------------------------

    async def _by_source(self, chat_id: int, message_id: int) -> CaseView | None:
        async with self.ctx.db.read() as session:
            case_id = (
                await session.execute(
                    select(col(Case.id)).where(
                        col(Case.source_chat_id) == chat_id,
                        col(Case.source_message_id) == message_id,
                    )
                )
            ).scalar()
            return await load_view(session, case_id) if case_id else None

    async def _staff_case(
        self, session: AsyncSession, user_id: int, case_id: int, *, read_only: bool = False
    ) -> tuple[CaseView, Staff]:
        """The case, if this staff member may act on it: its assignee, or an administrator over
        its contact point. Checked here again because a button's data can be forged."""
        staff = await _active_staff(session, user_id)
        view = await must_view(session, case_id)
        if view is None:
            raise NotFound("case.not_found")
        allowed = view.assignee_id == staff.id or (
            staff.role == Role.ADMIN and covers_region(staff.region, view.point_region)
        )
        if not allowed:
            raise NotAllowed("case.not_assigned", no=view.public_no)
        return view, staff

    async def _relay(
        self,
        session: AsyncSession,
        case_id: int,
        event_id: int,
        part: Part,
        label: str,
        chat_id: int,
        user_id: int,
        now: datetime,
    ) -> None:
        for i, payload in enumerate(relay_payloads(part, label)):
            await enqueue(
                session,
                now,
                key=f"ev{event_id}:u{user_id}:{i}",
                chat_id=chat_id,
                payload=payload,
                recipient_user_id=user_id,
                case_id=case_id,
                event_id=event_id,
            )

    async def _send_card(
        self,
        session: AsyncSession,
        view: CaseView,
        event_id: int,
        parts: list[Part],
        now: datetime,
        *,
        headline: str = "card.new",
        note: str | None = None,
    ) -> None:
        """The case card to its assignee, then every part a card can't show, relayed."""
        if view.assignee_id is None:
            return
        target = await label_of(session, view.assignee_id)
        locale = target.locale
        text = staff_card(self.texts, locale, view, now, headline=headline)
        if note:
            text += "\n\n" + self.texts(locale, "card.transfer_note", note=esc(note))
        await enqueue(
            session,
            now,
            key=f"ev{event_id}:card",
            chat_id=target.chat_id,
            payload=text_message(text, case_actions(self.texts, locale, view)),
            recipient_user_id=target.user_id,
            case_id=view.id,
            event_id=event_id,
        )
        shown_in_card = len(view.summary) <= 1500
        extra = [p for p in parts if not (p.kind == "text" and shown_in_card)]
        for i, part in enumerate(extra, start=1):
            label = self.texts(locale, "relay.part", no=view.public_no, n=i, total=len(extra))
            for j, payload in enumerate(relay_payloads(part, label)):
                await enqueue(
                    session,
                    now,
                    key=f"ev{event_id}:part{i}:{j}",
                    chat_id=target.chat_id,
                    payload=payload,
                    recipient_user_id=target.user_id,
                    case_id=view.id,
                    event_id=event_id,
                )

    async def _tell_resident(
        self,
        session: AsyncSession,
        view: CaseView,
        event_id: int,
        key: str,
        now: datetime,
        *,
        due: bool = False,
        **params: Any,
    ) -> None:
        if view.resident_chat_id is None or view.resident_id is None:
            return
        locale = view.resident_locale or self.ctx.config.default_locale
        if due:
            params["due"] = self.texts.when(locale, view.due_resolve_at, view.point_tz)
        text = self.texts(
            locale,
            key,
            no=view.public_no,
            name=staff_name(self.texts, locale, view.assignee_name, view.assignee_title),
            point=esc(view.point_name),
            **params,
        )
        await enqueue(
            session,
            now,
            key=f"ev{event_id}:resident",
            chat_id=view.resident_chat_id,
            payload=text_message(text),
            recipient_user_id=view.resident_id,
            case_id=view.id,
            event_id=event_id,
        )


def _message_event(case_id: int, user_id: int, type_: str, part: Part, now: datetime) -> CaseEvent:
    return CaseEvent(
        case_id=case_id,
        actor_user_id=user_id,
        type=type_,
        text=part.text,
        media=part.media(),
        source_chat_id=part.chat_id,
        source_message_id=part.message_id,
        at=now,
    )


async def _content_parts(session: AsyncSession, case_id: int) -> list[Part]:
    """The resident's messages of a case, to relay again to a new assignee."""
    rows = (
        (
            await session.execute(
                select(CaseEvent)
                .where(
                    col(CaseEvent.case_id) == case_id,
                    col(CaseEvent.type) == EventType.MESSAGE,
                    col(CaseEvent.source_chat_id).is_not(None),
                )
                .order_by(col(CaseEvent.id))
            )
        )
        .scalars()
        .all()
    )
    parts = []
    for ev in rows:
        media = ev.media or {}
        parts.append(
            Part(
                chat_id=ev.source_chat_id or 0,
                message_id=ev.source_message_id or 0,
                kind=media.get("kind", "text"),
                text=ev.text,
                file_id=media.get("file_id"),
                lat=media.get("lat"),
                lon=media.get("lon"),
            )
        )
    return parts


async def _active_staff(session: AsyncSession, user_id: int) -> Staff:
    staff = (
        await session.execute(select(Staff).where(col(Staff.user_id) == user_id, col(Staff.active)))
    ).scalar()
    if staff is None or staff.role not in (Role.CADRE, Role.ADMIN):
        raise NotAllowed("staff.only")
    return staff
