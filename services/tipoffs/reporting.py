"""The reporter's side of tip-offs: whom a report could be about, filing it (named, or
anonymous with a receipt code shown once), following it and adding to it."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.queries import next_value
from models.tables import Assignment, Counter, Staff, User, pk, table_of
from models.tipoffs import TipOff, TipOffMessage
from services.deadlines import WorkCalendar
from services.errors import Invalid, NotFound
from services.parts import Part
from services.points import point_of_resident
from services.reminders import plan
from services.staff import label_of
from services.tipoffs.anonymity import authorize, receipt_hash, who
from services.tipoffs.relaying import UseCases, message_row, relay, send_card
from services.tipoffs.routing import choose_inspector
from services.tipoffs.views import Filed, Official, TipMessage, TipView, current_view, view_of


class Reporting(UseCases):
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
                    receipt_hash=None if receipt is None else receipt_hash(self.sealer, receipt),
                    alias=f"#{secrets.token_hex(2).upper()}",
                    reporter_locale=await _locale_of(session, user_id),
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
                        message_row(
                            pk(tip),
                            part,
                            key,
                            now,
                            from_reporter=True,
                            author=user_id if named else None,
                        )
                    )
                await session.flush()
                await send_card(self.ctx, session, tip, parts, now)
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
        digest = receipt_hash(self.sealer, code)
        async with self.ctx.db.read() as session:
            tip = (
                await session.execute(select(TipOff).where(col(TipOff.receipt_hash) == digest))
            ).scalar()
            if tip is None:
                raise NotFound("tipoff.receipt_unknown")
            return await view_of(session, tip)

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
            return [await view_of(session, tip) for tip in rows]

    async def thread(
        self,
        tipoff_id: int,
        *,
        reporter_user_id: int | None = None,
        receipt: str | None = None,
        inspector_user_id: int | None = None,
    ) -> list[TipMessage]:
        async with self.ctx.db.read() as session:
            await authorize(
                session, self.sealer, tipoff_id, reporter_user_id, receipt, inspector_user_id
            )
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
                tip = await authorize(
                    session, self.sealer, tipoff_id, reporter_user_id, receipt, None
                )
                if tip.status == "closed":
                    raise Invalid("tipoff.closed", no=tip.public_no)
                message = message_row(
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
                        who=who(self.texts, tip, target.locale),
                    )
                    await relay(
                        session,
                        tip,
                        part,
                        label,
                        f"tipmsg{pk(message)}",
                        target.chat_id,
                        target.user_id,
                        now,
                        linked_to_tip=True,
                    )
                return await view_of(session, tip)
        except IntegrityError:
            return await current_view(self.ctx, tipoff_id)  # a redelivered update: taken


async def _locale_of(session: AsyncSession, user_id: int) -> str:
    user = await session.get(User, user_id)
    return user.locale if user is not None else "zh_Hans"
