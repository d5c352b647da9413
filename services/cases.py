"""Cases: filing, routing, reading, and the conversation both ways.

Every use case runs in one short transaction and writes, in that same transaction, an outbox row
for each message to anyone other than the person acting. Repeating a use case with the same
source message is harmless: the unique source keys on cases and events make it a no-op.
Status changes (accept, resolve, close, …) live in ``services/lifecycle/``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.db import release_reads
from models.direct import Direct
from models.enums import CaseKind, CaseStatus, EventType, Role
from models.queries import next_value
from models.tables import (
    Case,
    CaseEvent,
    Category,
    ContactPoint,
    Counter,
    MessageLink,
    Residency,
    pk,
    table_of,
)
from services.cards import staff_name
from services.case_access import active_staff, resident_case, staff_case
from services.case_clock import plan_deadlines
from services.case_mail import CaseMail
from services.case_rules import ACTIVE, OPEN, transition
from services.context import Context
from services.deadlines import deadlines_for
from services.errors import Invalid
from services.event_relay import ADD_EVENT
from services.outbox import enqueue, sending_to, text_message
from services.parts import Part
from services.staff import choose_assignee, label_of
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
# The categories offered when filing are read three times by every filing and change rarely:
# they are kept per process, like the people (``services/people.py``). A change committed in
# this process drops them at once (``Database.people_version``: categories count among what
# it tracks); with Redis, one committed in any process does (``bot/people_signal.py``); one
# made by another process without Redis (the command line) is seen within this many seconds.
# Filing checks the category again in its own transaction, so a stale list never files a case
# under a retired category.
CATEGORIES_TTL = 30.0


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
class Page:
    cases: list[CaseView]
    page: int
    pages: int


@dataclass(frozen=True)
class CaseDetail:
    case: CaseView
    events: list[EventView]


def message_event(case_id: int, user_id: int, type_: str, part: Part, now: datetime) -> CaseEvent:
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


_CASES = table_of(Case)
_ADD_CASE = Direct(_CASES.insert().returning(_CASES.c.id))  # run with by_keys=True
_LINKS = table_of(MessageLink)
_CATEGORIES = table_of(Category)
_OFFERED = (
    select(
        _CATEGORIES.c.id,
        _CATEGORIES.c.code,
        _CATEGORIES.c.name_zh,
        _CATEGORIES.c.name_en,
        _CATEGORIES.c.tier,
    )
    .where(_CATEGORIES.c.active)
    .order_by(_CATEGORIES.c.sort, _CATEGORIES.c.id)
)
_POINTS = table_of(ContactPoint)
_RESIDENCIES = table_of(Residency)
# The filing's first statement: the resident's contact point, and the chosen category's tier
# and whether it is still offered (checked here, in the filing's transaction: the wizard's list
# may be stale). A category that does not exist reads as NULLs.
_CATEGORY_OF_DRAFT = _CATEGORIES.c.id == bindparam("category")
_POINT_OF_RESIDENT = Direct(
    select(
        _POINTS,
        select(_CATEGORIES.c.tier).where(_CATEGORY_OF_DRAFT).scalar_subquery().label("cat_tier"),
        select(_CATEGORIES.c.active)
        .where(_CATEGORY_OF_DRAFT)
        .scalar_subquery()
        .label("cat_active"),
    )
    .join(_RESIDENCIES, _RESIDENCIES.c.contact_point_id == _POINTS.c.id)
    .where(_RESIDENCIES.c.user_id == bindparam("user"))
)
_BY_SOURCE = Direct(
    select(_CASES.c.id).where(
        _CASES.c.source_chat_id == bindparam("chat"),
        _CASES.c.source_message_id == bindparam("mid"),
    )
)
# How long a swipe-reply waits for the link of a message still being recorded (a sender's
# record is one short transaction; past this, the reply goes where unlinked replies go).
LINK_PATIENCE = 10.0
_CASE_OF_MESSAGE = Direct(
    select(_LINKS.c.case_id).where(
        _LINKS.c.chat_id == bindparam("chat"), _LINKS.c.message_id == bindparam("mid")
    )
)


def message_event_values(
    case_id: int, user_id: int, type_: str, part: Part, now: datetime
) -> dict[str, Any]:
    """The columns of :func:`message_event`, for Core statements."""
    return {
        "case_id": case_id,
        "actor_user_id": user_id,
        "type": type_,
        "text": part.text,
        "media": part.media(),
        "source_chat_id": part.chat_id,
        "source_message_id": part.message_id,
        "internal": False,
        "hidden": False,
        "at": now,
    }


async def add_message_event(
    session: AsyncSession, case_id: int, user_id: int, type_: str, part: Part, now: datetime
) -> int:
    """:func:`message_event` written with one Core statement (INSERT … RETURNING id): no ORM
    object to build and flush on the follow-up's hot path."""
    values = message_event_values(case_id, user_id, type_, part, now)
    return int(await ADD_EVENT.scalar(session, values, by_keys=True))


async def content_parts(session: AsyncSession, case_id: int) -> list[Part]:
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
    return [
        Part.stored(ev.text, ev.media, ev.source_chat_id or 0, ev.source_message_id or 0)
        for ev in rows
    ]


class Cases:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.texts = ctx.texts
        self.mail = CaseMail(ctx)
        # (people_version when read, time.monotonic() when read, the categories offered)
        self._offered: tuple[int, float, tuple[CategoryView, ...]] | None = None

    # ---- reading -------------------------------------------------------------------------

    async def categories(self) -> list[CategoryView]:
        """The categories offered when filing, in order (kept: see ``CATEGORIES_TTL``)."""
        db = self.ctx.db
        kept = self._offered
        if (
            kept is not None
            and kept[0] == db.people_version
            and time.monotonic() - kept[1] < CATEGORIES_TTL
        ):
            return list(kept[2])
        version = db.people_version  # read before loading: a change during it wins
        # A session of its own, not the update's: the update's read snapshot may predate a
        # change this process has just committed (and counted).
        async with db.sessions() as session:
            rows = (await session.execute(_OFFERED)).all()
        offered = tuple(CategoryView(r.id, r.code, r.name_zh, r.name_en, r.tier) for r in rows)
        self._offered = (version, time.monotonic(), offered)
        return list(offered)

    async def of_resident(self, user_id: int, limit: int = 20) -> list[CaseView]:
        async with self.ctx.db.read() as session:
            rows = (
                await session.execute(
                    case_query()
                    .where(Case.resident_id == user_id)
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
                    .where(Case.resident_id == user_id, col(Case.status).in_(tuple(ACTIVE)))
                    .order_by(col(Case.id).desc())
                    .limit(limit)
                )
            ).all()
        return [to_view(r) for r in rows]

    async def for_resident(self, user_id: int, case_id: int) -> CaseDetail:
        async with self.ctx.db.read() as session:
            view = await resident_case(session, user_id, case_id)
            events = await load_events(session, case_id, include_internal=False)
        return CaseDetail(view, events)

    async def for_staff(self, user_id: int, case_id: int) -> CaseDetail:
        async with self.ctx.db.read() as session:
            view, _staff = await staff_case(session, user_id, case_id)
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
            staff = await active_staff(session, user_id)
            where: list[Any] = [col(Case.status).in_(tuple(OPEN))]
            if staff.role == Role.ADMIN:
                # Administrators also see what nobody owns in their region.
                unowned: Any = col(Case.assignee_id).is_(None)
                if staff.region:
                    in_scope = select(col(ContactPoint.id)).where(
                        or_(
                            col(ContactPoint.region) == staff.region,
                            col(ContactPoint.region).startswith(staff.region + "/"),
                        )
                    )
                    unowned = and_(unowned, col(Case.contact_point_id).in_(in_scope))
                where.append(or_(col(Case.assignee_id) == staff.id, unowned))
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

    async def case_of_message(
        self, chat_id: int, message_id: int, *, sent_by_bot: bool = False
    ) -> int | None:
        """The case a message in this chat belongs to, if any.

        With ``sent_by_bot``, a message the bot sent moments ago is waited for: a sender
        records a message's link to its case right after Telegram answered, and a quick
        swipe-reply (the confirmation, answered at once) can arrive in between. While a row to
        this chat is being sent, look again, for at most ``LINK_PATIENCE`` seconds."""
        case_id = await self._linked(chat_id, message_id)
        if case_id is not None or not sent_by_bot:
            return case_id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LINK_PATIENCE
        pause = 0.02
        while True:
            # Asked before the link is read again: a send recorded in between is then seen
            # by that read (asked after, a record committed between the two was missed).
            busy = await sending_to(self.ctx, chat_id)
            case_id = await self._linked(chat_id, message_id)
            if case_id is not None or not busy or loop.time() >= deadline:
                return case_id
            await release_reads()  # no connection or snapshot held while waiting
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)

    async def _linked(self, chat_id: int, message_id: int) -> int | None:
        async with self.ctx.db.read() as session:
            found = await _CASE_OF_MESSAGE.scalar(session, {"chat": chat_id, "mid": message_id})
            return int(found) if found is not None else None

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
            found = await _POINT_OF_RESIDENT.first(
                session, {"user": user_id, "category": draft.category_id}
            )
            if found is None:
                raise Invalid("filing.no_point")
            row = dict(zip(_POINT_OF_RESIDENT.keys, found, strict=True))
            tier, offered = row.pop("cat_tier"), row.pop("cat_active")
            point = ContactPoint(**row)  # not added to the session
            if not point.active:
                raise Invalid("filing.point_inactive")
            if tier is None or not offered:
                raise Invalid("filing.bad_category")
            year = now.astimezone(ZoneInfo(point.tz)).year
            seq = await next_value(session, table_of(Counter), f"case:{year}")
            assignee = await choose_assignee(session, point)
            due = deadlines_for(self.ctx.config.deadlines, tier, now, point.tz)
            first = draft.parts[0]
            # Core statements (INSERT … RETURNING id): no ORM objects to build and flush.
            case_id = await _ADD_CASE.scalar(
                session,
                {
                    "public_no": f"{year}-{seq:04d}",
                    "kind": draft.kind,
                    "category_id": draft.category_id,
                    "tier": tier,
                    "status": CaseStatus.NEW,
                    "resident_id": user_id,
                    "contact_point_id": pk(point),
                    "assignee_id": assignee,
                    "first_receiver_id": assignee,
                    "summary": "\n".join(p.text for p in draft.parts if p.text)[:2000],
                    "created_at": now,
                    "due_ack_at": due.ack,
                    "due_resolve_at": due.resolve,
                    "source_chat_id": first.chat_id,
                    "source_message_id": first.message_id,
                },
                by_keys=True,
            )
            filed_id = await ADD_EVENT.scalar(
                session,
                {
                    "case_id": case_id,
                    "actor_user_id": user_id,
                    "type": EventType.FILED,
                    "internal": False,
                    "hidden": False,
                    "at": now,
                },
                by_keys=True,
            )
            for part in draft.parts:
                await add_message_event(session, case_id, user_id, EventType.MESSAGE, part, now)
            view = await must_view(session, case_id)
            await self.mail.card(session, view, filed_id, draft.parts, now)
            await self._confirm(session, view, now)
            await plan_deadlines(session, self.ctx, view, now)
        return Filed(view, duplicate=False)

    async def follow_up(self, user_id: int, case_id: int, part: Part) -> CaseView:
        """A resident adds a message to their case; it is relayed to the assignee."""
        now = self.ctx.clock.now()
        try:
            async with self.ctx.db.write() as session:
                view = await resident_case(session, user_id, case_id)
                if view.status == CaseStatus.CLOSED:
                    raise Invalid("case.closed", no=view.public_no)
                transition("follow_up", view.status)
                if view.assignee_id is None:
                    await add_message_event(session, case_id, user_id, EventType.MESSAGE, part, now)
                else:
                    # The view carries the assignee's chat and language (no other lookup).
                    chat_id, user, locale = (
                        view.assignee_chat_id,
                        view.assignee_user_id,
                        view.assignee_locale,
                    )
                    if chat_id is None or user is None or locale is None:
                        target = await label_of(session, view.assignee_id)
                        chat_id, user, locale = target.chat_id, target.user_id, target.locale
                    label = self.texts(
                        locale,
                        "relay.from_resident",
                        no=view.public_no,
                        name=esc(view.resident_name or ""),
                    )
                    event = message_event_values(case_id, user_id, EventType.MESSAGE, part, now)
                    await self.mail.relay(session, view, event, part, label, chat_id, user, now)
        except IntegrityError:
            pass  # the same message again (a redelivered update): already relayed
        return view

    # ---- staff ---------------------------------------------------------------------------

    async def reply(self, user_id: int, case_id: int, part: Part) -> CaseView:
        """A staff member answers the resident; the message is relayed with their name."""
        now = self.ctx.clock.now()
        try:
            async with self.ctx.db.write() as session:
                view, staff = await staff_case(session, user_id, case_id)
                case = await session.get(Case, case_id)
                assert case is not None
                before = case.status
                case.status = transition("reply", case.status)
                case.first_response_at = case.first_response_at or now
                if case.assignee_id is None:
                    case.assignee_id = staff.id
                    case.first_receiver_id = case.first_receiver_id or staff.id
                event = message_event(case_id, user_id, EventType.REPLY, part, now)
                session.add(event)
                await session.flush()
                if view.resident_chat_id is not None and view.resident_id is not None:
                    me = await label_of(session, pk(staff))
                    locale = self.mail.resident_locale(view)
                    label = self.texts(
                        locale,
                        "relay.from_staff",
                        no=view.public_no,
                        name=staff_name(self.texts, locale, me.name, me.title),
                    )
                    await self.mail.relay(
                        session,
                        view,
                        pk(event),
                        part,
                        label,
                        view.resident_chat_id,
                        view.resident_id,
                        now,
                    )
                view = await must_view(session, case_id)
                if view.status != before:  # the first answer: cards show the new buttons
                    await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        except IntegrityError:
            async with self.ctx.db.read() as session:
                view = await must_view(session, case_id)
        return view

    # ---- helpers -------------------------------------------------------------------------

    async def _confirm(self, session: AsyncSession, view: CaseView, now: datetime) -> None:
        """The resident's record of their case: its number, who has it, by when.

        It goes through the outbox, queued with the case itself, so it arrives exactly once
        even if the process dies right after filing (the update is then handled again and
        finds the case already filed)."""
        if view.resident_chat_id is None or view.resident_id is None:
            return
        locale = self.mail.resident_locale(view)
        due = self.texts.when(locale, view.due_ack_at, view.point_tz)
        if view.assignee_name:
            who = staff_name(self.texts, locale, view.assignee_name, view.assignee_title)
            text = self.texts(locale, "filing.filed", no=view.public_no, name=who, due=due)
        else:
            text = self.texts(locale, "filing.filed_unassigned", no=view.public_no, due=due)
        await enqueue(
            session,
            now,
            key=f"case{view.id}:filed",
            chat_id=view.resident_chat_id,
            payload={**text_message(text), "menu": "resident", "locale": locale},
            recipient_user_id=view.resident_id,
            case_id=view.id,
        )

    async def _by_source(self, chat_id: int, message_id: int) -> CaseView | None:
        async with self.ctx.db.read() as session:
            case_id = await _BY_SOURCE.scalar(session, {"chat": chat_id, "mid": message_id})
            return await load_view(session, case_id) if case_id else None
