"""Cadres and administrators at work: the case card's buttons, replies, /cases and /case."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import Act
from bot.filters import HasRole, MenuButton
from bot.keyboards import buttons, inline, main_menu
from bot.parts import part_of
from bot.replies import shown
from bot.states import CaseChat, StaffFlow
from handlers.history import history_text
from models.enums import Role
from services.app import Services
from services.cards import case_actions, staff_card
from services.cases import TransferTarget
from services.errors import Invalid, NotFound
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc

router = Router(name="staff")
router.message.filter(F.chat.type == "private", HasRole(Role.CADRE, Role.ADMIN))
router.callback_query.filter(HasRole(Role.CADRE, Role.ADMIN))


async def _refresh_card(
    query: CallbackQuery, t: Translator, services: Services, case_id: int, actor: Actor
) -> None:
    """Redraw the card the button was on, so its buttons match the case's new status."""
    detail = await services.cases.for_staff(actor.uid, case_id)
    now = services.ctx.clock.now()
    if isinstance(query.message, Message) and query.message.text:
        await query.message.edit_text(
            staff_card(services.texts, t.locale, detail.case, now),
            reply_markup=inline(case_actions(services.texts, t.locale, detail.case)),
        )


@router.callback_query(Act.filter(F.do == "case_accept"))
async def accept(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    case = await services.cases.accept(actor.uid, callback_data.ref)
    await query.answer(t("case.accepted_toast", no=case.public_no))
    await _refresh_card(query, t, services, case.id, actor)


@router.callback_query(Act.filter(F.do == "case_reply"))
async def reply_button(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    detail = await services.cases.for_staff(actor.uid, callback_data.ref)
    await state.set_state(CaseChat.staff)
    await state.set_data({"case_id": detail.case.id})
    await query.answer()
    message = shown(query)
    await message.answer(
        t("chat.staff_prompt", no=detail.case.public_no),
        reply_markup=buttons([Button(t("btn.done"), "chat_done")]),
    )


@router.callback_query(CaseChat.staff, Act.filter(F.do == "chat_done"))
async def done_replying(
    query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext
) -> None:
    await state.clear()
    await query.answer()
    message = shown(query)
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(t("chat.done"), reply_markup=main_menu(t, actor.role))


async def _reply(
    message: Message,
    actor: Actor,
    t: Translator,
    services: Services,
    case_id: int,
    album: str | None,
) -> None:
    part = part_of(message, services.ctx.config.max_text)
    case = await services.cases.reply(actor.uid, case_id, part)
    if part.media_group_id is None or part.media_group_id != album:
        await message.reply(t("chat.sent_to_resident", no=case.public_no))


@router.message(CaseChat.staff, ~F.text.startswith("/"))
async def reply_message(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    await _reply(message, actor, t, services, data["case_id"], data.get("album"))
    await state.update_data(album=message.media_group_id)


@router.message(StateFilter(None, CaseChat.staff), F.reply_to_message)
async def native_reply(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    """Swiping *reply* on a card or a relayed message answers that case's resident."""
    replied = message.reply_to_message
    assert replied is not None
    case_id = await services.cases.case_of_message(message.chat.id, replied.message_id)
    if case_id is None:
        await message.answer(t("staff.reply_unknown"))
        return
    await _reply(message, actor, t, services, case_id, None)


@router.callback_query(Act.filter(F.do == "case_resolve"))
async def resolve_button(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    detail = await services.cases.for_staff(actor.uid, callback_data.ref)
    await state.set_state(StaffFlow.resolve_note)
    await state.set_data({"case_id": detail.case.id})
    await query.answer()
    message = shown(query)
    await message.answer(
        t("resolve.ask_note", no=detail.case.public_no),
        reply_markup=buttons([Button(t("btn.cancel"), "flow_cancel")]),
    )


@router.message(StaffFlow.resolve_note, F.text & ~F.text.startswith("/"))
async def resolve_note(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    case = await services.cases.resolve(actor.uid, data["case_id"], message.text or "")
    await state.clear()
    await message.answer(
        t("resolve.done", no=case.public_no), reply_markup=main_menu(t, actor.role)
    )


@router.callback_query(Act.filter(F.do == "case_transfer"))
async def transfer_button(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    targets = await services.cases.transfer_targets(actor.uid, callback_data.ref)
    if not targets:
        raise Invalid("transfer.no_targets")
    await state.set_state(None)
    await state.set_data(
        {
            "case_id": callback_data.ref,
            "targets": {f"{x.kind}:{x.id}": [x.name, x.detail] for x in targets},
        }
    )
    rows = [
        [
            Button(
                t(f"transfer.to_{x.kind}", name=x.name, detail=x.detail)[:60], f"tr_{x.kind}", x.id
            )
        ]
        for x in targets
    ]
    rows.append([Button(t("btn.cancel"), "flow_cancel")])
    await query.answer()
    message = shown(query)
    await message.answer(t("transfer.choose"), reply_markup=buttons(*rows))


@router.callback_query(Act.filter(F.do.in_({"tr_staff", "tr_point"})))
async def transfer_target(
    query: CallbackQuery, callback_data: Act, t: Translator, state: FSMContext
) -> None:
    data = await state.get_data()
    kind = callback_data.do.removeprefix("tr_")
    chosen = data.get("targets", {}).get(f"{kind}:{callback_data.ref}")
    if chosen is None:
        raise Invalid("button.stale")
    await state.set_state(StaffFlow.transfer_note)
    await state.update_data(target=[kind, callback_data.ref, *chosen])
    await query.answer()
    message = shown(query)
    await message.edit_text(
        t("transfer.ask_note", name=esc(chosen[0])),
        reply_markup=buttons([Button(t("btn.cancel"), "flow_cancel")]),
    )


@router.message(StaffFlow.transfer_note, F.text & ~F.text.startswith("/"))
async def transfer_note(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    kind, ref, name, detail = data["target"]
    case = await services.cases.transfer(
        actor.uid,
        data["case_id"],
        TransferTarget(kind, ref, name, detail),
        message.text or "",
    )
    await state.clear()
    await message.answer(
        t("transfer.done", no=case.public_no, name=esc(name)), reply_markup=main_menu(t, actor.role)
    )


# After the note handlers above: whatever else arrives while a note is awaited.
@router.message(StaffFlow.resolve_note)
@router.message(StaffFlow.transfer_note)
async def note_needed(message: Message, t: Translator) -> None:
    await message.answer(t("flow.text_needed"))


@router.message(Command("cases"))
@router.message(MenuButton("menu.open_cases"))
async def queue(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    text, markup = await _queue_page(actor, t, services, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(Act.filter(F.do == "sc_page"))
async def queue_page(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    text, markup = await _queue_page(actor, t, services, callback_data.ref)
    await query.answer()
    message = shown(query)
    await message.edit_text(text, reply_markup=markup)


async def _queue_page(
    actor: Actor, t: Translator, services: Services, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    result = await services.cases.staff_queue(actor.uid, page)
    if not result.cases:
        return t("cases.none_staff"), None
    now = services.ctx.clock.now()
    lines = [t("cases.title_staff", page=result.page + 1, pages=result.pages)]
    rows: list[list[Button]] = []
    for case in result.cases:
        flag = "⚠️ " if case.overdue(now) else ""
        lines.append(
            flag
            + t(
                "cases.staff_line",
                no=case.public_no,
                status=t(f"status.{case.status}"),
                due=services.texts.when(t.locale, case.due_resolve_at, case.point_tz),
                point=esc(case.point_name),
            )
        )
        rows.append([Button(flag + case.public_no, "sc_open", case.id)])
    pager = []
    if result.page > 0:
        pager.append(Button(t("btn.prev"), "sc_page", result.page - 1))
    if result.page + 1 < result.pages:
        pager.append(Button(t("btn.next"), "sc_page", result.page + 1))
    return "\n".join(lines), buttons(*rows, pager)


@router.callback_query(Act.filter(F.do == "sc_open"))
async def open_from_list(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    await query.answer()
    message = shown(query)
    await _show_case(message, actor, t, services, callback_data.ref)


@router.message(Command("case"))
async def case_by_number(
    message: Message, command: CommandObject, actor: Actor, t: Translator, services: Services
) -> None:
    number = (command.args or "").strip()
    if not number:
        await message.answer(t("case.number_needed"))
        return
    case_id = await services.cases.find_number(number)
    if case_id is None:
        raise NotFound("case.no_such_number", no=esc(number[:20]))
    await _show_case(message, actor, t, services, case_id)


async def _show_case(
    message: Message, actor: Actor, t: Translator, services: Services, case_id: int
) -> None:
    detail = await services.cases.for_staff(actor.uid, case_id)
    await message.answer(history_text(services.texts, t.locale, detail, for_staff=True))
    now = services.ctx.clock.now()
    card = await message.answer(
        staff_card(services.texts, t.locale, detail.case, now),
        reply_markup=inline(case_actions(services.texts, t.locale, detail.case)),
    )
    await services.cases.link_message(card.chat.id, card.message_id, case_id)


@router.message(StateFilter(None), ~F.text.startswith("/"))
async def stray(message: Message, t: Translator) -> None:
    await message.answer(t("staff.how_to_reply"))
