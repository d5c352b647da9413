"""The inspectors' side of tip-offs: their queue, one report, and questions to the reporter
relayed inside the bot (the reporter hears "discipline inspection", never a name)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from models.tables import pk
from models.tipoffs import TipOff, TipOffLink
from services.errors import Invalid
from services.parts import Part
from services.tipoffs.anonymity import reporter_of
from services.tipoffs.relaying import UseCases, message_row, relay
from services.tipoffs.routing import inspector_of
from services.tipoffs.views import OPEN, TipView, current_view, view_of


class Inspection(UseCases):
    async def queue(self, user_id: int) -> list[TipView]:
        async with self.ctx.db.read() as session:
            inspector = await inspector_of(session, user_id)
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
            return [await view_of(session, tip) for tip in rows]

    async def for_inspector(self, user_id: int, tipoff_id: int) -> TipView:
        async with self.ctx.db.read() as session:
            tip = await self.inspectors_tip(session, tipoff_id, user_id)
            return await view_of(session, tip)

    async def tipoff_of_message(self, chat_id: int, message_id: int) -> int | None:
        async with self.ctx.db.read() as session:
            link = await session.get(TipOffLink, (chat_id, message_id))
            return link.tipoff_id if link else None

    async def reply(self, user_id: int, tipoff_id: int, part: Part) -> TipView:
        """An inspector's question or answer, relayed to the reporter inside the bot."""
        now = self.ctx.clock.now()
        try:
            async with self.ctx.db.write() as session:
                tip = await self.inspectors_tip(session, tipoff_id, user_id)
                if tip.status == "closed":
                    raise Invalid("tipoff.closed", no=tip.public_no)
                if tip.status == "new":
                    tip.status, tip.accepted_at = "accepted", now
                message = message_row(
                    pk(tip),
                    part,
                    f"staff:{part.chat_id}:{part.message_id}",
                    now,
                    from_reporter=False,
                    author=user_id,
                )
                session.add(message)
                await session.flush()
                chat_id, locale, recipient = await reporter_of(
                    session, self.sealer, tip, self.ctx.config.default_locale
                )
                if chat_id is not None:
                    label = self.texts(locale, "tipoff.relay_from_inspector", no=tip.public_no)
                    await relay(
                        session,
                        tip,
                        part,
                        label,
                        f"tipmsg{pk(message)}",
                        chat_id,
                        recipient,
                        now,
                        linked_to_tip=False,
                    )
                return await view_of(session, tip)
        except IntegrityError:
            return await current_view(self.ctx, tipoff_id)  # a redelivered update: taken
