"""Messages about cases to the people who are not acting: cards, relays, notices.

Every message is rendered in the recipient's language and queued in the caller's transaction
with a key derived from the event that caused it, so repeating a use case queues nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.case_cards import CaseCard
from models.tables import Outbox, User
from services.cards import case_actions, staff_card, staff_name
from services.context import Context
from services.event_relay import queue_for_event
from services.outbox import Keyboard, edit_message, enqueue, text_message
from services.parts import Part
from services.relay import relay_payloads
from services.staff import StaffLabel, label_of
from services.texts import esc
from services.views import CaseView

SHOWN_IN_CARD = 1500


class CaseMail:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.texts = ctx.texts

    def resident_locale(self, view: CaseView) -> str:
        return view.resident_locale or self.ctx.config.default_locale

    async def relay(
        self,
        session: AsyncSession,
        view: CaseView,
        event: int | dict[str, Any],
        part: Part,
        label: str,
        chat_id: int,
        user_id: int,
        now: datetime,
    ) -> None:
        """One person's message carried to another, headed by ``label``. ``event``: the
        message's event, by its id, or its columns to store it with the relay (on
        PostgreSQL in one statement: ``services/event_relay.py``)."""
        await queue_for_event(
            session,
            event,
            relay_payloads(part, label),
            key_suffix=f":u{user_id}",
            chat_id=chat_id,
            recipient_user_id=user_id,
            case_id=view.id,
            now=now,
            dispatch=self.ctx.dispatch,
        )

    async def card(
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
        """The case card to its assignee, then every part the card can't show, relayed."""
        if view.assignee_id is None:
            return
        target = await label_of(session, view.assignee_id)
        locale = target.locale
        text = staff_card(self.texts, locale, view, now, headline=headline)
        if note:
            text += "\n\n" + self.texts(locale, "card.note", note=esc(note))
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
        shown = len(view.summary) <= SHOWN_IN_CARD
        extra = [p for p in parts if not (p.kind == "text" and shown)]
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

    async def redraw_cards(
        self, session: AsyncSession, view: CaseView, key_suffix: str, now: datetime
    ) -> None:
        """After a change of status: every card of the case in every staff chat that holds one
        is redrawn, through the outbox as an edit, with only the buttons the new status allows.
        Cards sent through the outbox are found by their rows' keys (``…:card``); cards shown
        directly (/case) were remembered in ``case_cards``."""
        sent = await session.execute(
            select(col(Outbox.chat_id), col(Outbox.sent_message_id), col(Outbox.recipient_user_id))
            .where(
                col(Outbox.case_id) == view.id,
                col(Outbox.dedupe_key).like("%:card"),
                col(Outbox.sent_message_id).is_not(None),
            )
            .order_by(col(Outbox.id))
        )
        shown = await session.execute(
            select(col(CaseCard.chat_id), col(CaseCard.message_id), col(CaseCard.user_id)).where(
                col(CaseCard.case_id) == view.id
            )
        )
        cards: dict[tuple[int, int], int | None] = {}
        for chat_id, message_id, user_id in [*sent.all(), *shown.all()]:
            if message_id is not None:
                cards.setdefault((int(chat_id), int(message_id)), user_id)
        locales: dict[int | None, str] = {}
        for (chat_id, message_id), user_id in cards.items():
            if user_id not in locales:
                user = await session.get(User, user_id) if user_id is not None else None
                locales[user_id] = user.locale if user else self.ctx.config.default_locale
            locale = locales[user_id]
            text = staff_card(self.texts, locale, view, now, headline="card.case")
            await enqueue(
                session,
                now,
                key=f"case{view.id}:{key_suffix}:redraw{chat_id}:{message_id}",
                chat_id=chat_id,
                payload=edit_message(message_id, text, case_actions(self.texts, locale, view)),
                recipient_user_id=user_id,
                case_id=view.id,
            )

    async def remember_card(
        self, session: AsyncSession, chat_id: int, message_id: int, case_id: int, user_id: int
    ) -> None:
        """A card shown directly in a staff chat, so later changes of status redraw it too."""
        if await session.get(CaseCard, (chat_id, message_id)) is None:
            session.add(
                CaseCard(chat_id=chat_id, message_id=message_id, case_id=case_id, user_id=user_id)
            )

    async def to_resident(
        self,
        session: AsyncSession,
        view: CaseView,
        key_suffix: str,
        message: str,
        now: datetime,
        *,
        buttons: Keyboard | None = None,
    ) -> None:
        """A notice to the case's resident (already rendered in their language)."""
        if view.resident_chat_id is None or view.resident_id is None:
            return
        await enqueue(
            session,
            now,
            key=f"case{view.id}:{key_suffix}:resident",
            chat_id=view.resident_chat_id,
            payload=text_message(message, buttons),
            recipient_user_id=view.resident_id,
            case_id=view.id,
        )

    def for_resident(self, view: CaseView, key: str, **params: Any) -> str:
        """A message to the resident about their case, naming who handles it; a count ``n``
        picks the plural form."""
        locale = self.resident_locale(view)
        fields = {
            "no": view.public_no,
            "name": staff_name(self.texts, locale, view.assignee_name, view.assignee_title),
            "point": esc(view.point_name),
            **params,
        }
        if "n" in fields:
            return self.texts.plural(locale, key, int(fields.pop("n")), **fields)
        return self.texts(locale, key, **fields)

    async def to_staff(
        self,
        session: AsyncSession,
        people: list[StaffLabel],
        view: CaseView,
        key_suffix: str,
        key: str,
        now: datetime,
        *,
        with_card: bool = False,
        **params: Any,
    ) -> None:
        """A notice about a case to staff members, each in their language; ``with_card``
        puts the case's action buttons under it (for its assignee)."""
        for person in people:
            text = self.texts(
                person.locale, key, no=view.public_no, point=esc(view.point_name), **params
            )
            buttons = case_actions(self.texts, person.locale, view) if with_card else None
            await enqueue(
                session,
                now,
                key=f"case{view.id}:{key_suffix}:u{person.user_id}",
                chat_id=person.chat_id,
                payload=text_message(text, buttons),
                recipient_user_id=person.user_id,
                case_id=view.id,
            )
