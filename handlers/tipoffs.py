"""Reporting misconduct (举报), for residents: who will see what, named or anonymous, what it
is about, the report itself; then following it with the receipt code."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import Act
from bot.filters import HasRole, MenuButton, NotMenuButton
from bot.keyboards import buttons, main_menu
from bot.parts import part_of
from bot.replies import shown
from bot.states import TipOffFlow
from handlers.filing import keep_part
from handlers.flow import cancel_button, end_chat, relay
from models.enums import Role
from services.app import Services
from services.errors import Invalid
from services.outbox import Button
from services.parts import Part
from services.people import Actor
from services.texts import Translator, cut, esc
from services.tipoffs import TipView

router = Router(name="tipoffs")
router.message.filter(F.chat.type == "private", HasRole(Role.RESIDENT))
router.callback_query.filter(HasRole(Role.RESIDENT))

CONTENT = (~F.text.startswith("/"), NotMenuButton())
# How the bot heads an inspector's message to the reporter (catalog "tipoff.relay_from_inspector"
# in every language): the shield, then the report's number.
_FROM_INSPECTOR = re.compile(r"^🛡\s*(J\d{4}-\d{4,})")


def report_replied_to(message: Message) -> str | None:
    """The number of the report whose inspector's message this swipe-reply answers, if so."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return None
    found = _FROM_INSPECTOR.match(replied.text or replied.caption or "")
    return found.group(1) if found else None


async def answer_report(
    message: Message,
    number: str,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    """A swipe-reply to an inspector's message goes to that report, never to a case. A named
    reporter is known by their account; an anonymous one proves it with the receipt code, and
    their message waits in the conversation until they send it."""
    part = part_of(message, services.ctx.config.max_text)
    mine = [v for v in await services.tipoffs.of_reporter(actor.uid) if v.public_no == number]
    if mine:
        await state.set_state(TipOffFlow.follow_up)
        await state.set_data({"tipoff_id": mine[0].id})

        async def send(item: Part) -> str:
            view = await services.tipoffs.add_from_reporter(
                mine[0].id, item, reporter_user_id=actor.uid
            )
            return t("tipoff.relayed", no=view.public_no)

        await relay(message, services, state, send)
        return
    await state.set_state(TipOffFlow.receipt)
    await state.set_data({"pending": part.to_dict()})
    await message.answer(
        t("tipoff.reply_needs_receipt", no=number), reply_markup=buttons([cancel_button(t)])
    )


@router.message(Command("report"))
@router.message(MenuButton("menu.tipoff"))
async def start_report(
    message: Message, t: Translator, services: Services, state: FSMContext
) -> None:
    """Before anything is written: who will see what, in plain words."""
    await state.clear()
    await state.set_state(TipOffFlow.mode)
    rows = [[Button(t("btn.report_named"), "tip_named")]]
    anonymous = services.tipoffs.sealer.available
    if anonymous:
        rows.insert(0, [Button(t("btn.report_anonymous"), "tip_anonymous")])
    rows.append([Button(t("btn.follow_report"), "tip_follow"), cancel_button(t)])
    explained = "tipoff.who_sees" if anonymous else "tipoff.who_sees_named_only"
    await message.answer(t(explained), reply_markup=buttons(*rows))


@router.callback_query(TipOffFlow.mode, Act.filter(F.do.in_({"tip_named", "tip_anonymous"})))
async def chose_mode(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    named = callback_data.do == "tip_named"
    if not named and not services.tipoffs.sealer.available:
        # An old or forged button: refused now, before anything is written.
        await query.answer()
        await shown(query).edit_text(
            t("tipoff.anonymous_refused"),
            reply_markup=buttons([Button(t("btn.report_named"), "tip_named")], [cancel_button(t)]),
        )
        return
    await state.set_state(TipOffFlow.concerns)
    await state.set_data({"named": named, "concerns": [], "parts": []})
    await query.answer()
    await shown(query).edit_text(
        t("tipoff.ask_concerns"), reply_markup=await _concern_buttons(t, services, actor, [])
    )


async def _concern_buttons(
    t: Translator, services: Services, actor: Actor, chosen: list[int]
) -> InlineKeyboardMarkup | None:
    """The officials of the reporter's point, those chosen ticked (a second tap unticks)."""
    rows = [
        [
            Button(
                ("✅ " if o.staff_id in chosen else "")
                + o.name
                + (f" · {o.title}" if o.title else ""),
                "tip_concern",
                o.staff_id,
            )
        ]
        for o in await services.tipoffs.officials(actor.uid)
    ]
    rows.append([Button(t("btn.tip_nobody"), "tip_concern_done"), cancel_button(t)])
    return buttons(*rows)


@router.callback_query(TipOffFlow.concerns, Act.filter(F.do == "tip_concern"))
async def chose_concern(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    concerns: list[int] = list((await state.get_data()).get("concerns", []))
    if callback_data.ref in concerns:
        concerns.remove(callback_data.ref)
        toast = t("tipoff.concern_removed")
    else:
        concerns.append(callback_data.ref)
        toast = t("tipoff.concern_noted")
    await state.update_data(concerns=concerns)
    await query.answer(toast)
    with contextlib.suppress(TelegramBadRequest):  # a double tap: nothing to redraw
        await shown(query).edit_reply_markup(
            reply_markup=await _concern_buttons(t, services, actor, concerns)
        )


@router.callback_query(TipOffFlow.concerns, Act.filter(F.do == "tip_concern_done"))
async def concerns_done(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(TipOffFlow.content)
    await query.answer()
    await shown(query).edit_text(
        t("tipoff.ask_content"),
        reply_markup=buttons([Button(t("btn.done"), "tip_review"), cancel_button(t)]),
    )


@router.message(TipOffFlow.content, *CONTENT)
async def content(message: Message, t: Translator, services: Services, state: FSMContext) -> None:
    kept = await keep_part(message, t, services, state)
    if kept is None:
        return
    count, same_album = kept
    if not same_album:
        await message.answer(
            t.plural("filing.received", count),
            reply_markup=buttons([Button(t("btn.done"), "tip_review"), cancel_button(t)]),
        )


async def _anonymous_refused(
    query: CallbackQuery, t: Translator, services: Services, data: dict[str, Any]
) -> bool:
    """An anonymous report begun before anonymous reporting was switched off (or by a forged
    button): nothing is lost — what was written stays, and it can go under the reporter's
    name."""
    if data.get("named", True) or services.tipoffs.sealer.available:
        return False
    await query.answer()
    await shown(query).answer(
        t("tipoff.anonymous_refused_kept", count=len(data.get("parts", []))),
        reply_markup=buttons([Button(t("btn.send_named"), "tip_send_named")], [cancel_button(t)]),
    )
    return True


@router.callback_query(TipOffFlow.content, Act.filter(F.do == "tip_review"))
async def review(
    query: CallbackQuery, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    if not data.get("parts"):
        await query.answer(t("filing.empty"), show_alert=True)
        return
    await state.set_state(TipOffFlow.confirm)
    if await _anonymous_refused(query, t, services, data):
        return
    await query.answer()
    key = "tipoff.confirm_named" if data["named"] else "tipoff.confirm_anonymous"
    await shown(query).answer(
        t(key, count=len(data["parts"])),
        reply_markup=buttons([Button(t("btn.send"), "tip_send")], [cancel_button(t)]),
    )


@router.callback_query(TipOffFlow.confirm, Act.filter(F.do.in_({"tip_send", "tip_send_named"})))
async def send(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    if callback_data.do == "tip_send_named":
        data["named"] = True  # the reporter chose their name after anonymity was refused
    elif await _anonymous_refused(query, t, services, data):
        return
    filed = await services.tipoffs.file(
        actor.uid,
        named=data["named"],
        concerns=data.get("concerns", []),
        parts=[Part.from_dict(p) for p in data["parts"]],
    )
    await state.clear()
    await query.answer()
    message = shown(query)
    await message.edit_reply_markup(reply_markup=None)
    if filed.receipt:
        text = t("tipoff.filed_anonymous", no=filed.public_no, code=filed.receipt)
    else:
        text = t("tipoff.filed_named", no=filed.public_no)
    if not filed.assigned:
        text += "\n\n" + t("tipoff.no_inspector_yet")
    await message.answer(text, reply_markup=main_menu(t, actor.role))


# ---- following a report ----------------------------------------------------------------------


def _thread_text(t: Translator, services: Services, view: TipView, thread: list[Any]) -> str:
    lines = [t("tipoff.follow_title", no=view.public_no, status=t(f"tipoff.status_{view.status}"))]
    for item in thread[-15:]:
        who = t("tipoff.you") if item.from_reporter else t("tipoff.inspection")
        body = (
            esc(cut(item.text, 300))
            if item.text
            else f"[{t('content.' + item.media_kind)}]"
            if item.media_kind
            else ""
        )
        lines.append(f"<b>{services.texts.when(t.locale, item.at, view.tz)}</b> · {who}\n{body}")
    return "\n".join(lines)


@router.message(Command("tipoff"))
async def follow(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.clear()
    await _offer_follow(message, actor, t, services, state)


@router.callback_query(TipOffFlow.mode, Act.filter(F.do == "tip_follow"))
async def follow_button(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await query.answer()
    await _offer_follow(shown(query), actor, t, services, state)


async def _offer_follow(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    named = await services.tipoffs.of_reporter(actor.uid)
    await state.set_state(TipOffFlow.receipt)
    rows = [[Button(v.public_no, "tip_open_named", v.id)] for v in named]
    rows.append([cancel_button(t)])
    await message.answer(t("tipoff.ask_receipt"), reply_markup=buttons(*rows))


@router.message(TipOffFlow.receipt, F.text, *CONTENT)
async def receipt_given(
    message: Message, t: Translator, services: Services, state: FSMContext
) -> None:
    code = (message.text or "").strip()
    view = await services.tipoffs.by_receipt(code)
    pending = (await state.get_data()).get("pending")
    if pending:  # a swipe-reply that waited for the code
        view = await services.tipoffs.add_from_reporter(
            view.id, Part.from_dict(pending), receipt=code
        )
    thread = await services.tipoffs.thread(view.id, receipt=code)
    await state.set_state(TipOffFlow.follow_up)
    await state.set_data({"tipoff_id": view.id, "receipt": code})
    await message.answer(
        _thread_text(t, services, view, thread) + "\n\n" + t("tipoff.add_more"),
        reply_markup=buttons([Button(t("btn.done"), "tip_follow_done")]),
    )


@router.callback_query(TipOffFlow.receipt, Act.filter(F.do == "tip_open_named"))
async def open_named(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    thread = await services.tipoffs.thread(callback_data.ref, reporter_user_id=actor.uid)
    views = {v.id: v for v in await services.tipoffs.of_reporter(actor.uid)}
    view = views.get(callback_data.ref)
    if view is None:
        raise Invalid("button.stale")
    await state.set_state(TipOffFlow.follow_up)
    await state.set_data({"tipoff_id": view.id})
    await query.answer()
    await shown(query).answer(
        _thread_text(t, services, view, thread) + "\n\n" + t("tipoff.add_more"),
        reply_markup=buttons([Button(t("btn.done"), "tip_follow_done")]),
    )


@router.message(TipOffFlow.follow_up, *CONTENT)
async def follow_up_message(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()

    async def send(part: Part) -> str:
        view = await services.tipoffs.add_from_reporter(
            data["tipoff_id"],
            part,
            reporter_user_id=actor.uid if "receipt" not in data else None,
            receipt=data.get("receipt"),
        )
        return t("tipoff.relayed", no=view.public_no)

    await relay(message, services, state, send)


@router.callback_query(TipOffFlow.follow_up, Act.filter(F.do == "tip_follow_done"))
async def follow_done(query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext) -> None:
    await end_chat(query, actor, t, state)  # and forget which report this chat was following
