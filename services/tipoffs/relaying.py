"""Messages of a tip-off, carried between reporter and inspector inside the bot: the card, the
reporter's words and files, the inspector's questions, notices to the reporter. An anonymous
reporter's rows are sealed (forgotten once sent); the inspector's side is linked, so a
swipe-reply finds the report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.tables import pk
from models.tipoffs import TipOff, TipOffMessage
from services.channels import TELEGRAM, channel_of
from services.context import Context
from services.outbox import Button, Keyboard, enqueue, text_message
from services.parts import Part
from services.relay import relay_payloads, stored_payloads
from services.sealing import Sealer
from services.staff import label_of
from services.tipoffs.anonymity import authorize, reporter_of, sealed
from services.tipoffs.views import tipoff_card, view_of


class UseCases:
    """What every part of the tip-off service shares: the context and the one sealing key."""

    def __init__(self, ctx: Context, sealer: Sealer) -> None:
        self.ctx = ctx
        self.texts = ctx.texts
        self.sealer = sealer

    async def inspectors_tip(
        self, session: AsyncSession, tipoff_id: int, inspector_user_id: int
    ) -> TipOff:
        """A report as the acting inspector may reach it (see anonymity.authorize)."""
        return await authorize(session, self.sealer, tipoff_id, None, None, inspector_user_id)

    async def tell_reporter(
        self,
        session: AsyncSession,
        tip: TipOff,
        what: str,
        now: datetime,
        render: Callable[[str], str],
    ) -> None:
        """A notice to the reporter, in their language, sealed if they are anonymous."""
        chat_id, locale, recipient = await reporter_of(
            session, self.sealer, tip, self.ctx.config.default_locale
        )
        if chat_id is None:
            return
        await enqueue(
            session,
            now,
            key=f"tipoff{pk(tip)}:{what}",
            chat_id=chat_id,
            payload=sealed(text_message(render(locale)), tip),
            recipient_user_id=recipient,
        )


def linked(payload: dict[str, Any], tipoff_id: int) -> dict[str, Any]:
    """Record the sent message as part of the tip-off, for the inspector's native replies."""
    return {**payload, "tipoff_link": tipoff_id}


def message_row(
    tipoff_id: int,
    part: Part,
    key: str,
    now: datetime,
    *,
    from_reporter: bool,
    author: int | None,
) -> TipOffMessage:
    """One message of the report's conversation, as it is kept (no chat of the reporter's)."""
    return TipOffMessage(
        tipoff_id=tipoff_id,
        from_reporter=from_reporter,
        author_user_id=author,
        text=part.text,
        media=part.media(),
        source_key=key[:64],
        at=now,
    )


async def reported(session: AsyncSession, tipoff_id: int) -> list[Part]:
    """What the reporter sent, as it was kept (text and Telegram's file ids, no chat)."""
    rows = (
        await session.execute(
            select(TipOffMessage)
            .where(col(TipOffMessage.tipoff_id) == tipoff_id, col(TipOffMessage.from_reporter))
            .order_by(col(TipOffMessage.id))
        )
    ).scalars()
    return [Part.stored(message.text, message.media) for message in rows]


async def relay(
    session: AsyncSession,
    tip: TipOff,
    part: Part,
    label: str,
    key: str,
    chat_id: int,
    recipient_user_id: int | None,
    now: datetime,
    *,
    linked_to_tip: bool,
    stored: bool = False,
) -> None:
    """Relay one message to one side of the tip-off, labelled; ``linked_to_tip`` for the
    inspector's side, so their native reply finds the tip-off; ``stored`` sends by file id.
    A reporter on another channel (WeChat) gets an inspector's file by its Telegram file id
    too: that channel's sender cannot copy a Telegram message, it downloads the file and
    uploads it (and the row names no chat of the inspector's)."""
    if not stored and part.file_id and channel_of(chat_id) != TELEGRAM:
        stored = True
    payloads = stored_payloads(part, label) if stored else relay_payloads(part, label)
    for j, payload in enumerate(payloads):
        row = sealed(payload, tip)
        await enqueue(
            session,
            now,
            key=f"{key}:{j}",
            chat_id=chat_id,
            payload=linked(row, pk(tip)) if linked_to_tip else row,
            recipient_user_id=recipient_user_id,
        )


def action_buttons(ctx: Context, locale: str, tip: TipOff) -> Keyboard:
    texts = ctx.texts
    row = [
        Button(texts(locale, "btn.reply"), "tip_reply", pk(tip)),
        Button(texts(locale, "btn.close"), "tip_close", pk(tip)),
    ]
    if tip.status == "new":
        row.insert(0, Button(texts(locale, "btn.accept"), "tip_accept", pk(tip)))
    return [row]


async def send_card(
    ctx: Context,
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
    view = await view_of(session, tip)
    text = tipoff_card(ctx, target.locale, view)
    key = f"tipoff{pk(tip)}:card" + (f":s{tip.assignee_id}" if stored else "")
    await enqueue(
        session,
        now,
        key=key,
        chat_id=target.chat_id,
        payload=linked(
            sealed(text_message(text, action_buttons(ctx, target.locale, tip)), tip), pk(tip)
        ),
        recipient_user_id=target.user_id,
    )
    extra = [p for p in parts if p.kind != "text"]
    for i, part in enumerate(extra, start=1):
        label = ctx.texts(target.locale, "tipoff.part", no=tip.public_no, n=i, total=len(extra))
        await relay(
            session,
            tip,
            part,
            label,
            f"{key}:part{i}",
            target.chat_id,
            target.user_id,
            now,
            linked_to_tip=True,
            stored=stored,
        )


async def hand_on(ctx: Context, session: AsyncSession, tip: TipOff, now: datetime) -> None:
    """A report given to another inspector: its card and what the reporter sent, by file id."""
    await send_card(ctx, session, tip, await reported(session, pk(tip)), now, stored=True)
