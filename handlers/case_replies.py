"""Swipe-replies to a message about a case, before any other router (issue 19).

A native reply to a message the bot linked to a case (a confirmation, a card, a relayed
message, a case shown by /case or "My cases") goes to that case, whatever step is open — a
consultation being answered, a receipt code awaited, a visit being logged, an administrator's
wizard, a note asked for. The step is left as it was: the person goes on with it afterwards.
A reply to a bot message whose send is not yet recorded (answered the instant it arrived)
waits briefly for its link rather than being taken for a message of no case.
A resident's reply is added to the case and relayed to its cadre; a cadre's or an
administrator's reply is relayed to the resident. A reply to anything else — or a command, or
a menu button — goes on to the routers after this one, as if this one were not there.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.delivery_answer import acknowledgement, relayed
from bot.filters import HasRole, NotMenuButton
from handlers.flow import relay
from models.enums import Role
from services.app import Services
from services.cards import staff_name
from services.parts import Part
from services.people import Actor
from services.texts import Translator

router = Router(name="case_replies")
router.message.filter(
    F.chat.type == "private",
    F.reply_to_message,
    HasRole(Role.RESIDENT, Role.CADRE, Role.ADMIN),
    ~F.text.startswith("/"),
    NotMenuButton(),
)


async def follow_up(
    message: Message,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
    case_id: int,
) -> None:
    """A resident's message added to a case and relayed to its cadre; the resident is told
    whether it arrived."""

    async def send(part: Part) -> str:
        case, delivery = await relayed(
            message.bot,
            case_id,
            message.chat.id,
            lambda: services.cases.follow_up(actor.uid, case_id, part),
            # An album is acknowledged once: its items do not each wait for their relay.
            expect=lambda view: view.assignee_id is not None and part.media_group_id is None,
        )
        who = staff_name(services.texts, t.locale, case.assignee_name, case.assignee_title)
        return acknowledgement(
            t, delivery, case.public_no, "chat.relayed", "delivery.queued_to_staff", name=who
        )

    await relay(message, services, state, send)


async def reply(
    message: Message,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
    case_id: int,
) -> None:
    """A cadre's or an administrator's message relayed to the case's resident; the author is
    told whether it arrived."""

    async def send(part: Part) -> str:
        case, delivery = await relayed(
            message.bot,
            case_id,
            message.chat.id,
            lambda: services.cases.reply(actor.uid, case_id, part),
            # An album is acknowledged once: its items do not each wait for their relay.
            expect=lambda view: view.resident_chat_id is not None and part.media_group_id is None,
        )
        if case.resident_chat_id is None:
            return t("chat.resident_gone", no=case.public_no)
        return acknowledgement(
            t, delivery, case.public_no, "chat.sent_to_resident", "delivery.queued_to_resident"
        )

    await relay(message, services, state, send)


@router.message()
async def reply_to_case(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    replied = message.reply_to_message
    assert replied is not None
    from_bot = bool(replied.from_user and replied.from_user.is_bot)
    case_id = await services.cases.case_of_message(
        message.chat.id, replied.message_id, sent_by_bot=from_bot
    )
    if case_id is None:
        raise SkipHandler  # not about a case: the open step, or the usual handler, takes it
    if actor.role == Role.RESIDENT:
        await follow_up(message, actor, t, services, state, case_id)
    else:
        await reply(message, actor, t, services, state, case_id)
