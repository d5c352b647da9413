"""An inspector's answer to a report: accepting it (a named report must be acknowledged within
its working-day deadline, with a reminder when it is not) and closing it with a note the
reporter reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import pk
from models.tipoffs import TipOff, TipOffMessage
from services.audit import audit
from services.errors import Invalid
from services.outbox import enqueue, text_message
from services.reminders import Due, Handler
from services.staff import label_of
from services.texts import esc
from services.tipoffs.relaying import UseCases, action_buttons, linked
from services.tipoffs.views import TipView, view_of


class Acknowledgement(UseCases):
    async def accept(self, user_id: int, tipoff_id: int) -> TipView:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            tip = await self.inspectors_tip(session, tipoff_id, user_id)
            if tip.status != "new":
                raise Invalid("tipoff.not_new", no=tip.public_no)
            tip.status, tip.accepted_at = "accepted", now
            return await self._answered(
                session,
                tip,
                user_id,
                "accept",
                now,
                lambda loc: self.texts(loc, "tipoff.accepted_notice", no=tip.public_no),
            )

    async def close(self, user_id: int, tipoff_id: int, note: str) -> TipView:
        note = note.strip()
        if not note:
            raise Invalid("tipoff.note_needed")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            tip = await self.inspectors_tip(session, tipoff_id, user_id)
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
            return await self._answered(
                session,
                tip,
                user_id,
                "close",
                now,
                lambda loc: self.texts(
                    loc, "tipoff.closed_notice", no=tip.public_no, note=esc(note)
                ),
            )

    async def _answered(
        self,
        session: AsyncSession,
        tip: TipOff,
        user_id: int,
        what: str,
        now: datetime,
        render: Callable[[str], str],
    ) -> TipView:
        """Recorded for the office's auditors, told to the reporter, shown to the inspector."""
        audit(session, now, user_id, f"tipoff:{what}", f"tipoff:{pk(tip)}")
        await self.tell_reporter(session, tip, what, now, render)
        return await view_of(session, tip)

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
            payload=linked(
                text_message(
                    self.texts(target.locale, "tipoff.ack_overdue", no=tip.public_no),
                    action_buttons(self.ctx, target.locale, tip),
                ),
                pk(tip),
            ),
            recipient_user_id=target.user_id,
        )
        return True
