"""What the parts of the administrator's menu share: one live menu message, shown, edited
or asked from; the vocabularies of roles, statuses, point fields and tiers.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.admin_states import AdminFlow
from bot.filters import NotMenuButton
from bot.replies import shown
from models.enums import Role, Tier
from services.admin_points import (
    DEFAULT_TZ,
)
from services.admin_staff import ACTIVE, REMOVED, SUSPENDED
from services.administration import Administration
from services.app import Services
from services.errors import Invalid
from services.outbox import Button
from services.texts import Translator

View = tuple[str, InlineKeyboardMarkup | None]
TYPED = (F.text & ~F.text.startswith("/"), NotMenuButton())
INPUT_STATES = tuple(AdminFlow.__states__)

ROLES = (Role.CADRE, Role.INSPECTOR, Role.ADMIN)
ROLE_KEYS = {
    Role.CADRE: "admin.role.cadre",
    Role.INSPECTOR: "admin.role.inspector",
    Role.ADMIN: "admin.role.admin",
}
STATUS_KEYS = {
    ACTIVE: "admin.staff.status_active",
    SUSPENDED: "admin.staff.status_suspended",
    REMOVED: "admin.staff.status_removed",
}
# A point's fields an administrator may change, in the order of the edit menu.
FIELDS = ("name", "address", "region", "location", "tz", "radius")
FIELD_KEYS = {
    "name": "admin.point.field_name",
    "address": "admin.point.field_address",
    "region": "admin.point.field_region",
    "location": "admin.point.field_location",
    "tz": "admin.point.field_tz",
    "radius": "admin.point.field_radius",
}
# The new-point wizard: one field a step.
STEPS = ("name", "code", "region", "address", "location", "tz")
STEP_STATES: dict[str, State] = {
    "name": AdminFlow.new_name,
    "code": AdminFlow.new_code,
    "region": AdminFlow.new_region,
    "address": AdminFlow.new_address,
    "location": AdminFlow.new_location,
    "tz": AdminFlow.new_tz,
}
STEP_QUESTIONS = {
    "name": "admin.new.ask_name",
    "code": "admin.new.ask_code",
    "region": "admin.new.ask_region",
    "address": "admin.new.ask_address",
    "location": "admin.new.ask_location",
    "tz": "admin.new.ask_tz",
}
TIERS = tuple(Tier)
TIER_KEYS = {
    Tier.URGENT: "tier.urgent",
    Tier.UTILITIES: "tier.utilities",
    Tier.GENERAL: "tier.general",
    Tier.COMPLEX: "tier.complex",
}
# /admin sits in the administrators' command menu as ("admin", "cmd.admin")
# (services/commands.py), and behind the "menu.admin" button of their reply keyboard.


def office(services: Services) -> Administration:
    return services.admin


# ---- showing ---------------------------------------------------------------------------


async def show(query: CallbackQuery, view: View, toast: str | None = None) -> None:
    """Show ``view`` in the menu message the button sits on."""
    await query.answer(toast)
    text, markup = view
    try:
        await shown(query).edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in str(exc):
            raise


async def send_fresh(message: Message, state: FSMContext, view: View) -> None:
    """Show ``view`` as a fresh menu message (after typed input); the old one loses its
    buttons, so only one menu is live."""
    data = await state.get_data()
    old = data.get("menu")
    if isinstance(old, int) and message.bot is not None:
        with contextlib.suppress(TelegramBadRequest):
            await message.bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=old, reply_markup=None
            )
    text, markup = view
    sent = await message.answer(text, reply_markup=markup)
    await state.update_data(menu=sent.message_id)


async def ask_typed(
    query: CallbackQuery, state: FSMContext, step: State, view: View, **data: Any
) -> None:
    """Wait for typed input in ``step``; the menu message becomes the question."""
    await state.set_state(step)
    await state.update_data(menu=shown(query).message_id, **data)
    await show(query, view)


async def browse(state: FSMContext) -> None:
    """Leave any input step (keeping the data: the search, what is being edited)."""
    await state.set_state(None)


def back_button(t: Translator, action: str, ref: int = 0) -> Button:
    return Button(t("btn.back"), action, ref)


def joined(t: Translator, names: list[str]) -> str:
    return ("、" if t.locale == "zh_Hans" else ", ").join(names)


def when_text(t: Translator, services: Services, moment: Any, tz: str = DEFAULT_TZ) -> str:
    return services.texts.when(t.locale, moment, tz)


async def kept(state: FSMContext, key: str) -> Any:
    """A value the current step keeps; without it the button is from an old menu."""
    value = (await state.get_data()).get(key)
    if value is None:
        raise Invalid("button.stale")
    return value
