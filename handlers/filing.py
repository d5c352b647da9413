"""Filing a case: kind, category, the resident's messages, a summary to confirm."""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import Act
from bot.filters import HasRole, MenuButton, NotMenuButton
from bot.keyboards import buttons
from bot.parts import part_of
from bot.replies import shown
from bot.states import Filing
from handlers.common import ask_point
from handlers.flow import cancel_button, close_question
from models.enums import CaseKind, Role
from services.app import Services
from services.cases import Draft
from services.errors import Invalid
from services.outbox import Button
from services.parts import Part
from services.people import Actor
from services.texts import Translator, cut, esc

router = Router(name="filing")
router.message.filter(F.chat.type == "private", HasRole(Role.RESIDENT))
router.callback_query.filter(HasRole(Role.RESIDENT))

KINDS = list(CaseKind)


def kind_keyboard(t: Translator) -> InlineKeyboardMarkup | None:
    rows = [[Button(t(f"kind.{k}"), "file_kind", i)] for i, k in enumerate(KINDS)]
    return buttons(*rows, [cancel_button(t)])


async def start_filing(
    message: Message,
    actor: Actor,
    t: Translator,
    state: FSMContext,
    parts: list[dict[str, Any]] | None = None,
    services: Services | None = None,
) -> None:
    """Begin a new case; ``parts`` carries messages the resident already sent. A contact
    point that no longer takes cases is said at once, not after the whole wizard."""
    if actor.point_id is None:
        await message.answer(t("filing.no_point"))
        await ask_point(message, t, state)
        return
    if services is not None and not (await services.points.get(actor.point_id)).active:
        await message.answer(
            t("filing.point_inactive"),
            reply_markup=buttons([Button(t("btn.change_point"), "point_change")]),
        )
        return
    await state.set_state(Filing.kind)
    await state.set_data({"parts": parts or []})
    await message.answer(t("filing.ask_kind"), reply_markup=kind_keyboard(t))


@router.message(Command("new"))
@router.message(MenuButton("menu.new_case"))
async def new_case(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await start_filing(message, actor, t, state, services=services)


@router.callback_query(Filing.kind, Act.filter(F.do == "file_kind"))
async def kind_chosen(
    query: CallbackQuery, callback_data: Act, t: Translator, services: Services, state: FSMContext
) -> None:
    if not 0 <= callback_data.ref < len(KINDS):
        raise Invalid("button.stale")
    await state.update_data(kind=KINDS[callback_data.ref].value)
    await state.set_state(Filing.category)
    await query.answer()
    await _show_categories(query, t, services)


async def _show_categories(query: CallbackQuery, t: Translator, services: Services) -> None:
    categories = await services.cases.categories()
    rows: list[list[Button]] = []
    for i in range(0, len(categories), 2):
        rows.append([Button(c.name(t.locale), "file_cat", c.id) for c in categories[i : i + 2]])
    rows.append([Button(t("btn.back"), "file_back_kind"), cancel_button(t)])
    message = shown(query)
    await message.edit_text(t("filing.ask_category"), reply_markup=buttons(*rows))


@router.callback_query(Filing.category, Act.filter(F.do == "file_back_kind"))
async def back_to_kind(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(Filing.kind)
    await query.answer()
    message = shown(query)
    await message.edit_text(t("filing.ask_kind"), reply_markup=kind_keyboard(t))


@router.callback_query(Filing.category, Act.filter(F.do == "file_cat"))
async def category_chosen(
    query: CallbackQuery, callback_data: Act, t: Translator, services: Services, state: FSMContext
) -> None:
    if callback_data.ref not in {c.id for c in await services.cases.categories()}:
        raise Invalid("button.stale")
    await state.update_data(category_id=callback_data.ref)
    await state.set_state(Filing.content)
    await query.answer()
    data = await state.get_data()
    message = shown(query)
    if data.get("parts"):
        await message.edit_text(t("filing.category_set"))
        await _prompt_more(message, t, state, len(data["parts"]))
    else:
        await message.edit_text(
            t("filing.ask_content"),
            reply_markup=buttons([Button(t("btn.back"), "file_back_cat"), cancel_button(t)]),
        )
        await state.update_data(question_id=message.message_id)


@router.callback_query(Filing.content, Act.filter(F.do == "file_back_cat"))
@router.callback_query(Filing.confirm, Act.filter(F.do == "file_edit_cat"))
async def back_to_category(
    query: CallbackQuery, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.set_state(Filing.category)
    await query.answer()
    await _show_categories(query, t, services)


async def keep_part(
    message: Message, t: Translator, services: Services, state: FSMContext
) -> tuple[int, bool] | None:
    """Keep the message as one more part of the draft in hand (a case, a tip-off). Returns how
    many parts it has now and whether the message continues an album begun before; None if
    the draft is full (the person is told)."""
    part = part_of(message, services.ctx.config.max_text)
    data = await state.get_data()
    parts: list[dict[str, Any]] = data.get("parts", [])
    if len(parts) >= services.ctx.config.max_parts:
        await message.answer(t("filing.too_many_parts", limit=services.ctx.config.max_parts))
        return None
    parts.append(part.to_dict())
    same_album = part.media_group_id is not None and part.media_group_id == data.get("album")
    await state.update_data(parts=parts, album=part.media_group_id)
    return len(parts), same_album


@router.message(Filing.content, ~F.text.startswith("/"), NotMenuButton())
async def content(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    kept = await keep_part(message, t, services, state)
    if kept is None:
        return
    count, same_album = kept
    data = await state.get_data()
    if count == 1:  # "Describe it…" is answered: its Back and Cancel go
        await close_question(message, data.get("question_id"))
    prompt_id = data.get("prompt_id")
    if same_album and prompt_id and message.bot is not None:
        # One prompt per album, its count kept right: edit it instead of posting another.
        with contextlib.suppress(TelegramBadRequest):
            await message.bot.edit_message_text(
                t.plural("filing.received", count),
                chat_id=message.chat.id,
                message_id=prompt_id,
                reply_markup=_more_buttons(t),
            )
        return
    await _prompt_more(message, t, state, count)


def _more_buttons(t: Translator) -> InlineKeyboardMarkup | None:
    return buttons([Button(t("btn.done"), "file_done"), cancel_button(t)])


async def _prompt_more(message: Message, t: Translator, state: FSMContext, count: int) -> None:
    """Keep one live prompt under the latest message: remove the old one, post a new one."""
    data = await state.get_data()
    old = data.get("prompt_id")
    if old and message.bot is not None:
        with contextlib.suppress(TelegramBadRequest):
            await message.bot.delete_message(message.chat.id, old)
    sent = await message.answer(t.plural("filing.received", count), reply_markup=_more_buttons(t))
    await state.update_data(prompt_id=sent.message_id)


@router.callback_query(Filing.content, Act.filter(F.do == "file_done"))
@router.callback_query(Filing.confirm, Act.filter(F.do == "file_review"))
async def review(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    parts = [Part.from_dict(p) for p in data.get("parts", [])]
    if not parts:
        await query.answer(t("filing.empty"), show_alert=True)
        return
    # Read before answering: the read joins the update's open transaction (the answer, a
    # Telegram request, ends it).
    point = await services.points.get(actor.point_id) if actor.point_id else None
    categories = {c.id: c for c in await services.cases.categories()}
    category = categories.get(data.get("category_id", 0))
    await state.set_state(Filing.confirm)
    await query.answer()
    text = t(
        "filing.summary",
        kind=t(f"kind.{data.get('kind')}"),
        category=esc(category.name(t.locale) if category else "—"),
        point=esc(point.name if point else "—"),
        content=_describe(t, parts),
    )
    message = shown(query)
    await message.edit_text(
        text,
        reply_markup=buttons(
            [Button(t("btn.send"), "file_send")],
            [
                Button(t("btn.add_more"), "file_more"),
                Button(t("btn.change_category"), "file_edit_cat"),
            ],
            [cancel_button(t)],
        ),
    )
    await state.update_data(prompt_id=None)


def _describe(t: Translator, parts: list[Part]) -> str:
    lines = []
    for part in parts:
        if part.kind == "text":
            lines.append("• " + esc(cut(part.text or "", 120)))
        else:
            caption = f": {esc(cut(part.text, 60))}" if part.text else ""
            lines.append("• " + t(f"content.{part.kind}") + caption)
    return "\n".join(lines)


@router.callback_query(Filing.confirm, Act.filter(F.do == "file_more"))
async def add_more(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(Filing.content)
    await query.answer()
    message = shown(query)
    await message.edit_text(t("filing.ask_more"), reply_markup=_more_buttons(t))
    await state.update_data(prompt_id=shown(query).message_id)


@router.callback_query(Filing.confirm, Act.filter(F.do == "file_send"))
async def send(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    draft = Draft(
        kind=data["kind"],
        category_id=data["category_id"],
        parts=[Part.from_dict(p) for p in data["parts"]],
    )
    # The confirmation (number, who, by when) is queued with the case: exactly once.
    await services.cases.file(actor.uid, draft)
    await state.clear()
    await query.answer()
    await shown(query).edit_reply_markup(reply_markup=None)
