"""Tip-offs (举报): reports of misconduct, seen only by the discipline inspectors of the contact
point's region — never by its cadres, never by anyone the reporter names.

Tip-offs live in their own tables, so no cadre's list, card, figure or export can touch them.
An anonymous reporter is known to the system only through an encrypted link to their chat and
the hash of a receipt code they keep; inspectors see an alias. Messages to and from an anonymous
reporter are relayed inside the bot, and their outbox rows are scrubbed once sent.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.queries import next_value
from models.tables import Assignment, ContactPoint, Counter, Staff, User, pk, table_of
from models.tipoffs import TipOff, TipOffLink, TipOffMessage
from services.audit import audit
from services.context import Context
from services.deadlines import WorkCalendar
from services.errors import Invalid, NotAllowed, NotFound
from services.outbox import Button, Keyboard, enqueue, text_message
from services.parts import Part
from services.points import point_of_resident
from services.relay import relay_payloads, stored_payloads
from services.reminders import Due, Handler, plan
from services.sealing import Sealer
from services.staff import covers_region, label_of
from services.texts import cut, esc

OPEN = ("new", "accepted")


@dataclass(frozen=True)
class Official:
    staff_id: int
    name: str
    title: str


@dataclass(frozen=True)
class Filed:
    public_no: str
    receipt: str | None  # shown once to an anonymous reporter; only its hash is kept
    assigned: bool


@dataclass(frozen=True)
class TipView:
    id: int
    public_no: str
    named: bool
    alias: str
    reporter_name: str | None  # named reports only
    reporter_phone: str | None
    point_name: str
    concerns: list[str]
    summary: str
    status: str
    assignee_id: int | None
    created_at: datetime
    due_ack_at: datetime | None
    tz: str


@dataclass(frozen=True)
class TipMessage:
    from_reporter: bool
    text: str | None
    media_kind: str | None
    at: datetime


class TipOffs:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.texts = ctx.texts
        self.sealer = Sealer(ctx.config.tipoff_key)

    # ---- the reporter --------------------------------------------------------------------

    async def officials(self, user_id: int) -> list[Official]:
        """Who the report could be about: the staff serving the reporter's contact point."""
        async with self.ctx.db.read() as session:
            point = await point_of_resident(session, user_id)
            rows = (
                await session.execute(
                    select(Staff, User)
                    .join(User, col(User.id) == col(Staff.user_id))
                    .join(Assignment, col(Assignment.staff_id) == col(Staff.id))
                    .where(
                        col(Assignment.contact_point_id) == point.id,
                        col(Assignment.until).is_(None),
                        col(Staff.active),
                    )
                    .order_by(col(User.name))
                )
            ).all()
        return [Official(pk(s), u.name, s.title) for s, u in rows]

    async def file(
        self, user_id: int, *, named: bool, concerns: list[int], parts: list[Part]
    ) -> Filed:
        """File a report; an anonymous one keeps nothing that points back to the reporter."""
        if not parts:
            raise Invalid("filing.empty")
        if not named and not self.sealer.available:
            raise Invalid("tipoff.anonymous_off")
        first = parts[0]
        source = self.sealer.mac("tip", first.chat_id, first.message_id)
        now = self.ctx.clock.now()
        receipt = None if named else self.sealer.receipt_code()
        try:
            async with self.ctx.db.write() as session:
                existing = (
                    await session.execute(
                        select(col(TipOffMessage.tipoff_id)).where(
                            col(TipOffMessage.source_key) == source
                        )
                    )
                ).scalar()
                if existing is not None:
                    raise Invalid("tipoff.already_sent")
                point = await point_of_resident(session, user_id)
                tz = ZoneInfo(point.tz)
                seq = await next_value(
                    session, table_of(Counter), f"tipoff:{now.astimezone(tz).year}"
                )
                assignee = await choose_inspector(session, point, set(concerns))
                due = None
                if named:
                    due = WorkCalendar(
                        self.ctx.config.deadlines.holidays, self.ctx.config.deadlines.extra_workdays
                    ).add_workdays(now, self.ctx.config.tipoff_ack_workdays, point.tz)
                tip = TipOff(
                    public_no=f"J{now.astimezone(tz).year}-{seq:04d}",
                    contact_point_id=pk(point),
                    region=point.region,
                    named=named,
                    reporter_user_id=user_id if named else None,
                    reporter_link=None if named else self.sealer.seal(first.chat_id),
                    receipt_hash=None if receipt is None else self.sealer.mac("receipt", receipt),
                    alias=f"#{secrets.token_hex(2).upper()}",
                    reporter_locale=await self._locale_of(session, user_id),
                    concerns=sorted(set(concerns)),
                    summary="\n".join(p.text for p in parts if p.text)[:2000],
                    status="new",
                    assignee_id=assignee,
                    created_at=now,
                    due_ack_at=due,
                )
                session.add(tip)
                await session.flush()
                for i, part in enumerate(parts):
                    key = (
                        source if i == 0 else self.sealer.mac("tip", part.chat_id, part.message_id)
                    )
                    session.add(
                        self._message(
                            pk(tip),
                            part,
                            key,
                            now,
                            from_reporter=True,
                            author=user_id if named else None,
                        )
                    )
                await session.flush()
                await self._card(session, tip, parts, now)
                if due is not None:
                    await plan(
                        session,
                        kind="tipoff:ack_due",
                        subject=f"tipoff:{pk(tip)}",
                        due_at=due,
                        now=now,
                    )
        except IntegrityError:
            raise Invalid("tipoff.already_sent") from None
        return Filed(tip.public_no, receipt, assignee is not None)

    async def by_receipt(self, code: str) -> TipView:
        """An anonymous reporter follows their report with the code they kept."""
        digest = self.sealer.mac("receipt", Sealer.normalize_receipt(code))
        async with self.ctx.db.read() as session:
            tip = (
                await session.execute(select(TipOff).where(col(TipOff.receipt_hash) == digest))
            ).scalar()
            if tip is None:
                raise NotFound("tipoff.receipt_unknown")
            return await self._view(session, tip)

    async def of_reporter(self, user_id: int) -> list[TipView]:
        async with self.ctx.db.read() as session:
            rows = (
                (
                    await session.execute(
                        select(TipOff)
                        .where(col(TipOff.reporter_user_id) == user_id)
                        .order_by(col(TipOff.id).desc())
                        .limit(10)
                    )
                )
                .scalars()
                .all()
            )
            return [await self._view(session, tip) for tip in rows]

    async def thread(
        self,
        tipoff_id: int,
        *,
        reporter_user_id: int | None = None,
        receipt: str | None = None,
        inspector_user_id: int | None = None,
    ) -> list[TipMessage]:
        async with self.ctx.db.read() as session:
            await self._authorize(session, tipoff_id, reporter_user_id, receipt, inspector_user_id)
            rows = (
                (
                    await session.execute(
                        select(TipOffMessage)
                        .where(col(TipOffMessage.tipoff_id) == tipoff_id)
                        .order_by(col(TipOffMessage.id))
                    )
                )
                .scalars()
                .all()
            )
        return [
            TipMessage(m.from_reporter, m.text, (m.media or {}).get("kind"), m.at) for m in rows
        ]

    async def add_from_reporter(
        self,
        tipoff_id: int,
        part: Part,
        *,
        reporter_user_id: int | None = None,
        receipt: str | None = None,
    ) -> TipView:
        """The reporter adds to their report (named: by their account; anonymous: by code)."""
        now = self.ctx.clock.now()
        key = self.sealer.mac("tip", part.chat_id, part.message_id)
        try:
            async with self.ctx.db.write() as session:
                tip = await self._authorize(session, tipoff_id, reporter_user_id, receipt, None)
                if tip.status == "closed":
                    raise Invalid("tipoff.closed", no=tip.public_no)
                message = self._message(
                    pk(tip),
                    part,
                    key,
                    now,
                    from_reporter=True,
                    author=reporter_user_id if tip.named else None,
                )
                session.add(message)
                await session.flush()
                if tip.assignee_id is not None:
                    target = await label_of(session, tip.assignee_id)
                    label = self.texts(
                        target.locale,
                        "tipoff.relay_from_reporter",
                        no=tip.public_no,
                        who=self._who(tip, target.locale),
                    )
                    await _relay(
                        session,
                        tip,
                        part,
                        label,
                        f"tipmsg{pk(message)}",
                        target.chat_id,
                        target.user_id,
                        now,
                        linked=True,
                    )
                return await self._view(session, tip)
        except IntegrityError:
            return await self._redelivered(tipoff_id)

    # ---- inspectors ----------------------------------------------------------------------

    async def queue(self, user_id: int) -> list[TipView]:
        async with self.ctx.db.read() as session:
            inspector = await _inspector(session, user_id)
            rows = (
                (
                    await session.execute(
                        select(TipOff)
                        .where(
                            col(TipOff.assignee_id) == inspector.id, col(TipOff.status).in_(OPEN)
                        )
                        .order_by(col(TipOff.id))
                    )
                )
                .scalars()
                .all()
            )
            return [await self._view(session, tip) for tip in rows]

    async def for_inspector(self, user_id: int, tipoff_id: int) -> TipView:
        async with self.ctx.db.read() as session:
            tip = await self._authorize(session, tipoff_id, None, None, user_id)
            return await self._view(session, tip)

    async def tipoff_of_message(self, chat_id: int, message_id: int) -> int | None:
        async with self.ctx.db.read() as session:
            link = await session.get(TipOffLink, (chat_id, message_id))
            return link.tipoff_id if link else None

    async def accept(self, user_id: int, tipoff_id: int) -> TipView:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            tip = await self._authorize(session, tipoff_id, None, None, user_id)
            if tip.status != "new":
                raise Invalid("tipoff.not_new", no=tip.public_no)
            tip.status, tip.accepted_at = "accepted", now
            audit(session, now, user_id, "tipoff:accept", f"tipoff:{tipoff_id}")
            await self._to_reporter(
                session,
                tip,
                "accept",
                now,
                lambda loc: self.texts(loc, "tipoff.accepted_notice", no=tip.public_no),
            )
            return await self._view(session, tip)

    async def reply(self, user_id: int, tipoff_id: int, part: Part) -> TipView:
        """An inspector's question or answer, relayed to the reporter inside the bot."""
        now = self.ctx.clock.now()
        try:
            async with self.ctx.db.write() as session:
                tip = await self._authorize(session, tipoff_id, None, None, user_id)
                if tip.status == "closed":
                    raise Invalid("tipoff.closed", no=tip.public_no)
                if tip.status == "new":
                    tip.status, tip.accepted_at = "accepted", now
                message = self._message(
                    pk(tip),
                    part,
                    f"staff:{part.chat_id}:{part.message_id}",
                    now,
                    from_reporter=False,
                    author=user_id,
                )
                session.add(message)
                await session.flush()
                chat_id, locale, recipient = await self._reporter(session, tip)
                if chat_id is not None:
                    label = self.texts(locale, "tipoff.relay_from_inspector", no=tip.public_no)
                    await _relay(
                        session,
                        tip,
                        part,
                        label,
                        f"tipmsg{pk(message)}",
                        chat_id,
                        recipient,
                        now,
                        linked=False,
                    )
                return await self._view(session, tip)
        except IntegrityError:
            return await self._redelivered(tipoff_id)

    async def close(self, user_id: int, tipoff_id: int, note: str) -> TipView:
        note = note.strip()
        if not note:
            raise Invalid("tipoff.note_needed")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            tip = await self._authorize(session, tipoff_id, None, None, user_id)
            if tip.status == "closed":
                raise Invalid("tipoff.closed", no=tip.public_no)
            tip.status, tip.closed_at = "closed", now
            session.add(
                TipOffMessage(
                    tipoff_id=tipoff_id,
                    from_reporter=False,
                    author_user_id=user_id,
                    text=note[:2000],
                    at=now,
                )
            )
            audit(session, now, user_id, "tipoff:close", f"tipoff:{tipoff_id}")
            await self._to_reporter(
                session,
                tip,
                "close",
                now,
                lambda loc: self.texts(
                    loc, "tipoff.closed_notice", no=tip.public_no, note=esc(note)
                ),
            )
            return await self._view(session, tip)

    # ---- reminders -----------------------------------------------------------------------

    def reminder_handlers(self) -> dict[str, Handler]:
        return {"tipoff:ack_due": self._ack_due}

    async def _ack_due(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        tip = await session.get(TipOff, int(due.subject.removeprefix("tipoff:")))
        if tip is None or tip.status != "new" or tip.assignee_id is None:
            return False
        target = await label_of(session, tip.assignee_id)
        await enqueue(
            session,
            now,
            key=f"tipoff{pk(tip)}:ack_due",
            chat_id=target.chat_id,
            payload=_linked(
                text_message(
                    self.texts(target.locale, "tipoff.ack_overdue", no=tip.public_no),
                    self._buttons(target.locale, tip),
                ),
                pk(tip),
            ),
            recipient_user_id=target.user_id,
        )
        return True

    # ---- helpers -------------------------------------------------------------------------

    @staticmethod
    async def _locale_of(session: AsyncSession, user_id: int) -> str:
        user = await session.get(User, user_id)
        return user.locale if user is not None else "zh_Hans"

    async def _authorize(
        self,
        session: AsyncSession,
        tipoff_id: int,
        reporter_user_id: int | None,
        receipt: str | None,
        inspector_user_id: int | None,
    ) -> TipOff:
        """Only its reporter (by account or receipt code) or its inspector reach a tip-off;
        anyone else learns nothing, not even that it exists."""
        tip = await session.get(TipOff, tipoff_id)
        if tip is None:
            raise NotFound("tipoff.not_found")
        if inspector_user_id is not None:
            inspector = await _inspector(session, inspector_user_id)
            if inspector.id in tip.concerns:
                raise NotFound("tipoff.not_found")  # never to someone the report names
            if tip.assignee_id != inspector.id and not (
                inspector.region is None or covers_region(inspector.region, tip.region)
            ):
                raise NotFound("tipoff.not_found")
            if tip.assignee_id is None:
                tip.assignee_id = inspector.id
            return tip
        if reporter_user_id is not None and tip.named and tip.reporter_user_id == reporter_user_id:
            return tip
        if receipt is not None and tip.receipt_hash == self.sealer.mac(
            "receipt", Sealer.normalize_receipt(receipt)
        ):
            return tip
        raise NotFound("tipoff.not_found")

    async def _reporter(
        self, session: AsyncSession, tip: TipOff
    ) -> tuple[int | None, str, int | None]:
        if tip.named and tip.reporter_user_id is not None:
            user = await session.get(User, tip.reporter_user_id)
            if user is None or user.erased_at is not None:
                return None, self.ctx.config.default_locale, None
            return user.chat_id, user.locale, user.id
        if tip.reporter_link is None:
            return None, self.ctx.config.default_locale, None
        return self.sealer.unseal(tip.reporter_link), tip.reporter_locale, None

    async def _to_reporter(
        self, session: AsyncSession, tip: TipOff, what: str, now: datetime, render: Any
    ) -> None:
        chat_id, locale, recipient = await self._reporter(session, tip)
        if chat_id is None:
            return
        await enqueue(
            session,
            now,
            key=f"tipoff{pk(tip)}:{what}",
            chat_id=chat_id,
            payload=_sealed(text_message(render(locale)), tip),
            recipient_user_id=recipient,
        )

    def _who(self, tip: TipOff, locale: str) -> str:
        return (
            self.texts(locale, "tipoff.anonymous_alias", alias=tip.alias)
            if not tip.named
            else self.texts(locale, "tipoff.named_reporter")
        )

    def _buttons(self, locale: str, tip: TipOff) -> Keyboard:
        row = [
            Button(self.texts(locale, "btn.reply"), "tip_reply", pk(tip)),
            Button(self.texts(locale, "btn.close"), "tip_close", pk(tip)),
        ]
        if tip.status == "new":
            row.insert(0, Button(self.texts(locale, "btn.accept"), "tip_accept", pk(tip)))
        return [row]

    async def _card(
        self,
        session: AsyncSession,
        tip: TipOff,
        parts: list[Part],
        now: datetime,
        *,
        stored: bool = False,
    ) -> None:
        """The report's card and its attachments to its inspector. ``stored``: the parts are
        what was kept of them (a report handed to another inspector), sent by file id, since
        an anonymous reporter's chat is sealed and cannot be copied from."""
        if tip.assignee_id is None:
            return
        target = await label_of(session, tip.assignee_id)
        view = await self._view(session, tip)
        text = tipoff_card(self.ctx, target.locale, view)
        key = f"tipoff{pk(tip)}:card" + (f":s{tip.assignee_id}" if stored else "")
        await enqueue(
            session,
            now,
            key=key,
            chat_id=target.chat_id,
            payload=_linked(
                _sealed(text_message(text, self._buttons(target.locale, tip)), tip), pk(tip)
            ),
            recipient_user_id=target.user_id,
        )
        extra = [p for p in parts if p.kind != "text"]
        for i, part in enumerate(extra, start=1):
            label = self.texts(
                target.locale, "tipoff.part", no=tip.public_no, n=i, total=len(extra)
            )
            await _relay(
                session,
                tip,
                part,
                label,
                f"{key}:part{i}",
                target.chat_id,
                target.user_id,
                now,
                linked=True,
                stored=stored,
            )

    async def route_waiting(self) -> int:
        """Hand every open report without an active inspector to one: a report filed before
        any inspector of its region joined, or whose inspector was suspended or removed. The
        new inspector gets the card and what the reporter sent. Returns how many moved."""
        async with self.ctx.db.write() as session:
            return await self.route_waiting_in(session, self.ctx.clock.now())

    async def route_waiting_in(self, session: AsyncSession, now: datetime) -> int:
        """:meth:`route_waiting` inside the caller's transaction (a suspension's)."""
        moved = 0
        waiting = (
            (
                await session.execute(
                    select(TipOff)
                    .outerjoin(Staff, col(Staff.id) == col(TipOff.assignee_id))
                    .where(
                        col(TipOff.status).in_(OPEN),
                        or_(col(TipOff.assignee_id).is_(None), not_(col(Staff.active))),
                    )
                    .order_by(col(TipOff.id))
                    .with_for_update(skip_locked=True, of=TipOff)
                )
            )
            .scalars()
            .all()
        )
        for tip in waiting:
            point = await session.get(ContactPoint, tip.contact_point_id)
            assert point is not None
            new = await choose_inspector(session, point, set(tip.concerns or []))
            if new is None:
                continue
            before, tip.assignee_id = tip.assignee_id, new
            await session.flush()  # the next report's choice sees this one's load
            audit(
                session,
                now,
                None,
                "tipoff:route",
                f"tipoff:{pk(tip)}",
                from_staff=before,
                to_staff=new,
            )
            await self._card(session, tip, await _reported(session, pk(tip)), now, stored=True)
            moved += 1
        return moved

    async def _redelivered(self, tipoff_id: int) -> TipView:
        """The tip-off as it is, for a message that was already taken (a redelivered update)."""
        async with self.ctx.db.read() as session:
            found = await session.get(TipOff, tipoff_id)
            assert found is not None
            return await self._view(session, found)

    async def _view(self, session: AsyncSession, tip: TipOff) -> TipView:
        point = await session.get(ContactPoint, tip.contact_point_id)
        assert point is not None
        names: list[str] = []
        if tip.concerns:
            rows = await session.execute(
                select(col(User.name))
                .join(Staff, col(Staff.user_id) == col(User.id))
                .where(col(Staff.id).in_(tip.concerns))
            )
            names = [str(n) for n in rows.scalars()]
        reporter_name = reporter_phone = None
        if tip.named and tip.reporter_user_id is not None:
            user = await session.get(User, tip.reporter_user_id)
            if user is not None and user.erased_at is None:
                reporter_name, reporter_phone = user.name, user.phone
        return TipView(
            pk(tip),
            tip.public_no,
            tip.named,
            tip.alias,
            reporter_name,
            reporter_phone,
            point.name,
            names,
            tip.summary,
            tip.status,
            tip.assignee_id,
            tip.created_at,
            tip.due_ack_at,
            point.tz,
        )

    @staticmethod
    def _message(
        tipoff_id: int,
        part: Part,
        key: str,
        now: datetime,
        *,
        from_reporter: bool,
        author: int | None,
    ) -> TipOffMessage:
        return TipOffMessage(
            tipoff_id=tipoff_id,
            from_reporter=from_reporter,
            author_user_id=author,
            text=part.text,
            media=part.media(),
            source_key=key[:64],
            at=now,
        )


async def _reported(session: AsyncSession, tipoff_id: int) -> list[Part]:
    """What the reporter sent, as it was kept (text and Telegram's file ids, no chat)."""
    rows = (
        await session.execute(
            select(TipOffMessage)
            .where(col(TipOffMessage.tipoff_id) == tipoff_id, col(TipOffMessage.from_reporter))
            .order_by(col(TipOffMessage.id))
        )
    ).scalars()
    return [Part.stored(message.text, message.media) for message in rows]


async def _relay(
    session: AsyncSession,
    tip: TipOff,
    part: Part,
    label: str,
    key: str,
    chat_id: int,
    recipient_user_id: int | None,
    now: datetime,
    *,
    linked: bool,
    stored: bool = False,
) -> None:
    """Relay one message to one side of the tip-off, labelled; ``linked`` for the inspector's
    side, so their native reply finds the tip-off; ``stored`` sends it by file id."""
    payloads = stored_payloads(part, label) if stored else relay_payloads(part, label)
    for j, payload in enumerate(payloads):
        sealed = _sealed(payload, tip)
        await enqueue(
            session,
            now,
            key=f"{key}:{j}",
            chat_id=chat_id,
            payload=_linked(sealed, pk(tip)) if linked else sealed,
            recipient_user_id=recipient_user_id,
        )


def _sealed(payload: dict[str, Any], tip: TipOff) -> dict[str, Any]:
    """Anonymous reports: once sent, the outbox row forgets whose chat it came from or went to."""
    return {**payload, "seal": True} if not tip.named else payload


def _linked(payload: dict[str, Any], tipoff_id: int) -> dict[str, Any]:
    """Record the sent message as part of the tip-off, for the inspector's native replies."""
    return {**payload, "tipoff_link": tipoff_id}


def tipoff_card(ctx: Context, locale: str, view: TipView) -> str:
    t = ctx.texts
    who = (
        t(locale, "tipoff.anonymous_alias", alias=view.alias)
        if not view.named
        else (
            esc(view.reporter_name or t(locale, "tipoff.reporter_erased"))
            + (f" · {esc(view.reporter_phone)}" if view.reporter_phone else "")
        )
    )
    lines = [
        t(locale, "tipoff.card_title", no=view.public_no),
        t(locale, "tipoff.card_point", point=esc(view.point_name)),
        t(locale, "tipoff.card_reporter", who=who),
    ]
    if view.concerns:
        lines.append(t(locale, "tipoff.card_concerns", names=esc(", ".join(view.concerns))))
    if view.due_ack_at is not None:
        lines.append(t(locale, "tipoff.card_due", due=t.when(locale, view.due_ack_at, view.tz)))
    lines.append(t(locale, "tipoff.card_status", status=t(locale, f"tipoff.status_{view.status}")))
    if view.summary:
        lines += ["", esc(cut(view.summary, 1500))]
    return "\n".join(lines)


async def choose_inspector(
    session: AsyncSession, point: ContactPoint, excluded: set[int]
) -> int | None:
    """An inspector of the point's region, the least loaded, never one the report names;
    else an inspector with no region (everywhere). Never a cadre or an administrator."""
    load = (
        select(func.count())
        .select_from(TipOff)
        .where(col(TipOff.assignee_id) == col(Staff.id), col(TipOff.status).in_(OPEN))
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(col(Staff.id), col(Staff.region))
            .where(col(Staff.role) == Role.INSPECTOR, col(Staff.active))
            .order_by(load, col(Staff.id))
        )
    ).all()
    candidates = [(sid, region) for sid, region in rows if sid is not None and sid not in excluded]
    for staff_id, region in candidates:
        if region and covers_region(region, point.region):
            return staff_id
    for staff_id, region in candidates:
        if region is None:
            return staff_id
    return None


async def _inspector(session: AsyncSession, user_id: int) -> Staff:
    staff = (
        await session.execute(select(Staff).where(col(Staff.user_id) == user_id, col(Staff.active)))
    ).scalar()
    if staff is None or staff.role != Role.INSPECTOR:
        raise NotAllowed("tipoff.inspectors_only")
    return staff
