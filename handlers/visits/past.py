"""Logging a past visit: the point, the day, what was done there."""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
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
from handlers.visits.common import Typed, day_buttons, my_point, only_point
from services.app import Services
from services.errors import Refusal
from services.people import Actor
from services.texts import Translator, esc
from services.visits import (
    PointProgress,
    PointRef,
    day_text,
    parse_day,
    progress_lines,
)

DAY_REFUSALS = frozenset({"visits.log.future", "visits.log.too_old"})

router = Router(name="visits:past")


# ---- logging a past visit ----


@router.callback_query(Act.filter(F.do == "visit_log"))
async def log_start(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    point = await only_point(
        query, actor, t, services, t("visits.log.which_point"), "visit_log_point", edit=False
    )
    message = shown(query)
    await state.clear()
    if point is not None:
        await _ask_log_day(message, t, services, state, point)


@router.callback_query(Act.filter(F.do == "visit_log_point"))
async def log_point(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    point = await my_point(actor, services, callback_data.ref)
    await query.answer()
    await _ask_log_day(shown(query), t, services, state, point, edit=True)


async def _ask_log_day(
    message: Message,
    t: Translator,
    services: Services,
    state: FSMContext,
    point: PointRef,
    *,
    edit: bool = False,
) -> None:
    await state.set_state(VisitFlow.log_day)
    await state.set_data({"point_id": point.id, "tz": point.tz})
    days = services.visits.log_days(point)
    text = t("visits.log.which_day", point=esc(point.name))
    markup = buttons(*day_buttons(t, days, "visit_log_day"), [cancel_button(t)])
    if edit:
        await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


@router.callback_query(VisitFlow.log_day, Act.filter(F.do == "visit_log_day"))
async def log_day_button(
    query: CallbackQuery,
    callback_data: Act,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    tz = str((await state.get_data())["tz"])
    day = services.visits.log_day(tz, date.fromordinal(callback_data.ref))
    text, markup = await _ask_log_note(t, state, day)
    await query.answer()
    await shown(query).edit_text(text, reply_markup=markup)


@router.message(VisitFlow.log_day, Typed())
async def log_day_typed(
    message: Message, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    tz = str(data["tz"])
    # Checked as it is typed: a refused day leaves the cadre in this step to type another.
    day = services.visits.log_day(tz, parse_day(message.text or "", services.visits.today(tz)))
    text, markup = await _ask_log_note(t, state, day)
    await message.answer(text, reply_markup=markup)


async def _ask_log_note(
    t: Translator, state: FSMContext, day: date
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The day of the visit is known: what was done there?"""
    await state.set_state(VisitFlow.log_note)
    await state.update_data(day=day.toordinal())
    text = t("visits.log.ask_note", day=day_text(t.texts, t.locale, day))
    return text, buttons([cancel_button(t)])


@router.message(VisitFlow.log_note, Typed())
async def log_note(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    day = date.fromordinal(int(data["day"]))
    try:
        progress = await services.visits.log_visit(
            actor.uid, int(data["point_id"]), day, message.text or ""
        )
    except Refusal as refusal:
        # A refusal never leaves the cadre stuck here: an empty note may be typed again; a day
        # no longer allowed (midnight passed) goes back to the day; anything else ends the step.
        if refusal.key in DAY_REFUSALS:
            await state.set_state(VisitFlow.log_day)
        elif refusal.key != "visits.note_needed":
            await state.clear()
        raise
    await state.clear()
    await message.answer(logged_text(t, progress, day), reply_markup=main_menu(t, actor.role))


def logged_text(t: Translator, progress: PointProgress, day: date) -> str:
    line = t(
        "visits.log.done",
        point=esc(progress.point.name),
        day=day_text(t.texts, t.locale, day),
    )
    return "\n".join([line, *progress_lines(t.texts, t.locale, progress)])
