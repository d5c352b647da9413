"""Honest "sent" (issues 13 and 19): the author of a relayed message hears "sent" only when it
was delivered, "on its way" while it is queued, and is told later, in their language and with
the reason, when it could not be delivered (a resident who blocked the bot)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendMessage
from sqlmodel import select

from bot.delivery_answer import acknowledgement, relayed
from bot.sender import OutboxSender
from models.tables import Outbox
from services.app import Services
from services.outbox import Result
from services.texts import Translator
from tests.factories import load_points, resident, staff
from tests.unit.test_cases import file, text


async def deliver_all(services: Services) -> None:
    store = services.outbox("w")
    while claimed := await store.claim(50):
        await store.complete([Result(c.id, "sent", message_id=1, claimed=c) for c in claimed])


async def a_case(services: Services) -> tuple[Any, Any, int]:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    res = await resident(services, "Zhang San")
    filed = await file(services, res, [text(1, res.tg_id, "water")])
    await deliver_all(services)
    return cadre, res, filed.case.id


async def test_the_cadre_is_told_when_the_resident_blocked_the_bot(services: Services) -> None:
    cadre, res, case_id = await a_case(services)
    await services.cases.reply(cadre.user_id, case_id, text(2, cadre.tg_id, "fixed tomorrow"))
    store = services.outbox("w")
    # The first reply also redraws the cadre's card (in their own chat): only the resident's
    # row is blocked; the card's edit is delivered.
    claimed = await store.claim(10)
    (row,) = [r for r in claimed if r.chat_id == res.tg_id]
    others = [r for r in claimed if r.chat_id != res.tg_id]
    await store.complete(
        [Result(row.id, "blocked", error="Forbidden: bot was blocked by the user", claimed=row)]
        + [Result(r.id, "sent", message_id=900 + r.id, claimed=r) for r in others]
    )
    (told,) = await store.claim(10)
    assert told.chat_id == cadre.tg_id
    t = Translator(services.texts, "en")
    case_no = told.payload["text"].split("case ")[1].split(" ")[0]
    assert told.payload["text"] == t(
        "delivery.later", no=case_no, reason=t("delivery.reason.blocked")
    )


async def test_a_delivered_reply_tells_nobody_anything_more(services: Services) -> None:
    cadre, _res, case_id = await a_case(services)
    await services.cases.reply(cadre.user_id, case_id, text(2, cadre.tg_id, "fixed"))
    await deliver_all(services)
    async with services.ctx.db.read() as session:
        keys = (await session.execute(select(Outbox.dedupe_key))).scalars().all()
    assert not [k for k in keys if k.startswith("undelivered")]


class Telegram:
    """Sends, except to a chat that blocked the bot; ``slow`` holds every send."""

    def __init__(self, blocked: int = 0, slow: bool = False) -> None:
        self.blocked = blocked
        self.slow = slow

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        if self.slow:
            await asyncio.sleep(10)
        if chat_id == self.blocked:
            raise TelegramForbiddenError(
                method=SendMessage(chat_id=chat_id, text=text),
                message="Forbidden: bot was blocked by the user",
            )
        return SimpleNamespace(message_id=7)

    async def __call__(self, method: Any, request_timeout: int | None = None) -> Any:
        # The sender sends a text row as a prepared sendMessage (bot.sender.OutboxText).
        return await self.send_message(method.chat_id, method.text)


async def answer_to_cadre(services: Services, telegram: Telegram | None, wait: float = 3) -> str:
    cadre, res, case_id = await a_case(services)
    if telegram is not None and telegram.blocked == -1:
        telegram.blocked = res.tg_id
    bot = cast(Bot, telegram or Telegram())
    sender = OutboxSender(services.outbox("s"), bot, poll_seconds=0.1)
    running = asyncio.create_task(sender.run()) if telegram is not None else None
    await asyncio.sleep(0.05)
    try:
        case, delivery = await relayed(
            bot,
            case_id,
            cadre.tg_id,
            lambda: services.cases.reply(cadre.user_id, case_id, text(3, cadre.tg_id, "ok")),
            wait=wait,
        )
    finally:
        await sender.stop()
        if running is not None:
            await running
    t = Translator(services.texts, "en")
    return acknowledgement(
        t, delivery, case.public_no, "chat.sent_to_resident", "delivery.queued_to_resident"
    )


async def test_sent_only_when_it_was_sent(services: Services) -> None:
    t = Translator(services.texts, "en")
    answer = await answer_to_cadre(services, Telegram())
    assert answer == t("chat.sent_to_resident", no=answer.split("case ")[1].rstrip(").")[:9])


async def test_a_blocked_resident_is_said_at_once(services: Services) -> None:
    t = Translator(services.texts, "en")
    answer = await answer_to_cadre(services, Telegram(blocked=-1))
    assert answer.endswith(t("delivery.reason.blocked"))
    assert answer.startswith("⚠️")


async def test_still_queued_is_said_as_queued(services: Services) -> None:
    t = Translator(services.texts, "en")
    answer = await answer_to_cadre(services, Telegram(slow=True), wait=0.3)
    no = answer.split("case ")[1].split(".")[0]
    assert answer == t("delivery.queued_to_resident", no=no)
