"""The visit rule in the menu: the default for every point (/admin → 📏 Visit rules) or a
point's own (its card → 📏 Visit rule) — visits a month, stay days a year, whether unverified
days count, how many days ahead residents hear of a reception day. The check-in radius is a
point's field (its card → Edit → Radius)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.admin_states import AdminFlow
from bot.callbacks import Act
from bot.keyboards import buttons
from handlers.admin.common import (
    TYPED,
    View,
    ask_typed,
    back_button,
    browse,
    kept,
    send_fresh,
    show,
)
from services.app import Services
from services.errors import Invalid
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc
from services.visits import policy_lines

router = Router(name="admin:visit_rules")

# The numbers one may type, in the order of the buttons; a button's ref is point * 4 + index.
NUMBERS = ("visits_per_month", "days_per_year", "notice_days")
QUESTIONS = {
    "visits_per_month": "admin.vr.ask_visits_per_month",
    "days_per_year": "admin.vr.ask_days_per_year",
    "notice_days": "admin.vr.ask_notice_days",
}


async def _view(actor: Actor, t: Translator, services: Services, point_id: int) -> View:
    if point_id:
        point = await services.admin.points.card(actor.uid, point_id)
        policy = await services.visits.policy(point_id)
        head = t("admin.vr.title_point", name=esc(point.name), code=esc(point.code))
        source = t("admin.vr.own") if policy.source == "point" else t("admin.vr.inherited")
        radius = t("admin.vr.radius", radius=point.radius_m)
        back = back_button(t, "adm_point_open", point_id)
    else:
        policy = await services.visits.default_policy()
        head, source, radius = t("admin.vr.title_default"), "", t("admin.vr.radius_per_point")
        back = back_button(t, "adm_home")
    lines = [
        head,
        *([source] if source else []),
        "",
        *policy_lines(t.texts, t.locale, policy),
        "",
        radius,
    ]
    rows = [
        [
            Button(t("admin.vr.btn.visits"), "adm_vr_set", point_id * 4),
            Button(t("admin.vr.btn.days"), "adm_vr_set", point_id * 4 + 1),
        ],
        [
            Button(t("admin.vr.btn.notice"), "adm_vr_set", point_id * 4 + 2),
            Button(t("admin.vr.btn.unverified"), "adm_vr_unv", point_id),
        ],
        [back],
    ]
    return "\n".join(lines), buttons(*rows)


@router.callback_query(Act.filter(F.do == "adm_vr"))
async def visit_rules(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await browse(state)
    await show(query, await _view(actor, t, services, callback_data.ref))


@router.callback_query(Act.filter(F.do == "adm_vr_set"))
async def ask_number(
    query: CallbackQuery, callback_data: Act, t: Translator, state: FSMContext
) -> None:
    point_id, index = divmod(callback_data.ref, 4)
    field = NUMBERS[min(index, len(NUMBERS) - 1)]
    view = (t(QUESTIONS[field]), buttons([back_button(t, "adm_vr", point_id)]))
    await ask_typed(query, state, AdminFlow.policy_value, view, vr_point=point_id, vr_field=field)


@router.message(AdminFlow.policy_value, *TYPED)
async def number_typed(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    point_id, field = int(await kept(state, "vr_point")), str(await kept(state, "vr_field"))
    text = (message.text or "").strip()
    if not text.isdigit():
        raise Invalid("admin.vr.not_a_number")  # the step stays: type a number, or go back
    await services.visits.change_policy(actor.uid, point_id or None, **{field: int(text)})
    await browse(state)
    await send_fresh(message, state, await _view(actor, t, services, point_id))


@router.callback_query(Act.filter(F.do == "adm_vr_unv"))
async def switch_unverified(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    point_id = callback_data.ref
    current = await (
        services.visits.policy(point_id) if point_id else services.visits.default_policy()
    )
    await services.visits.change_policy(
        actor.uid, point_id or None, count_unverified=not current.count_unverified
    )
    await show(query, await _view(actor, t, services, point_id), t("admin.vr.saved"))
