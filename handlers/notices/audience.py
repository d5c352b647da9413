"""Composing a notice: whom it is for (everyone, regions, contact points)."""

from __future__ import annotations

import contextlib

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.callbacks import Act
from bot.keyboards import buttons
from bot.notice_states import NoticeCompose
from bot.replies import shown
from handlers.flow import cancel_button, point_picker, region_picker
from handlers.notices.routes import PAGE, back, compose
from handlers.notices.sending import ask_when
from services.app import Services
from services.errors import Invalid
from services.notices import (
    Audience,
)
from services.outbox import Button
from services.people import Actor
from services.texts import Translator

# ---- the audience ----------------------------------------------------------------------


@compose.callback_query(NoticeCompose.variants, Act.filter(F.do == "nc_audience"))
@compose.callback_query(NoticeCompose.regions, Act.filter(F.do == "nc_audience"))
@compose.callback_query(NoticeCompose.points, Act.filter(F.do == "nc_audience"))
@compose.callback_query(NoticeCompose.when, Act.filter(F.do == "nc_audience"))
@compose.callback_query(NoticeCompose.preview, Act.filter(F.do == "nc_audience"))
async def audience(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    scope = await services.notices.compose_scope(actor.uid)
    await query.answer()
    if not scope.is_admin:  # a cadre ticks among their own points
        await state.update_data(picked=[p.id for p in scope.points], page=0)
        await _show_points(query, t, services, state, actor)
        return
    await state.set_state(NoticeCompose.audience)
    rows = [
        [Button(t("notices.btn_everyone"), "nc_all")],
        [Button(t("notices.btn_by_region"), "nc_regions")] if scope.regions else [],
        [Button(t("notices.btn_by_point"), "nc_points")],
        [back(t, "nc_variants"), cancel_button(t)],
    ]
    await shown(query).edit_text(t("notices.ask_audience"), reply_markup=buttons(*rows))


@compose.callback_query(NoticeCompose.audience, Act.filter(F.do == "nc_all"))
async def everyone(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.update_data(audience=Audience("all").to_json())
    await ask_when(query, actor, t, services, state)


@compose.callback_query(NoticeCompose.audience, Act.filter(F.do == "nc_regions"))
async def regions(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    scope = await services.notices.compose_scope(actor.uid)
    await state.update_data(regions=scope.regions, picked=[])
    await query.answer()
    await _show_regions(query, t, state)


async def _show_regions(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(NoticeCompose.regions)
    data = await state.get_data()
    rows = region_picker(data["regions"], data["picked"], "nc_region")
    rows.append([Button(t("notices.btn_next"), "nc_regions_done")])
    rows.append([back(t, "nc_audience"), cancel_button(t)])
    with contextlib.suppress(TelegramBadRequest):  # the same ticks again: nothing to redraw
        await shown(query).edit_text(t("notices.ask_regions"), reply_markup=buttons(*rows))


@compose.callback_query(NoticeCompose.regions, Act.filter(F.do == "nc_region"))
async def region_ticked(
    query: CallbackQuery, callback_data: Act, t: Translator, state: FSMContext
) -> None:
    data = await state.get_data()
    if not 0 <= callback_data.ref < len(data["regions"]):
        raise Invalid("button.stale")
    picked = set(data["picked"]) ^ {callback_data.ref}
    await state.update_data(picked=sorted(picked))
    await query.answer()
    await _show_regions(query, t, state)


@compose.callback_query(NoticeCompose.regions, Act.filter(F.do == "nc_regions_done"))
async def regions_done(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    if not data["picked"]:
        await query.answer(t("notices.pick_one"), show_alert=True)
        return
    chosen = tuple(data["regions"][i] for i in data["picked"])
    await state.update_data(audience=Audience("regions", regions=chosen).to_json())
    await ask_when(query, actor, t, services, state)


@compose.callback_query(NoticeCompose.audience, Act.filter(F.do == "nc_points"))
async def points(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.update_data(picked=[], page=0)
    await query.answer()
    await _show_points(query, t, services, state, actor)


async def _show_points(
    query: CallbackQuery, t: Translator, services: Services, state: FSMContext, actor: Actor
) -> None:
    scope = await services.notices.compose_scope(actor.uid)
    await state.set_state(NoticeCompose.points)
    data = await state.get_data()
    rows = point_picker(t, scope.points, data["picked"], data.get("page"), "nc_point", PAGE)
    rows.append([Button(t("notices.btn_next"), "nc_points_done")])
    rows.append([back(t, "nc_audience" if scope.is_admin else "nc_variants"), cancel_button(t)])
    with contextlib.suppress(TelegramBadRequest):
        await shown(query).edit_text(t("notices.ask_points"), reply_markup=buttons(*rows))


@compose.callback_query(NoticeCompose.points, Act.filter(F.do == "nc_point"))
async def point_ticked(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    picked = set(data["picked"]) ^ {callback_data.ref}
    await state.update_data(picked=sorted(picked))
    await query.answer()
    await _show_points(query, t, services, state, actor)


@compose.callback_query(NoticeCompose.points, Act.filter(F.do == "nc_points_page"))
async def points_page(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await state.update_data(page=callback_data.ref)
    await query.answer()
    await _show_points(query, t, services, state, actor)


@compose.callback_query(NoticeCompose.points, Act.filter(F.do == "nc_points_done"))
async def points_done(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    if not data["picked"]:
        await query.answer(t("notices.pick_one"), show_alert=True)
        return
    # The use case checks every id again: buttons can be forged.
    chosen = Audience("points", point_ids=tuple(data["picked"]))
    await services.notices.estimate(actor.uid, chosen)
    await state.update_data(audience=chosen.to_json())
    await ask_when(query, actor, t, services, state)
