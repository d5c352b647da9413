"""Checking in by shared location (verified within the radius, or unverified with a note)
and checking out."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Message,
)

from bot.callbacks import Act
from bot.filters import MenuButton
from bot.keyboards import buttons, main_menu
from bot.replies import shown
from bot.visit_states import VisitFlow
from handlers.visits.common import Typed, location_keyboard, on_site_keyboard
from services.app import Services
from services.errors import Invalid
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc
from services.visits import (
    CheckIn,
    CheckOut,
    clock_text,
    day_text,
    distance_text,
    duration_text,
    point_label,
    progress_lines,
)

router = Router(name="visits:checkins")


# ---- checking in ----


@router.message(Command("checkin"))
@router.message(MenuButton("menu.check_in"))
async def check_in_command(message: Message, t: Translator, state: FSMContext) -> None:
    await ask_location(message, t, state)


@router.callback_query(Act.filter(F.do == "visit_checkin"))
async def check_in_button(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await query.answer()
    await ask_location(shown(query), t, state)


async def ask_location(message: Message, t: Translator, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(VisitFlow.location)
    await message.answer(t("visits.ask_location"), reply_markup=location_keyboard(t))


@router.message(MenuButton("visits.btn.not_now"))
async def not_now(message: Message, actor: Actor, t: Translator, state: FSMContext) -> None:
    await state.clear()
    await message.answer(t("visits.not_now"), reply_markup=main_menu(t, actor.role))


@router.message(StateFilter(VisitFlow.location, VisitFlow.unverified_note), F.location)
@router.message(StateFilter(None), F.location, ~F.reply_to_message)
async def location_shared(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    """A shared location checks the cadre in (a reply to a case card is a reply, not this)."""
    loc = message.location
    assert loc is not None
    # A forwarded location or a place picked from a list says nothing about where they are.
    own = message.forward_origin is None and message.venue is None
    result = await services.visits.check_in(
        actor.uid, loc.latitude, loc.longitude, own_position=own
    )
    if result.visit is not None:
        await state.clear()
        await message.answer(
            checked_in_text(t, result), reply_markup=on_site_keyboard(t, actor.role)
        )
        return
    await state.set_state(VisitFlow.location)
    await state.set_data({"point_id": result.point.id, "lat": loc.latitude, "lon": loc.longitude})
    await message.answer(
        not_verified_text(t, result),
        reply_markup=buttons(
            [Button(t("visits.btn.log_unverified"), "visit_unverified", result.point.id)]
        ),
    )


def not_verified_text(t: Translator, result: CheckIn) -> str:
    point = point_label(result.point)
    if result.outcome == "outside":
        return t(
            "visits.outside",
            point=point,
            distance=distance_text(t.texts, t.locale, result.distance_m or 0),
            over=distance_text(t.texts, t.locale, result.over_m),
            radius=distance_text(t.texts, t.locale, result.point.radius_m),
        )
    if result.outcome == "unverifiable":
        return t("visits.unverifiable", point=point)
    return t("visits.no_location", point=point)


def checked_in_text(t: Translator, result: CheckIn) -> str:
    visit = result.visit
    assert visit is not None
    lines = []
    if result.moved_from is not None:
        lines.append(t("visits.moved_from", point=esc(result.moved_from.name)))
    at = clock_text(visit.started_at, result.point.tz)
    point = point_label(result.point)
    if result.upgraded:
        lines.append(t("visits.now_verified", point=point, since=at))
    elif result.outcome == "already":
        key = "visits.already_verified" if visit.verified else "visits.already_unverified"
        lines.append(t(key, point=point, since=at))
    elif visit.verified:
        lines.append(
            t(
                "visits.checked_in",
                point=point,
                time=at,
                distance=distance_text(t.texts, t.locale, visit.distance_m or 0),
            )
        )
    else:
        lines.append(t("visits.checked_in_unverified", point=point, time=at))
    if result.outcome != "already" and not result.first_today:
        lines.append(t("visits.day_counted_already"))
    if result.progress is not None:
        lines += progress_lines(t.texts, t.locale, result.progress)
    lines.append(t("visits.check_out_hint"))
    return "\n".join(lines)


@router.callback_query(Act.filter(F.do == "visit_unverified"))
async def unverified_button(
    query: CallbackQuery, callback_data: Act, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.set_state(VisitFlow.unverified_note)
    keep = data if data.get("point_id") == callback_data.ref else {}
    await state.set_data(
        {"point_id": callback_data.ref, "lat": keep.get("lat"), "lon": keep.get("lon")}
    )
    await query.answer()
    message = shown(query)
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(t("visits.ask_unverified_note"))


@router.message(VisitFlow.unverified_note, Typed())
async def unverified_note(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    result = await services.visits.check_in_unverified(
        actor.uid,
        int(data["point_id"]),
        message.text or "",
        lat=data.get("lat"),
        lon=data.get("lon"),
    )
    await state.clear()
    await message.answer(checked_in_text(t, result), reply_markup=on_site_keyboard(t, actor.role))


@router.message(VisitFlow.location, Typed())
async def location_needed(message: Message, t: Translator) -> None:
    await message.answer(t("visits.location_needed"), reply_markup=location_keyboard(t))


# ---- checking out ----


@router.message(Command("checkout"))
@router.message(MenuButton("visits.btn.check_out"))
async def check_out_command(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.clear()
    try:
        result = await services.visits.check_out(actor.uid)
    except Invalid as refusal:
        if refusal.key != "visits.not_checked_in":
            raise
        await message.answer(t("visits.not_checked_in"), reply_markup=main_menu(t, actor.role))
        return
    await message.answer(checked_out_text(t, result), reply_markup=main_menu(t, actor.role))


@router.callback_query(Act.filter(F.do == "visit_checkout"))
async def check_out_button(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    result = await services.visits.check_out(actor.uid)
    await state.clear()
    await query.answer()
    message = shown(query)
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(checked_out_text(t, result), reply_markup=main_menu(t, actor.role))


def checked_out_text(t: Translator, result: CheckOut) -> str:
    visit = result.visit
    assert visit.ended_at is not None
    tz = visit.point.tz
    if visit.closed_by == "auto":
        line = t(
            "visits.checked_out_late",
            point=esc(visit.point.name),
            day=day_text(t.texts, t.locale, visit.day),
        )
    else:
        line = t(
            "visits.checked_out",
            point=esc(visit.point.name),
            time=clock_text(visit.ended_at, tz),
            duration=duration_text(t.texts, t.locale, visit.minutes),
        )
    return "\n".join([line, *progress_lines(t.texts, t.locale, result.progress)])
