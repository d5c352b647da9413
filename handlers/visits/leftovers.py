"""Anything else inside a visits step: what is not text gets a short answer and a way on."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import (
    Message,
)

from bot.visit_states import VisitFlow
from handlers.visits.common import NOTE_STATES, location_keyboard
from services.texts import Translator

router = Router(name="visits:leftovers")


# ---- anything else inside a flow ----
# Only what is not text: a menu button or a command pressed mid-step goes where it belongs.


@router.message(VisitFlow.location, ~F.text)
async def location_other(message: Message, t: Translator) -> None:
    await message.answer(t("visits.location_needed"), reply_markup=location_keyboard(t))


@router.message(StateFilter(*NOTE_STATES, VisitFlow.log_day, VisitFlow.pair_search), ~F.text)
async def text_needed(message: Message, t: Translator) -> None:
    await message.answer(t("flow.text_needed"))


@router.message(VisitFlow.reception_hours, ~F.text)
async def hours_needed(message: Message, t: Translator) -> None:
    await message.answer(t("visits.reception.bad_hours"))
