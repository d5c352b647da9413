"""Reception days (接待日): a cadre announces hours at a point, or calls them off."""

from __future__ import annotations

from datetime import date, time

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)

from bot.callbacks import Act
from bot.keyboards import buttons
from bot.replies import shown
from bot.visit_states import VisitFlow
from handlers.flow import cancel_button
from handlers.visits.common import Typed, day_buttons, my_point, only_point, reception_line
from services.app import Services
from services.errors import Invalid
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc
from services.visits import (
    RECEPTION_SLOTS,
    PointRef,
    ReceptionPreview,
    day_text,
    hours_text,
    parse_hours,
)

router = Router(name="visits:receptions")


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
    lines += [reception_line(t, r) for r in upcoming] or [t("visits.reception.none")]
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
    point = await only_point(
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
    point = await my_point(actor, services, callback_data.ref)
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
        reply_markup=buttons(*day_buttons(t, days, "visit_rcp_day"), [cancel_button(t)]),
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
