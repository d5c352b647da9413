"""Anything else while a step of the menu waits for typed input: a short answer and a way on."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import Message

from bot.admin_states import AdminFlow
from bot.filters import NotMenuButton
from handlers.admin.common import (
    INPUT_STATES,
)
from services.texts import Translator

router = Router(name="admin:leftovers")


# ---- anything else while a step waits ------------------------------------------------------


@router.message(StateFilter(AdminFlow.new_location, AdminFlow.edit_location), NotMenuButton())
async def location_needed(message: Message, t: Translator) -> None:
    await message.answer(t("admin.location_needed"))


@router.message(StateFilter(*INPUT_STATES), ~F.text.startswith("/"), NotMenuButton())
async def text_needed(message: Message, t: Translator) -> None:
    await message.answer(t("flow.text_needed"))
