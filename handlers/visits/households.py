"""A cadre's paired households (结对帮扶) and the contacts they record."""

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
from bot.keyboards import buttons, main_menu
from bot.replies import shown
from bot.visit_states import VisitFlow
from handlers.flow import cancel_button
from handlers.visits.common import Typed
from services.app import Services
from services.errors import NotFound
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc
from services.visits import (
    day_text,
)

router = Router(name="visits:households")


# ---- paired households (结对帮扶) ----


@router.message(Command("households"))
async def households_command(
    message: Message, actor: Actor, t: Translator, services: Services
) -> None:
    text, markup = await households_card(actor, t, services)
    await message.answer(text, reply_markup=markup)


@router.callback_query(Act.filter(F.do == "visit_households"))
async def households_button(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services
) -> None:
    text, markup = await households_card(actor, t, services)
    await query.answer()
    await shown(query).answer(text, reply_markup=markup)


async def households_card(
    actor: Actor, t: Translator, services: Services
) -> tuple[str, InlineKeyboardMarkup | None]:
    households = await services.visits.my_households(actor.uid)
    if not households:
        return t("visits.households.none"), None
    lines = [t("visits.households.title")]
    rows = []
    for h in households:
        last = (
            t("visits.households.last", day=day_text(t.texts, t.locale, h.last_contact))
            if h.last_contact
            else t("visits.households.never")
        )
        lines.append(
            t(
                "visits.households.line",
                mark="✅" if h.contacted_this_month else "⏳",
                name=esc(h.resident_name),
                phone=esc(h.resident_phone or "—"),
                point=esc(h.point.name),
                last=last,
            )
        )
        rows.append(
            [
                Button(
                    t("visits.btn.record_contact", name=h.resident_name)[:60], "visit_contact", h.id
                )
            ]
        )
    return "\n".join(lines), buttons(*rows)


@router.callback_query(Act.filter(F.do == "visit_contact"))
async def contact_button(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    name = await _household_name(actor, services, callback_data.ref)
    await state.clear()
    await state.set_state(VisitFlow.contact_note)
    await state.set_data({"pairing_id": callback_data.ref})
    await query.answer()
    await shown(query).answer(
        t("visits.contact.ask_note", name=esc(name)),
        reply_markup=buttons(
            [Button(t("visits.btn.save_without_note"), "visit_contact_save", callback_data.ref)],
            [cancel_button(t)],
        ),
    )


async def _household_name(actor: Actor, services: Services, pairing_id: int) -> str:
    for h in await services.visits.my_households(actor.uid):
        if h.id == pairing_id:
            return h.resident_name
    raise NotFound("visits.pair.not_yours")


@router.callback_query(Act.filter(F.do == "visit_contact_save"))
async def contact_without_note(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    pairing = await services.visits.record_contact(actor.uid, callback_data.ref, None)
    await state.clear()
    await query.answer()
    await shown(query).edit_text(_contact_done(t, pairing.resident_name))


@router.message(VisitFlow.contact_note, Typed())
async def contact_note(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    pairing = await services.visits.record_contact(
        actor.uid, int(data["pairing_id"]), message.text or ""
    )
    await state.clear()
    await message.answer(
        _contact_done(t, pairing.resident_name), reply_markup=main_menu(t, actor.role)
    )


def _contact_done(t: Translator, name: str) -> str:
    return t("visits.contact.done", name=esc(name))
