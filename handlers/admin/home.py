"""/admin: the menu's first page, with the office's figures."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Act
from bot.filters import MenuButton
from bot.keyboards import buttons
from handlers.admin.common import (
    View,
    browse,
    office,
    send_fresh,
    show,
)
from services.app import Services
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc

router = Router(name="admin:home")


# ---- the menu ----------------------------------------------------------------------------


@router.message(Command("admin"))
@router.message(MenuButton("menu.admin"))
async def admin_menu(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    menu = (await state.get_data()).get("menu")
    await state.clear()  # a menu action leaves whatever step was in progress
    await state.update_data(menu=menu)  # so the old menu loses its buttons
    await send_fresh(message, state, await _home(actor, t, services))


@router.callback_query(Act.filter(F.do == "adm_home"))
async def home(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await browse(state)
    await show(query, await _home(actor, t, services))


@router.callback_query(Act.filter(F.do == "adm_close"))
async def close(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.clear()
    await show(query, (t("admin.closed"), None))


async def _home(actor: Actor, t: Translator, services: Services) -> View:
    o = await office(services).overview(actor.uid)
    scope = t("admin.scope_region", region=esc(o.region)) if o.region else t("admin.scope_all")
    text = "\n".join(
        [
            t("admin.title"),
            scope,
            "",
            t("admin.home_points", active=o.points, inactive=o.inactive_points),
            t("admin.home_staff", active=o.staff, suspended=o.suspended),
            t("admin.home_delivery", undelivered=o.undelivered, blocked=o.blocked),
        ]
    )
    return text, buttons(
        [Button(t("admin.btn.points"), "adm_points"), Button(t("admin.btn.staff"), "adm_staff")],
        [
            Button(t("admin.btn.categories"), "adm_cats"),
            Button(t("admin.btn.delivery"), "adm_dead"),
        ],
        [Button(t("admin.btn.visit_rules"), "adm_vr")],
        [Button(t("admin.btn.close"), "adm_close")],
    )
