"""Administrators pair cadres with households (/pair)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)

from bot.callbacks import Act
from bot.filters import HasRole
from bot.keyboards import buttons
from bot.replies import shown
from bot.visit_states import VisitFlow
from handlers.flow import cancel_button
from handlers.visits.common import Typed
from models.enums import Role
from services.app import Services
from services.errors import Invalid
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc
from services.visits import (
    Household,
    point_label,
)

router = Router(name="visits:pairing")


# ---- pairing, for administrators (/pair) ----


@router.message(Command("pair"), HasRole(Role.ADMIN))
async def pair_command(message: Message, t: Translator, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(VisitFlow.pair_search)
    await message.answer(t("visits.pair.ask_household"), reply_markup=buttons([cancel_button(t)]))


@router.message(VisitFlow.pair_search, Typed(), HasRole(Role.ADMIN))
async def pair_search(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    query = message.text or ""
    found = await services.visits.find_households(actor.uid, query)
    if not found:
        await message.answer(t("visits.pair.no_match", query=esc(query[:60])))
        return
    rows = [[Button(f"{h.name} · {h.point.name}"[:60], "visit_pair_res", h.user_id)] for h in found]
    await message.answer(t("visits.pair.pick"), reply_markup=buttons(*rows, [cancel_button(t)]))


@router.callback_query(Act.filter(F.do == "visit_pair_res"), HasRole(Role.ADMIN))
async def pair_household(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    household = await services.visits.household(actor.uid, callback_data.ref)
    await state.set_state(None)
    await state.set_data({"resident_id": household.user_id})
    await query.answer()
    text, markup = household_card(t, household)
    await shown(query).edit_text(text, reply_markup=markup)


def household_card(t: Translator, h: Household) -> tuple[str, InlineKeyboardMarkup | None]:
    sep = "、" if t.locale == "zh_Hans" else ", "
    lines = [
        t("visits.pair.card", name=esc(h.name), point=point_label(h.point)),
        t(
            "visits.pair.paired_with",
            names=esc(sep.join(c.name for c in h.paired)) if h.paired else "—",
        ),
    ]
    if not h.cadres:
        lines.append(t("visits.pair.no_cadres"))
    paired = {c.staff_id for c in h.paired}
    rows = [
        [Button(t("visits.btn.unpair", name=c.name)[:60], "visit_unpair", c.staff_id)]
        for c in h.paired
    ]
    rows += [
        [Button(t("visits.btn.pair", name=c.name)[:60], "visit_pair", c.staff_id)]
        for c in h.cadres
        if c.staff_id not in paired
    ]
    return "\n".join(lines), buttons(*rows)


async def _resident_in_hand(state: FSMContext) -> int:
    data = await state.get_data()
    if "resident_id" not in data:
        raise Invalid("button.stale")
    return int(data["resident_id"])


@router.callback_query(Act.filter(F.do.in_({"visit_pair", "visit_unpair"})), HasRole(Role.ADMIN))
async def pair_button(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    resident_id = await _resident_in_hand(state)
    if callback_data.do == "visit_pair":
        paired = await services.visits.pair(actor.uid, callback_data.ref, resident_id)
        toast = t("visits.pair.done", name=paired.pairing.cadre_name)
    else:
        await services.visits.unpair(actor.uid, callback_data.ref, resident_id)
        toast = t("visits.pair.ended")
    await query.answer(toast)
    text, markup = household_card(t, await services.visits.household(actor.uid, resident_id))
    await shown(query).edit_text(text, reply_markup=markup)
