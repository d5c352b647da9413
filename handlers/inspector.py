"""Discipline inspectors: tip-offs arrive as cards; they accept, ask and answer inside the bot
(the reporter never learns who they are talking to, nor the inspector who the reporter is),
and close with a note."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Act
from bot.filters import HasRole, MenuButton, NotMenuButton
from bot.keyboards import buttons, main_menu
from bot.parts import part_of
from bot.replies import shown
from bot.states import InspectorFlow
from handlers.flow import cancel_button, done_button, end_chat, start_step
from models.enums import Role
from services.app import Services
from services.outbox import Button
from services.people import Actor
from services.texts import Translator
from services.tipoffs import TipView, tipoff_card

router = Router(name="inspector")
router.message.filter(F.chat.type == "private", HasRole(Role.INSPECTOR))
router.callback_query.filter(HasRole(Role.INSPECTOR))

CONTENT = (~F.text.startswith("/"), NotMenuButton())


@router.message(Command("tipoffs"))
@router.message(MenuButton("menu.tipoffs"))
async def queue(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.clear()
    views = await services.tipoffs.queue(actor.uid)
    if not views:
        await message.answer(t("tipoff.queue_empty"))
        return
    rows = [
        [Button(v.public_no + " · " + t(f"tipoff.status_{v.status}"), "tip_open", v.id)]
        for v in views
    ]
    await message.answer(t("tipoff.queue_title", count=len(views)), reply_markup=buttons(*rows))


def _actions(t: Translator, view: TipView) -> list[Button]:
    """What the inspector can do with the tip-off now: accept it while new, reply, close."""
    if view.status == "closed":
        return []
    row = [
        Button(t("btn.reply"), "tip_reply", view.id),
        Button(t("btn.close"), "tip_close", view.id),
    ]
    if view.status == "new":
        row.insert(0, Button(t("btn.accept"), "tip_accept", view.id))
    return row


async def _card(
    message: Message, actor: Actor, t: Translator, services: Services, tipoff_id: int
) -> None:
    view = await services.tipoffs.for_inspector(actor.uid, tipoff_id)
    await message.answer(
        tipoff_card(services.ctx, t.locale, view), reply_markup=buttons(_actions(t, view))
    )


@router.callback_query(Act.filter(F.do == "tip_open"))
async def open_tip(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    await query.answer()
    await _card(shown(query), actor, t, services, callback_data.ref)


@router.callback_query(Act.filter(F.do == "tip_accept"))
async def accept(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    view = await services.tipoffs.accept(actor.uid, callback_data.ref)
    await query.answer(t("tipoff.accepted_toast", no=view.public_no))
    await shown(query).edit_reply_markup(reply_markup=buttons(_actions(t, view)))


@router.message(StateFilter(None, InspectorFlow.reply), F.reply_to_message, *CONTENT)
async def native_reply(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    replied = message.reply_to_message
    assert replied is not None
    tipoff_id = await services.tipoffs.tipoff_of_message(message.chat.id, replied.message_id)
    if tipoff_id is None:
        await message.answer(t("staff.reply_unknown"))
        return
    await _reply(message, actor, t, services, tipoff_id)


async def _reply(
    message: Message, actor: Actor, t: Translator, services: Services, tipoff_id: int
) -> None:
    part = part_of(message, services.ctx.config.max_text)
    view = await services.tipoffs.reply(actor.uid, tipoff_id, part)
    await message.reply(t("tipoff.sent_to_reporter", no=view.public_no))


@router.callback_query(Act.filter(F.do == "tip_reply"))
async def reply_button(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    view = await services.tipoffs.for_inspector(actor.uid, callback_data.ref)
    await start_step(
        query,
        state,
        InspectorFlow.reply,
        {"tipoff_id": view.id},
        t("tipoff.reply_prompt", no=view.public_no),
        done_button(t),
    )


@router.callback_query(InspectorFlow.reply, Act.filter(F.do == "chat_done"))
async def reply_done(query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext) -> None:
    await end_chat(query, actor, t, state)


@router.message(InspectorFlow.reply, *CONTENT)
async def reply_message(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    await _reply(message, actor, t, services, data["tipoff_id"])


@router.callback_query(Act.filter(F.do == "tip_close"))
async def close_button(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    view = await services.tipoffs.for_inspector(actor.uid, callback_data.ref)
    await start_step(
        query,
        state,
        InspectorFlow.close_note,
        {"tipoff_id": view.id},
        t("tipoff.ask_close_note", no=view.public_no),
        cancel_button(t),
    )


@router.message(InspectorFlow.close_note, F.text, *CONTENT)
async def close_note(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.clear()
    view = await services.tipoffs.close(actor.uid, data["tipoff_id"], message.text or "")
    await message.answer(
        t("tipoff.closed_done", no=view.public_no), reply_markup=main_menu(t, actor.role)
    )


@router.message(InspectorFlow.close_note, *CONTENT)
async def close_note_needed(message: Message, t: Translator) -> None:
    await message.answer(t("flow.text_needed"))


@router.message(StateFilter(None), *CONTENT)
async def stray(message: Message, t: Translator, services: Services) -> None:
    part_of(message, services.ctx.config.max_text)
    await message.answer(t("tipoff.inspector_hint"))
