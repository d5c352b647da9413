"""Composing a notice: when, the preview and confirmation; a notice's card and cancelling."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import Act
from bot.keyboards import buttons, inline
from bot.notice_states import NoticeCompose
from bot.replies import shown
from handlers.common import LANGUAGE_NAMES
from handlers.flow import cancel_button
from handlers.notices.routes import back, compose, names
from locales import LOCALES
from services.app import Services
from services.notices import (
    SCHEDULED,
    Audience,
    NoticeDraft,
    NoticeMedia,
)
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, cut, esc

# ---- when ------------------------------------------------------------------------------


async def ask_when(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.set_state(NoticeCompose.when)
    await query.answer()
    rows = [
        [Button(t("notices.btn_now"), "nc_now"), Button(t("notices.btn_later"), "nc_later")],
        [back(t, "nc_audience"), cancel_button(t)],
    ]
    await shown(query).edit_text(t("notices.ask_when"), reply_markup=buttons(*rows))


@compose.callback_query(NoticeCompose.preview, Act.filter(F.do == "nc_when"))
@compose.callback_query(NoticeCompose.when_at, Act.filter(F.do == "nc_when"))
async def back_to_when(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await ask_when(query, actor, t, services, state)


@compose.callback_query(NoticeCompose.when, Act.filter(F.do == "nc_now"))
async def now(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.update_data(send_at=None)
    await query.answer()
    await shown(query).edit_reply_markup(reply_markup=None)
    await _preview(shown(query), actor, t, services, state)


@compose.callback_query(NoticeCompose.when, Act.filter(F.do == "nc_later"))
async def later(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    estimate = await services.notices.estimate(actor.uid, _draft(await state.get_data()).audience)
    await state.set_state(NoticeCompose.when_at)
    await state.update_data(tz=estimate.tz)
    await query.answer()
    await shown(query).edit_text(
        t("notices.ask_time", tz=estimate.tz),
        reply_markup=buttons([back(t, "nc_when"), cancel_button(t)]),
    )


@compose.message(NoticeCompose.when_at, F.text & ~F.text.startswith("/"))
async def time_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    when = services.notices.when(message.text or "", data["tz"])
    await state.update_data(send_at=when.isoformat())
    await _preview(message, actor, t, services, state)


# ---- preview and confirmation ----------------------------------------------------------


def _draft(data: dict[str, Any]) -> NoticeDraft:
    send_at = data.get("send_at")
    return NoticeDraft(
        texts=dict(data["texts"]),
        fallback_locale=data["fallback"],
        audience=Audience.from_json(data.get("audience") or {"kind": "all"}),
        media=NoticeMedia.from_json(data.get("media")),
        send_at=datetime.fromisoformat(send_at) if send_at else None,
    )


async def _preview(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    """The notice exactly as residents will see it, then a summary to confirm."""
    await state.set_state(NoticeCompose.preview)
    data = await state.get_data()
    draft = _draft(data)
    estimate = await services.notices.estimate(actor.uid, draft.audience)
    text = await services.notices.preview(actor.uid, draft, t.locale)
    sample = buttons([Button(t("notices.btn_read"), "nc_sample")])
    await show_notice(message, text, draft.media, sample)
    kind = draft.audience.kind
    if kind == "all":
        who = t("notices.audience_all", points=estimate.points)
    else:
        items = list(draft.audience.regions) if kind == "regions" else estimate.point_names
        who = esc(cut(names(t, items), 300))
    when = (
        services.texts.when(t.locale, draft.send_at, estimate.tz)
        if draft.send_at
        else t("notices.when_now")
    )
    summary = t(
        "notices.summary",
        audience=who,
        residents=estimate.residents - estimate.unreachable,
        unreachable=estimate.unreachable,
        groups=estimate.groups,
        languages=names(t, [LANGUAGE_NAMES[loc] for loc in LOCALES if loc in draft.texts]),
        when=when,
    )
    confirm = "notices.btn_schedule" if draft.send_at else "notices.btn_send"
    await message.answer(
        summary,
        reply_markup=buttons(
            [Button(t(confirm), "nc_confirm")],
            [
                Button(t("notices.btn_edit_text"), "nc_retext"),
                Button(t("notices.btn_edit_audience"), "nc_audience"),
                Button(t("notices.btn_edit_time"), "nc_when"),
            ],
            [cancel_button(t)],
        ),
    )


async def show_notice(
    message: Message, text: str, media: NoticeMedia | None, markup: InlineKeyboardMarkup | None
) -> None:
    """Show a notice in this chat; its photo or document goes by file id, never re-uploaded."""
    if media is None:
        await message.answer(text, reply_markup=markup)
    elif media.kind == "photo":
        await message.answer_photo(media.file_id, caption=text, reply_markup=markup)
    else:
        await message.answer_document(media.file_id, caption=text, reply_markup=markup)


@compose.callback_query(Act.filter(F.do == "nc_sample"))
async def sample_pressed(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("notices.sample_button"))


@compose.callback_query(NoticeCompose.preview, Act.filter(F.do == "nc_confirm"))
async def confirm(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    message = shown(query)
    created = await services.notices.create(
        actor.uid,
        _draft(await state.get_data()),
        origin=f"bot:{message.chat.id}:{message.message_id}",
        progress_message_id=message.message_id,
    )
    await state.clear()
    key = "notices.scheduled_toast" if created.status == SCHEDULED else "notices.sending_toast"
    await query.answer(t(key, id=created.notice_id))
    # This message now shows the progress; the scheduler keeps it current.
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_text(created.text, reply_markup=inline(created.buttons))


# ---- a notice's card and cancelling ----------------------------------------------------


@compose.callback_query(Act.filter(F.do.in_({"notice_open", "notice_refresh"})))
async def open_card(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    text, keyboard = await services.notices.details(actor.uid, callback_data.ref, t.locale)
    await query.answer()
    message = shown(query)
    if callback_data.do == "notice_refresh":
        with contextlib.suppress(TelegramBadRequest):  # nothing changed since
            await message.edit_text(text, reply_markup=inline(keyboard))
    else:
        await message.answer(text, reply_markup=inline(keyboard))


@compose.callback_query(Act.filter(F.do == "notice_cancel"))
async def cancel_asked(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    await services.notices.progress(actor.uid, callback_data.ref)  # theirs to cancel?
    await query.answer()
    await shown(query).answer(
        t("notices.cancel_confirm", id=callback_data.ref),
        reply_markup=buttons(
            [Button(t("notices.btn_cancel_yes"), "notice_cancel_yes", callback_data.ref)],
            [Button(t("notices.btn_cancel_no"), "notice_cancel_no", callback_data.ref)],
        ),
    )


@compose.callback_query(Act.filter(F.do == "notice_cancel_yes"))
async def cancel_confirmed(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    progress = await services.notices.cancel(actor.uid, callback_data.ref)
    await query.answer()
    await shown(query).edit_text(
        t("notices.cancelled", id=progress.notice_id, sent=progress.tally.sent)
    )


@compose.callback_query(Act.filter(F.do == "notice_cancel_no"))
async def cancel_dropped(query: CallbackQuery, callback_data: Act, t: Translator) -> None:
    await query.answer()
    await shown(query).edit_text(t("notices.cancel_kept", id=callback_data.ref))
