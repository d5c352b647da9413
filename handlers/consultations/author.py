"""Cadres and administrators: /consult (a consultation file, a preview, Send), /consults
(their consultations, results live, the XLSX export) and closing with the outcome."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InputMediaPhoto, Message
from aiogram.types.media_union import MediaUnion

from bot.callbacks import Act
from bot.consult_states import ConsultClose, ConsultCompose
from bot.filters import HasRole
from bot.keyboards import buttons
from bot.replies import shown
from handlers.flow import cancel_button
from models.enums import Role
from services.app import Services
from services.consultations import Form, Preview, drafting
from services.consultations.lifecycle import ResultsView
from services.errors import Invalid
from services.fanout.audience import Audience
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc

router = Router(name="consult_author")
router.message.filter(F.chat.type == "private", HasRole(Role.CADRE, Role.ADMIN))
router.callback_query.filter(HasRole(Role.CADRE, Role.ADMIN))

FILE_LIMIT = 100_000
ALBUM = 10  # photos in one album, Telegram's limit
STATUS = {
    "scheduled": "consult.status_scheduled",
    "open": "consult.status_open",
    "closed": "consult.status_closed",
}


@router.message(Command("consult"))
async def new_consultation(message: Message, t: Translator, state: FSMContext) -> None:
    await state.set_state(ConsultCompose.file)
    new = Button(t("consult.btn_new"), "cw_new")  # step by step: handlers/consultations/wizard.py
    await message.answer(t("consult.ask_file"), reply_markup=buttons([new], [cancel_button(t)]))


async def _source(message: Message, bot: Bot) -> str:
    if message.document is None:
        return message.text or ""
    if (message.document.file_size or 0) > FILE_LIMIT:
        raise Invalid("consult.file_unreadable")
    data = await bot.download(message.document.file_id)
    try:
        return data.read().decode("utf-8") if data else ""
    except UnicodeDecodeError:
        raise Invalid("consult.file_unreadable") from None


@router.message(ConsultCompose.file, F.document | (F.text & ~F.text.startswith("/")))
async def file_given(
    message: Message,
    bot: Bot,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    source = await _source(message, bot)
    form = await services.consultations.read_form(actor.uid, source)
    preview = await services.consultations.preview(actor.uid, form, actor.locale)
    await state.update_data(source=source, tz=preview.tz, polls=form.group_polls)
    await state.set_state(ConsultCompose.preview)
    await message.answer(preview.text)
    text, rows = summary(t, preview, back=False)
    await message.answer(text, reply_markup=buttons(*rows))


def summary(t: Translator, preview: Preview, *, back: bool) -> tuple[str, list[list[Button]]]:
    """What Send will do — points, residents, named or anonymous (with what it means), the
    group polls — and its buttons; the same for a file and the step-by-step composer."""
    privacy = "consult.preview_anonymous" if preview.anonymous else "consult.preview_named"
    text = t(
        "consult.preview_summary",
        points=preview.points,
        residents=preview.residents,
        privacy=t(privacy),
    )
    rows = [[Button(t("consult.btn_send"), "cs_send")]]
    if preview.groups and preview.single:
        on = preview.polls > 0
        key = "consult.preview_polls" if on else "consult.preview_polls_off"
        text += "\n\n" + t(key, polls=preview.polls, groups=preview.groups)
        flip = "consult.btn_polls_off" if on else "consult.btn_polls_on"
        rows.append([Button(t(flip), "cs_polls", 0 if on else 1)])
    rows.append(
        [Button(t("btn.back"), "cw_back"), cancel_button(t)] if back else [cancel_button(t)]
    )
    return text, rows


@router.callback_query(ConsultCompose.preview, Act.filter(F.do == "cs_polls"))
async def polls_flipped(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    """Single-choice questions also as polls in the linked groups, or not."""
    await state.update_data(polls=bool(callback_data.ref))
    data = await state.get_data()
    form = await _form(actor, services, data)
    preview = await services.consultations.preview(actor.uid, form, actor.locale)
    text, rows = summary(t, preview, back="w" in data)
    await query.answer()
    with contextlib.suppress(TelegramBadRequest):
        await shown(query).edit_text(text, reply_markup=buttons(*rows))


@router.callback_query(ConsultCompose.preview, Act.filter(F.do == "cs_send"))
async def send(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    form = await _form(actor, services, data)
    message = shown(query)
    origin = f"cs{message.chat.id}:{message.message_id}"  # Send pressed twice: one consultation
    cid = await services.consultations.create(actor.uid, form, origin=origin)
    await state.clear()
    await query.answer()
    opens = form.opens_at or services.ctx.clock.now()
    when = services.texts.when(actor.locale, opens, str(data["tz"]))
    await message.edit_text(t("consult.created", id=cid, opens=when))


async def _form(actor: Actor, services: Services, data: dict[str, Any]) -> Form:
    """The consultation being sent, checked again: a file's text, or the step-by-step draft."""
    if "w" in data:
        draft = data["w"]
        form = await services.consultations.read_draft(
            actor.uid,
            drafting.form_data(draft),
            Audience.from_json(draft["audience"]),
            draft.get("document"),
        )
    else:
        form = await services.consultations.read_form(actor.uid, str(data["source"]))
    if data.get("polls") is not None:  # the summary's button decides
        form = dataclasses.replace(form, group_polls=bool(data["polls"]))
    return form


@router.message(Command("consults"))
async def mine(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    lines = await services.consultations.of_author(actor.uid)
    if not lines:
        await message.answer(t("consult.none_yours"))
        return
    out = [t("consult.list_head")]
    rows = []
    for cid, title, status in lines:
        out.append(
            t("consult.line", id=cid, title=esc(title), status=t(f"consult.status_{status}"))
        )
        rows.append([Button(t("consult.btn_results", id=cid), "cs_results", cid)])
    await message.answer("\n".join(out), reply_markup=buttons(*rows))


@router.callback_query(Act.filter(F.do == "cs_results"))
async def results(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    """The charts (an album, or one photo) and then the results' text with its buttons."""
    cid = callback_data.ref
    await query.answer(t("consult.results_working"))
    view = await services.consultations.results_view(actor.uid, cid, actor.locale, charts=True)
    message = shown(query)
    await _send_charts(message, t, cid, view)
    rows = [
        [Button(t("consult.btn_export"), "cs_export", cid)],
        [Button(t("consult.btn_close"), "cs_close", cid)],
    ]
    await message.answer(view.text, reply_markup=buttons(*rows))


async def _send_charts(message: Message, t: Translator, cid: int, view: ResultsView) -> None:
    if not view.charts:
        return
    caption = t("consult.charts_caption", id=cid, title=esc(view.title))
    files = [
        BufferedInputFile(c.png, filename=f"consultation-{cid}-{c.name}.png") for c in view.charts
    ]
    if len(files) == 1:
        await message.answer_photo(files[0], caption=caption)
        return
    for start in range(0, len(files), ALBUM):  # an album holds at most ten
        album: list[MediaUnion] = [
            InputMediaPhoto(media=f, caption=caption if start == i == 0 else None)
            for i, f in enumerate(files[start : start + ALBUM], start)
        ]
        await message.answer_media_group(album)


@router.callback_query(Act.filter(F.do == "cs_export"))
async def export(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    cid = callback_data.ref
    data = await services.consultations.export(actor.uid, cid, actor.locale)
    await query.answer()
    document = BufferedInputFile(data, filename=f"consultation-{cid}.xlsx")
    await shown(query).answer_document(document, caption=t("consult.export_caption", id=cid))


@router.callback_query(Act.filter(F.do == "cs_close"))
async def close_asked(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await services.consultations.results(actor.uid, callback_data.ref, actor.locale)  # may they?
    await state.set_state(ConsultClose.outcome)
    await state.set_data({"cid": callback_data.ref})
    await query.answer()
    await shown(query).answer(t("consult.ask_outcome"), reply_markup=buttons([cancel_button(t)]))


@router.message(ConsultClose.outcome, F.text & ~F.text.startswith("/"))
async def outcome_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    count = await services.consultations.received(actor.uid, int(data["cid"]))
    await state.update_data(outcome=message.html_text)
    await state.set_state(ConsultClose.adopted)
    await message.answer(t("consult.ask_adopted", count=count))


@router.message(ConsultClose.adopted, F.text & ~F.text.startswith("/"))
async def adopted_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    text = (message.text or "").strip()
    cid = int(data["cid"])
    if not text.isdigit():
        count = await services.consultations.received(actor.uid, cid)
        raise Invalid("consult.adopted_range", most=count)
    await services.consultations.close(
        actor.uid, cid, {actor.locale: str(data["outcome"])}, int(text)
    )
    await state.clear()
    await message.answer(t("consult.closed_done", id=cid))
