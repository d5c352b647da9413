"""Cadres at their contact points: check in and out by location, log past visits, /visits,
paired households, reception days — and administrators pairing cadres with households (/pair).

A cadre on a phone taps "📍 Check in", then "📍 Send my location": the answer says at once
whether the check-in is verified, and while they are on site their keyboard offers
"🚪 Check out". A location shared outside any flow is a check-in too.
"""

from __future__ import annotations

from datetime import date, time

from aiogram import F, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from bot.callbacks import Act
from bot.filters import HasRole, MenuButton
from bot.keyboards import MENU, buttons, main_menu
from bot.replies import shown
from bot.visit_states import VisitFlow
from handlers.flow import cancel_button
from models.enums import Role
from services.app import Services
from services.errors import Invalid, NotFound
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc
from services.visits import (
    RECEPTION_SLOTS,
    CheckIn,
    CheckOut,
    Household,
    PointProgress,
    PointRef,
    Progress,
    ReceptionPreview,
    ReceptionView,
    clock_text,
    day_text,
    distance_text,
    duration_text,
    hours_text,
    parse_day,
    parse_hours,
    point_label,
    progress_lines,
)

router = Router(name="visits")
router.message.filter(F.chat.type == "private", HasRole(Role.CADRE, Role.ADMIN))
router.callback_query.filter(HasRole(Role.CADRE, Role.ADMIN))

NOTE_STATES = (VisitFlow.unverified_note, VisitFlow.log_note, VisitFlow.contact_note)
# This feature's reply-keyboard buttons (the main menu's are in bot.keyboards.MENU).
OWN_BUTTONS = frozenset(
    {"menu.check_in", "menu.visits", "visits.btn.check_out", "visits.btn.not_now"}
)


class Typed(Filter):
    """Text the person typed: not a command, not a reply-keyboard button of any menu — so a
    menu tap in the middle of a step never becomes a note."""

    async def __call__(self, message: Message, services: Services, **_: object) -> bool:
        text = message.text
        if not text or text.startswith("/"):
            return False
        keys = OWN_BUTTONS | {key for rows in MENU.values() for row in rows for key in row}
        return not any(services.texts.matches(key, text) for key in keys)


# ---- keyboards ----


def location_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    """The phone's own location, one tap away; it stays until the check-in is done."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("visits.btn.send_location"), request_location=True)],
            [KeyboardButton(text=t("visits.btn.not_now"))],
        ],
        resize_keyboard=True,
    )


def on_site_keyboard(t: Translator, role: Role | None) -> ReplyKeyboardMarkup:
    """The main menu with "🚪 Check out" on top, while the cadre is at the point."""
    menu = main_menu(t, role)
    rows = menu.keyboard if isinstance(menu, ReplyKeyboardMarkup) else []
    check_in = t("menu.check_in")
    rest = [[b for b in row if b.text != check_in] for row in rows]
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=t("visits.btn.check_out"))], *[r for r in rest if r]],
        resize_keyboard=True,
        is_persistent=True,
    )


def _day_buttons(t: Translator, days: list[date], action: str) -> list[list[Button]]:
    labels = [_day_label(t, d, days[0]) for d in days]
    cells = [Button(label, action, d.toordinal()) for label, d in zip(labels, days, strict=True)]
    return [cells[i : i + 2] for i in range(0, len(cells), 2)]


def _day_label(t: Translator, day: date, today: date) -> str:
    if day == today:
        return t("visits.today")
    return day_text(t.texts, t.locale, day)


# ---- /visits: where the cadre stands ----


@router.message(Command("visits"))
@router.message(MenuButton("menu.visits"))
async def my_visits(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    progress = await services.visits.progress(actor.uid)
    text, markup = visits_card(t, progress)
    await message.answer(text, reply_markup=markup)


def visits_card(t: Translator, progress: Progress) -> tuple[str, InlineKeyboardMarkup | None]:
    if not progress.points:
        return t("visits.card.no_points"), None
    lines = [t("visits.card.title")]
    checked_in = False
    for p in progress.points:
        lines += ["", f"<b>{point_label(p.point)}</b>", *progress_lines(t.texts, t.locale, p)]
        if p.open_visit is not None:
            checked_in = True
            lines.append(
                t("visits.card.on_site", since=clock_text(p.open_visit.started_at, p.point.tz))
            )
    lines.append("")
    if progress.households:
        lines.append(
            t(
                "visits.card.households",
                total=progress.households,
                contacted=progress.households_contacted,
            )
        )
    for r in progress.receptions[:3]:
        lines.append(_reception_line(t, r))
    first = (
        Button(t("visits.btn.check_out"), "visit_checkout")
        if checked_in
        else Button(t("visits.btn.check_in"), "visit_checkin")
    )
    return "\n".join(lines).strip(), buttons(
        [first, Button(t("visits.btn.log"), "visit_log")],
        [
            Button(t("visits.btn.households"), "visit_households"),
            Button(t("visits.btn.reception"), "visit_reception"),
        ],
    )


def _reception_line(t: Translator, r: ReceptionView) -> str:
    return t(
        "visits.card.reception",
        day=day_text(t.texts, t.locale, r.day),
        hours=hours_text(r.starts_at, r.ends_at, r.point.tz),
        point=esc(r.point.name),
    )


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


# ---- logging a past visit ----


@router.callback_query(Act.filter(F.do == "visit_log"))
async def log_start(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    point = await _only_point(
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
    point = await _my_point(actor, services, callback_data.ref)
    await query.answer()
    await _ask_log_day(shown(query), t, services, state, point, edit=True)


async def _only_point(
    query: CallbackQuery,
    actor: Actor,
    t: Translator,
    services: Services,
    question: str,
    action: str,
    *,
    edit: bool,
) -> PointRef | None:
    """The cadre's point if they serve one; with several, ``question`` with a button for each
    (``action``), as a new message or in place of the one pressed, and None."""
    points = await services.visits.my_points(actor.uid)
    if not points:
        raise Invalid("visits.no_points")
    await query.answer()
    if len(points) == 1:
        return points[0]
    rows = [[Button(p.name[:60], action, p.id)] for p in points]
    markup = buttons(*rows, [cancel_button(t)])
    if edit:
        await shown(query).edit_text(question, reply_markup=markup)
    else:
        await shown(query).answer(question, reply_markup=markup)
    return None


async def _my_point(actor: Actor, services: Services, point_id: int) -> PointRef:
    for point in await services.visits.my_points(actor.uid):
        if point.id == point_id:
            return point
    raise NotFound("visits.not_your_point")


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
    markup = buttons(*_day_buttons(t, days, "visit_log_day"), [cancel_button(t)])
    if edit:
        await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


@router.callback_query(VisitFlow.log_day, Act.filter(F.do == "visit_log_day"))
async def log_day_button(
    query: CallbackQuery, callback_data: Act, t: Translator, state: FSMContext
) -> None:
    text, markup = await _ask_log_note(t, state, date.fromordinal(callback_data.ref))
    await query.answer()
    await shown(query).edit_text(text, reply_markup=markup)


@router.message(VisitFlow.log_day, Typed())
async def log_day_typed(
    message: Message, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    day = parse_day(message.text or "", services.visits.today(str(data["tz"])))
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
    progress = await services.visits.log_visit(
        actor.uid, int(data["point_id"]), day, message.text or ""
    )
    await state.clear()
    await message.answer(logged_text(t, progress, day), reply_markup=main_menu(t, actor.role))


def logged_text(t: Translator, progress: PointProgress, day: date) -> str:
    line = t(
        "visits.log.done",
        point=esc(progress.point.name),
        day=day_text(t.texts, t.locale, day),
    )
    return "\n".join([line, *progress_lines(t.texts, t.locale, progress)])


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


# ---- reception days (接待日) ----


@router.message(Command("reception"))
async def reception_command(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.clear()
    text, markup = await reception_card(actor, t, services)
    await message.answer(text, reply_markup=markup)


@router.callback_query(Act.filter(F.do == "visit_reception"))
async def reception_button(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.clear()
    text, markup = await reception_card(actor, t, services)
    await query.answer()
    await shown(query).answer(text, reply_markup=markup)


async def reception_card(
    actor: Actor, t: Translator, services: Services
) -> tuple[str, InlineKeyboardMarkup | None]:
    upcoming = await services.visits.my_receptions(actor.uid)
    lines = [t("visits.reception.title")]
    lines += [_reception_line(t, r) for r in upcoming] or [t("visits.reception.none")]
    rows = [
        [
            Button(
                t("visits.btn.cancel_reception", day=day_text(t.texts, t.locale, r.day))[:60],
                "visit_rcp_cancel",
                r.id,
            )
        ]
        for r in upcoming
    ]
    rows.append([Button(t("visits.btn.announce_new"), "visit_rcp_new")])
    return "\n".join(lines), buttons(*rows)


@router.callback_query(Act.filter(F.do == "visit_rcp_new"))
async def reception_new(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    point = await _only_point(
        query, actor, t, services, t("visits.reception.which_point"), "visit_rcp_point", edit=True
    )
    if point is not None:
        await _ask_reception_day(shown(query), t, services, state, point)


@router.callback_query(Act.filter(F.do == "visit_rcp_point"))
async def reception_point(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    point = await _my_point(actor, services, callback_data.ref)
    await query.answer()
    await _ask_reception_day(shown(query), t, services, state, point)


async def _ask_reception_day(
    message: Message, t: Translator, services: Services, state: FSMContext, point: PointRef
) -> None:
    await state.set_state(VisitFlow.reception_day)
    await state.set_data({"point_id": point.id})
    days = services.visits.reception_days(point)
    await message.edit_text(
        t("visits.reception.which_day", point=esc(point.name)),
        reply_markup=buttons(*_day_buttons(t, days, "visit_rcp_day"), [cancel_button(t)]),
    )


@router.callback_query(VisitFlow.reception_day, Act.filter(F.do == "visit_rcp_day"))
async def reception_day(
    query: CallbackQuery, callback_data: Act, t: Translator, state: FSMContext
) -> None:
    day = date.fromordinal(callback_data.ref)
    await state.set_state(VisitFlow.reception_hours)
    await state.update_data(day=day.toordinal())
    rows = [
        [Button(f"{a:%H:%M}–{b:%H:%M}", "visit_rcp_hours", i)]
        for i, (a, b) in enumerate(RECEPTION_SLOTS)
    ]
    await query.answer()
    await shown(query).edit_text(
        t("visits.reception.which_hours", day=day_text(t.texts, t.locale, day)),
        reply_markup=buttons(*rows, [cancel_button(t)]),
    )


@router.callback_query(VisitFlow.reception_hours, Act.filter(F.do == "visit_rcp_hours"))
async def reception_slot(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    start, end = RECEPTION_SLOTS[callback_data.ref % len(RECEPTION_SLOTS)]
    text, markup = await _reception_confirm(actor, t, services, state, start, end)
    await query.answer()
    await shown(query).edit_text(text, reply_markup=markup)


@router.message(VisitFlow.reception_hours, Typed())
async def reception_hours_typed(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    start, end = parse_hours(message.text or "")
    text, markup = await _reception_confirm(actor, t, services, state, start, end)
    await message.answer(text, reply_markup=markup)


async def _reception_confirm(
    actor: Actor, t: Translator, services: Services, state: FSMContext, start: time, end: time
) -> tuple[str, InlineKeyboardMarkup | None]:
    data = await state.get_data()
    if "day" not in data:
        raise Invalid("button.stale")
    preview = await services.visits.reception_preview(
        actor.uid, int(data["point_id"]), date.fromordinal(int(data["day"])), start, end
    )
    await state.update_data(start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))
    return reception_preview_text(t, preview), buttons(
        [Button(t("visits.btn.announce"), "visit_rcp_send")], [cancel_button(t)]
    )


def reception_preview_text(t: Translator, preview: ReceptionPreview) -> str:
    params = {
        "point": esc(preview.point.name),
        "day": day_text(t.texts, t.locale, preview.day),
        "hours": hours_text(preview.starts_at, preview.ends_at, preview.point.tz),
        "count": preview.residents,
    }
    if preview.notice_on is None:
        return t("visits.reception.confirm_on_day", **params)
    return t(
        "visits.reception.confirm",
        notice=day_text(t.texts, t.locale, preview.notice_on),
        **params,
    )


@router.callback_query(VisitFlow.reception_hours, Act.filter(F.do == "visit_rcp_send"))
async def reception_send(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    if "start" not in data:
        raise Invalid("button.stale")
    reception = await services.visits.announce_reception(
        actor.uid,
        int(data["point_id"]),
        date.fromordinal(int(data["day"])),
        time.fromisoformat(data["start"]),
        time.fromisoformat(data["end"]),
    )
    await state.clear()
    await query.answer()
    await shown(query).edit_text(
        t(
            "visits.reception.announced",
            point=esc(reception.point.name),
            day=day_text(t.texts, t.locale, reception.day),
            hours=hours_text(reception.starts_at, reception.ends_at, reception.point.tz),
        )
    )


@router.callback_query(Act.filter(F.do == "visit_rcp_cancel"))
async def reception_cancel(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    reception = await services.visits.cancel_reception(actor.uid, callback_data.ref)
    await query.answer(t("visits.reception.cancelled_toast"))
    text, markup = await reception_card(actor, t, services)
    await shown(query).edit_text(
        t("visits.reception.cancelled_note", day=day_text(t.texts, t.locale, reception.day))
        + "\n\n"
        + text,
        reply_markup=markup,
    )


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
