"""Composing a notice: its text or file, and variants in other languages."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import (
    Command,
    StateFilter,
)
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import Act
from bot.keyboards import buttons
from bot.notice_states import NoticeCompose
from bot.replies import shown
from handlers.common import LANGUAGE_NAMES
from handlers.flow import cancel_button
from handlers.notices.routes import back, compose, names, readers
from locales import LOCALES
from services.app import Services
from services.errors import Invalid
from services.notices import (
    NoticeMedia,
)
from services.outbox import Button
from services.people import Actor
from services.texts import Translator

# ---- composing -------------------------------------------------------------------------


@readers.message(Command("notice"))
async def new_notice(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await services.notices.compose_scope(actor.uid)  # refuses residents, and cadres without points
    await state.set_state(NoticeCompose.text)
    await state.set_data({"texts": {}, "media": None, "fallback": actor.locale})
    await message.answer(
        t("notices.ask_text", language=LANGUAGE_NAMES[actor.locale]),
        reply_markup=buttons([cancel_button(t)]),
    )


def _content(message: Message) -> tuple[str, NoticeMedia | None]:
    """The notice's words as HTML (formatting kept) and its photo or document, if any."""
    media = None
    where = (message.chat.id, message.message_id)
    if message.photo:
        media = NoticeMedia("photo", message.photo[-1].file_id, *where)
    elif message.document:
        media = NoticeMedia("document", message.document.file_id, *where)
    elif message.text is None:
        raise Invalid("notices.send_text")
    return message.html_text, media


@compose.message(NoticeCompose.text, ~F.text.startswith("/"))
async def text_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    html_text, media = _content(message)
    services.notices.check_text(html_text, with_media=media is not None)
    data = await state.get_data()
    texts = {**data["texts"], data["fallback"]: html_text}
    if media is not None:  # the other languages become captions: hold them to its limit
        for body in texts.values():
            services.notices.check_text(body, with_media=True)
    await state.update_data(texts=texts, media=media.to_json() if media else None)
    await _show_variants(message, t, state)


async def _variants_view(
    t: Translator, state: FSMContext
) -> tuple[str, InlineKeyboardMarkup | None]:
    await state.set_state(NoticeCompose.variants)
    data = await state.get_data()
    have = [loc for loc in LOCALES if loc in data["texts"]]
    rows = []
    for i, loc in enumerate(LOCALES):
        if loc == data["fallback"]:
            continue
        key = "notices.btn_replace_variant" if loc in have else "notices.btn_add_variant"
        rows.append([Button(t(key, language=LANGUAGE_NAMES[loc]), "nc_variant", i)])
    rows.append([Button(t("notices.btn_next"), "nc_audience")])
    rows.append([back(t, "nc_retext"), cancel_button(t)])
    text = t(
        "notices.ask_variants",
        languages=names(t, [LANGUAGE_NAMES[loc] for loc in have]),
        fallback=LANGUAGE_NAMES[data["fallback"]],
    )
    return text, buttons(*rows)


async def _show_variants(message: Message, t: Translator, state: FSMContext) -> None:
    text, markup = await _variants_view(t, state)
    await message.answer(text, reply_markup=markup)


@compose.callback_query(NoticeCompose.variants, Act.filter(F.do == "nc_retext"))
@compose.callback_query(NoticeCompose.preview, Act.filter(F.do == "nc_retext"))
async def retext(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    data = await state.get_data()
    await state.set_state(NoticeCompose.text)
    await query.answer()
    await shown(query).edit_text(
        t("notices.ask_text", language=LANGUAGE_NAMES[data["fallback"]]),
        reply_markup=buttons([cancel_button(t)]),
    )


@compose.callback_query(NoticeCompose.variants, Act.filter(F.do == "nc_variant"))
async def variant_chosen(
    query: CallbackQuery, callback_data: Act, t: Translator, state: FSMContext
) -> None:
    data = await state.get_data()
    if not 0 <= callback_data.ref < len(LOCALES) or LOCALES[callback_data.ref] == data["fallback"]:
        raise Invalid("button.stale")
    locale = LOCALES[callback_data.ref]
    await state.set_state(NoticeCompose.variant)
    await state.update_data(variant=locale)
    await query.answer()
    await shown(query).edit_text(
        t("notices.ask_variant", language=LANGUAGE_NAMES[locale]),
        reply_markup=buttons([back(t, "nc_variants"), cancel_button(t)]),
    )


@compose.callback_query(NoticeCompose.variant, Act.filter(F.do == "nc_variants"))
@compose.callback_query(NoticeCompose.audience, Act.filter(F.do == "nc_variants"))
@compose.callback_query(NoticeCompose.points, Act.filter(F.do == "nc_variants"))
async def back_to_variants(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    text, markup = await _variants_view(t, state)
    await query.answer()
    await shown(query).edit_text(text, reply_markup=markup)


@compose.message(NoticeCompose.variant, ~F.text.startswith("/"))
async def variant_given(
    message: Message, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    if message.text is None:
        raise Invalid("notices.variant_text_only")
    services.notices.check_text(message.html_text, with_media=data["media"] is not None)
    await state.update_data(texts={**data["texts"], data["variant"]: message.html_text})
    await _show_variants(message, t, state)


@compose.message(
    StateFilter(
        NoticeCompose.variants,
        NoticeCompose.audience,
        NoticeCompose.regions,
        NoticeCompose.points,
        NoticeCompose.when,
        NoticeCompose.preview,
    ),
    ~F.text.startswith("/"),
)
async def use_the_buttons(message: Message, t: Translator) -> None:
    """A message where a button is expected (the second photo of an album, say)."""
    await message.answer(t("notices.use_buttons"))
