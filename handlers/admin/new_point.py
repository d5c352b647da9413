"""Adding a contact point: one field a step, with a way back at each."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.admin_states import AdminFlow
from bot.callbacks import Act
from bot.keyboards import buttons
from handlers.admin.common import (
    STEP_QUESTIONS,
    STEP_STATES,
    STEPS,
    TYPED,
    View,
    ask_typed,
    back_button,
    browse,
    office,
    send_fresh,
    show,
)
from handlers.admin.points import point_view, points_view, tz_rows
from services.admin_points import (
    TIME_ZONES,
    NewPoint,
    PointCard,
    clean_field,
    clean_location,
)
from services.app import Services
from services.outbox import Button
from services.people import Actor
from services.texts import Translator

router = Router(name="admin:new_point")


# ---- contact points: adding ----------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_point_add"))
async def point_add(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await office(services).scope(actor.uid)  # administrators only, before any question
    await state.update_data(new={"region": actor.region or ""})
    await ask_typed(query, state, STEP_STATES["name"], _step_view(t, "name", {}))


def _step_view(t: Translator, step: str, new: dict[str, Any]) -> View:
    """The question of one step of the new-point wizard, with its way back."""
    index = STEPS.index(step)
    text = t("admin.new.title", step=index + 1, steps=len(STEPS)) + "\n" + t(STEP_QUESTIONS[step])
    rows: list[list[Button]] = []
    if step == "region":
        region = str(new.get("region") or "")
        label = t("admin.new.use_region", region=region) if region else t("admin.new.no_region")
        rows.append([Button(label[:60], "adm_new_keep")])
    elif step in ("address", "location"):
        rows.append([Button(t("btn.skip"), "adm_new_skip")])
    elif step == "tz":
        rows += tz_rows("adm_new_tz")
    cancel = Button(t("btn.cancel"), "adm_new_cancel")
    rows.append([back_button(t, "adm_new_back", index - 1), cancel] if index else [cancel])
    return text, buttons(*rows)


async def _next_step(state: FSMContext, step: str, value: Any) -> tuple[str, dict[str, Any]]:
    """Keep ``value`` for ``step``; returns the next step and the new point so far."""
    new = dict((await state.get_data()).get("new") or {})
    new[step] = value
    following = STEPS[STEPS.index(step) + 1]
    await state.set_state(STEP_STATES[following])
    await state.update_data(new=new)
    return following, new


async def _typed_step(
    message: Message, state: FSMContext, t: Translator, step: str, value: Any
) -> None:
    following, new = await _next_step(state, step, value)
    await send_fresh(message, state, _step_view(t, following, new))


@router.message(AdminFlow.new_name, *TYPED)
async def new_name(message: Message, t: Translator, state: FSMContext) -> None:
    await _typed_step(message, state, t, "name", clean_field("name", message.text or ""))


@router.message(AdminFlow.new_code, *TYPED)
async def new_code(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    code = await office(services).points.check_code(actor.uid, message.text or "")
    await _typed_step(message, state, t, "code", code)


@router.message(AdminFlow.new_region, *TYPED)
async def new_region(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    region = await office(services).points.check_region(actor.uid, message.text or "")
    await _typed_step(message, state, t, "region", region)


@router.message(AdminFlow.new_address, *TYPED)
async def new_address(message: Message, t: Translator, state: FSMContext) -> None:
    await _typed_step(message, state, t, "address", clean_field("address", message.text or ""))


@router.message(AdminFlow.new_location, F.location)
async def new_location(message: Message, t: Translator, state: FSMContext) -> None:
    loc = message.location
    assert loc is not None
    lat, lon = clean_location(loc.latitude, loc.longitude)
    await _typed_step(message, state, t, "location", [lat, lon])


@router.message(AdminFlow.new_tz, *TYPED)
async def new_tz_typed(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    card = await _create_point(actor, services, state, message.text or "")
    await send_fresh(message, state, await point_view(t, services, card))


@router.callback_query(AdminFlow.new_tz, Act.filter(F.do == "adm_new_tz"))
async def new_tz_chosen(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    tz = TIME_ZONES[callback_data.ref % len(TIME_ZONES)]
    card = await _create_point(actor, services, state, tz)
    await show(query, await point_view(t, services, card), t("admin.new.created"))


async def _create_point(actor: Actor, services: Services, state: FSMContext, tz: str) -> PointCard:
    new = dict((await state.get_data()).get("new") or {})
    lat, lon = new.get("location") or (None, None)
    card = await office(services).points.add(
        actor.uid,
        NewPoint(
            code=str(new.get("code") or ""),
            name=str(new.get("name") or ""),
            region=str(new.get("region") or ""),
            address=str(new.get("address") or ""),
            lat=lat,
            lon=lon,
            tz=tz,
        ),
    )
    await state.set_state(None)
    await state.update_data(new=None)
    return card


@router.callback_query(AdminFlow.new_region, Act.filter(F.do == "adm_new_keep"))
async def new_region_kept(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    new = dict((await state.get_data()).get("new") or {})
    region = await office(services).points.check_region(actor.uid, str(new.get("region") or ""))
    following, new = await _next_step(state, "region", region)
    await show(query, _step_view(t, following, new))


@router.callback_query(
    StateFilter(AdminFlow.new_address, AdminFlow.new_location), Act.filter(F.do == "adm_new_skip")
)
async def new_skip(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    step = "address" if await state.get_state() == AdminFlow.new_address.state else "location"
    following, new = await _next_step(state, step, "" if step == "address" else None)
    await show(query, _step_view(t, following, new))


@router.callback_query(StateFilter(*STEP_STATES.values()), Act.filter(F.do == "adm_new_back"))
async def new_back(
    query: CallbackQuery, callback_data: Act, t: Translator, state: FSMContext
) -> None:
    step = STEPS[max(0, min(callback_data.ref, len(STEPS) - 1))]
    new = dict((await state.get_data()).get("new") or {})
    await state.set_state(STEP_STATES[step])
    await show(query, _step_view(t, step, new))


@router.callback_query(Act.filter(F.do == "adm_new_cancel"))
async def new_cancel(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await browse(state)
    await state.update_data(new=None)
    q = str((await state.get_data()).get("q") or "")
    await show(query, await points_view(actor, t, services, 0, q), t("flow.cancelled"))
