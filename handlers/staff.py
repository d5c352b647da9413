"""Cadres and administrators at work on one case: the card's buttons, replies, notes."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Act
from bot.filters import HasRole, NotMenuButton
from bot.keyboards import buttons, inline, main_menu
from bot.parts import part_of
from bot.replies import shown
from bot.states import CaseChat, StaffFlow
from handlers.case_replies import reply
from handlers.flow import cancel_button, done_button, end_chat, start_step
from models.enums import Role
from services.app import Services
from services.cards import case_actions, staff_card
from services.lifecycle import TransferTarget
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc

router = Router(name="staff")
router.message.filter(F.chat.type == "private", HasRole(Role.CADRE, Role.ADMIN))
router.callback_query.filter(HasRole(Role.CADRE, Role.ADMIN))

WRITING = (F.text & ~F.text.startswith("/"), NotMenuButton())
CLOSE_REASONS = {
    "close_duplicate": "duplicate",
    "close_referred": "referred",
    "close_rejected": "rejected",
}


async def _refresh_card(
    query: CallbackQuery, t: Translator, services: Services, case_id: int, actor: Actor
) -> None:
    """Redraw the card the button was on, so its buttons match the case's new status."""
    detail = await services.cases.for_staff(actor.uid, case_id)
    message = shown(query)
    if message.text:
        await message.edit_text(
            staff_card(
                services.texts,
                t.locale,
                detail.case,
                services.ctx.clock.now(),
                headline="card.case",
            ),
            reply_markup=inline(case_actions(services.texts, t.locale, detail.case)),
        )


# ---- replies ---------------------------------------------------------------------------------


@router.message(StateFilter(None, CaseChat.staff), F.reply_to_message, NotMenuButton())
async def native_reply(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    """A swipe-reply that reached this far: one to a message of no case (those of a case went
    to it before any router, handlers/case_replies.py), or a command sent as a reply."""
    replied = message.reply_to_message
    assert replied is not None
    case_id = await services.cases.case_of_message(message.chat.id, replied.message_id)
    if case_id is None:
        await message.answer(t("staff.reply_unknown"))
        return
    await reply(message, actor, t, services, state, case_id)


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
    await start_step(
        query,
        state,
        CaseChat.staff,
        {"case_id": detail.case.id},
        t("chat.staff_prompt", no=detail.case.public_no),
        done_button(t),
    )


@router.callback_query(CaseChat.staff, Act.filter(F.do == "chat_done"))
async def done_replying(
    query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext
) -> None:
    await end_chat(query, actor, t, state)


@router.message(CaseChat.staff, ~F.text.startswith("/"), NotMenuButton())
async def reply_message(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await reply(message, actor, t, services, state, (await state.get_data())["case_id"])


# ---- status changes --------------------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "case_accept"))
async def accept(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    case = await services.lifecycle.accept(actor.uid, callback_data.ref)
    await query.answer(t("case.accepted_toast", no=case.public_no))
    await _refresh_card(query, t, services, case.id, actor)


@router.callback_query(Act.filter(F.do == "case_resolve"))
async def resolve_button(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    case = await services.lifecycle.check(actor.uid, callback_data.ref, "resolve")
    await start_step(
        query,
        state,
        StaffFlow.resolve_note,
        {"case_id": case.id},
        t("resolve.ask_note", no=case.public_no),
        cancel_button(t),
    )


@router.message(StaffFlow.resolve_note, *WRITING)
async def resolve_note(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.clear()  # the note is used up whether or not the case can still be resolved
    case = await services.lifecycle.resolve(actor.uid, data["case_id"], message.text or "")
    await message.answer(
        t("resolve.done", no=case.public_no), reply_markup=main_menu(t, actor.role)
    )


@router.callback_query(Act.filter(F.do == "case_note"))
async def note_button(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    case = await services.lifecycle.check(actor.uid, callback_data.ref, "note")
    await start_step(
        query,
        state,
        StaffFlow.internal_note,
        {"case_id": case.id},
        t("note.ask", no=case.public_no),
        cancel_button(t),
    )


@router.message(StaffFlow.internal_note, *WRITING)
async def internal_note(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.clear()
    case = await services.lifecycle.note(actor.uid, data["case_id"], message.text or "")
    await message.answer(t("note.saved", no=case.public_no), reply_markup=main_menu(t, actor.role))


@router.callback_query(Act.filter(F.do == "case_close"))
async def close_button(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    case = await services.lifecycle.check(actor.uid, callback_data.ref, "close")
    await query.answer()
    rows = [
        [Button(t(f"close.{reason}"), action, case.id)] for action, reason in CLOSE_REASONS.items()
    ]
    await shown(query).answer(
        t("close.choose", no=case.public_no), reply_markup=buttons(*rows, [cancel_button(t)])
    )


@router.callback_query(Act.filter(F.do.in_(set(CLOSE_REASONS))))
async def close_reason(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    case = await services.lifecycle.check(actor.uid, callback_data.ref, "close")
    reason = CLOSE_REASONS[callback_data.do]
    await start_step(
        query,
        state,
        StaffFlow.close_note,
        {"case_id": case.id, "reason": reason},
        t("close.ask_note", no=case.public_no, reason=t(f"close.{reason}")),
        cancel_button(t),
    )


@router.message(StaffFlow.close_note, *WRITING)
async def close_note(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.clear()
    case = await services.lifecycle.close(
        actor.uid, data["case_id"], data["reason"], message.text or ""
    )
    await message.answer(t("close.done", no=case.public_no), reply_markup=main_menu(t, actor.role))


# ---- transfer --------------------------------------------------------------------------------


def _target_rows(t: Translator, targets: list[TransferTarget]) -> list[list[Button]]:
    # A colleague without a title is listed by name alone, with no trailing space.
    return [
        [
            Button(
                t(f"transfer.to_{x.kind}", name=x.name, detail=x.detail).strip()[:60],
                f"tr_{x.kind}",
                x.id,
            )
        ]
        for x in targets
    ]


@router.callback_query(Act.filter(F.do == "case_transfer"))
async def transfer_button(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    targets = await services.lifecycle.transfer_targets(actor.uid, callback_data.ref)
    await state.set_state(StaffFlow.transfer_pick)
    await state.set_data(
        {
            "case_id": callback_data.ref,
            "targets": {f"{x.kind}:{x.id}": [x.name, x.detail] for x in targets},
        }
    )
    await query.answer()
    await shown(query).answer(
        t("transfer.choose") if targets else t("transfer.no_targets"),
        reply_markup=buttons(*_target_rows(t, targets), [cancel_button(t)]),
    )


@router.message(StaffFlow.transfer_pick, *WRITING)
async def transfer_search(
    message: Message, t: Translator, services: Services, state: FSMContext
) -> None:
    """More contact points than a list can show: find one by name or code."""
    found = [
        TransferTarget("point", p.id, p.name, p.code)
        for p in await services.points.search(message.text or "")
    ]
    if not found:
        await message.answer(t("reg.no_points_found", query=esc((message.text or "")[:60])))
        return
    data = await state.get_data()
    targets = data.get("targets", {}) | {f"point:{x.id}": [x.name, x.detail] for x in found}
    await state.update_data(targets=targets)
    await message.answer(
        t("transfer.choose"), reply_markup=buttons(*_target_rows(t, found), [cancel_button(t)])
    )


@router.callback_query(StaffFlow.transfer_pick, Act.filter(F.do.in_({"tr_staff", "tr_point"})))
async def transfer_target(
    query: CallbackQuery, callback_data: Act, t: Translator, state: FSMContext
) -> None:
    data = await state.get_data()
    kind = callback_data.do.removeprefix("tr_")
    chosen = data.get("targets", {}).get(f"{kind}:{callback_data.ref}")
    if chosen is None:
        await query.answer(t("button.stale"), show_alert=True)
        return
    await state.set_state(StaffFlow.transfer_note)
    await state.update_data(target=[kind, callback_data.ref, *chosen])
    await query.answer()
    await shown(query).edit_text(
        t("transfer.ask_note", name=esc(chosen[0])), reply_markup=buttons([cancel_button(t)])
    )


@router.message(StaffFlow.transfer_note, *WRITING)
async def transfer_note(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.clear()
    kind, ref, name, detail = data["target"]
    case = await services.lifecycle.transfer(
        actor.uid, data["case_id"], TransferTarget(kind, ref, name, detail), message.text or ""
    )
    await message.answer(
        t("transfer.done", no=case.public_no, name=esc(name)), reply_markup=main_menu(t, actor.role)
    )


@router.message(
    StateFilter(
        StaffFlow.resolve_note,
        StaffFlow.transfer_note,
        StaffFlow.close_note,
        StaffFlow.internal_note,
        StaffFlow.transfer_pick,
    ),
    NotMenuButton(),
)
async def note_needed(message: Message, t: Translator) -> None:
    """Anything but text while a note is awaited (the note handlers above took the text)."""
    await message.answer(t("flow.text_needed"))


@router.message(StateFilter(None), ~F.text.startswith("/"))
async def stray(message: Message, t: Translator, services: Services) -> None:
    """A message that is not a reply to anything: explain how answering works."""
    part_of(message, services.ctx.config.max_text)  # unusable content gets its own answer
    await message.answer(t("staff.how_to_reply"))
