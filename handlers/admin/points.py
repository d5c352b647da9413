"""Contact points in the menu: list and search, a point's card, switching it off and on, its
poster, editing its fields.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.admin_states import AdminFlow
from bot.callbacks import Act
from bot.keyboards import buttons
from bot.replies import shown
from handlers.admin.common import (
    FIELD_KEYS,
    FIELDS,
    TYPED,
    View,
    ask_typed,
    back_button,
    browse,
    joined,
    kept,
    office,
    send_fresh,
    show,
)
from handlers.flow import pager
from services.admin_points import (
    TIME_ZONES,
    PointCard,
    PointPage,
)
from services.app import Services
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc

router = Router(name="admin:points")


# ---- contact points: list and search -----------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_points"))
async def points_page(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await browse(state)
    q = str((await state.get_data()).get("q") or "")
    await show(query, await points_view(actor, t, services, callback_data.ref, q))


@router.callback_query(Act.filter(F.do == "adm_points_all"))
async def points_unfiltered(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await browse(state)
    await state.update_data(q="")
    await show(query, await points_view(actor, t, services, 0, ""))


@router.callback_query(Act.filter(F.do == "adm_point_search"))
async def points_search(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    view = (t("admin.points.ask_search"), buttons([back_button(t, "adm_points")]))
    await ask_typed(query, state, AdminFlow.point_search, view)


@router.message(AdminFlow.point_search, *TYPED)
async def points_found(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    q = (message.text or "").strip()[:60]
    await state.set_state(None)
    await state.update_data(q=q)
    await send_fresh(message, state, await points_view(actor, t, services, 0, q))


async def points_view(actor: Actor, t: Translator, services: Services, page: int, q: str) -> View:
    result = await office(services).points.page(actor.uid, page, q)
    lines = [t("admin.points.title", count=result.total)]
    lines += search_lines(t, result, q)
    if result.points and result.pages > 1:
        lines.append(t("admin.page", page=result.page + 1, pages=result.pages))
    rows = point_rows(result, "adm_point_open")
    tools = [Button(t("admin.btn.search"), "adm_point_search")]
    if q:
        tools.append(Button(t("admin.btn.clear_search"), "adm_points_all"))
    tools.append(Button(t("admin.btn.add_point"), "adm_point_add"))
    return "\n".join(lines), buttons(
        *rows,
        pager(t, "adm_points", result.page, result.pages),
        tools,
        [back_button(t, "adm_home")],
    )


def search_lines(t: Translator, result: PointPage, q: str) -> list[str]:
    """What a list of points says about the search that made it (and when it found nothing)."""
    lines = [t("admin.points.searching", query=esc(q))] if q else []
    if not result.points:
        lines.append(t("admin.points.none_found") if q else t("admin.points.none"))
    return lines


def point_rows(result: PointPage, action: str) -> list[list[Button]]:
    return [
        [Button(("⛔ " if not p.active else "") + f"{p.name} · {p.code}"[:60], action, p.id)]
        for p in result.points
    ]


# ---- contact points: one point -------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_point_open"))
async def point_open(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await browse(state)
    card = await office(services).points.card(actor.uid, callback_data.ref)
    await show(query, await point_view(t, services, card))


async def point_view(t: Translator, services: Services, card: PointCard) -> View:
    if card.lat is not None and card.lon is not None:
        where = t(
            "admin.point.location",
            lat=f"{card.lat:.5f}",
            lon=f"{card.lon:.5f}",
            radius=card.radius_m,
        )
    else:
        where = t("admin.point.no_location", radius=card.radius_m)
    cadres = [
        ("★ " if c.primary else "")
        + esc(c.name)
        + (f" ({esc(c.title)})" if c.title else "")
        + ("" if c.active else " " + t("admin.staff.suspended_mark"))
        for c in card.cadres
    ]
    lines = [
        t("admin.point.title", name=esc(card.name), code=esc(card.code)),
        t("admin.point.status_active") if card.active else t("admin.point.status_inactive"),
        t("admin.point.region", region=esc(card.region or "—")),
        t("admin.point.address", address=esc(card.address or "—")),
        where,
        t("admin.point.tz", tz=card.tz),
        "",
        t("admin.point.cadres", names=joined(t, cadres)) if cadres else t("admin.point.no_cadre"),
        t("admin.point.residents", count=card.residents),
        t("admin.point.cases", open=card.open_cases, overdue=card.overdue),
    ]
    compliance = await office(services).points.visit_compliance(card.id, t.locale)
    if compliance:
        lines += ["", *compliance]
    switch = (
        Button(t("admin.btn.deactivate"), "adm_point_off", card.id)
        if card.active
        else Button(t("admin.btn.reactivate"), "adm_point_on", card.id)
    )
    rows = [[Button(t("admin.btn.edit"), "adm_point_edit", card.id)]]
    if card.active:
        rows[0].append(Button(t("admin.btn.poster"), "adm_point_poster", card.id))
    rows.append([Button(t("admin.btn.visit_rule"), "adm_vr", card.id)])
    return "\n".join(lines), buttons(*rows, [switch], [back_button(t, "adm_points")])


@router.callback_query(Act.filter(F.do == "adm_point_off"))
async def point_off_confirm(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    card = await office(services).points.card(actor.uid, callback_data.ref)
    text = t(
        "admin.point.confirm_off",
        name=esc(card.name),
        residents=card.residents,
        open=card.open_cases,
    )
    await show(
        query,
        (
            text,
            buttons(
                [Button(t("admin.btn.confirm_off"), "adm_point_off_yes", card.id)],
                [back_button(t, "adm_point_open", card.id)],
            ),
        ),
    )


@router.callback_query(Act.filter(F.do == "adm_point_off_yes"))
async def point_off(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    done = await office(services).points.deactivate(actor.uid, callback_data.ref)
    toast = t("admin.point.deactivated", told=done.residents_told)
    await show(query, await point_view(t, services, done.point), toast)


@router.callback_query(Act.filter(F.do == "adm_point_on"))
async def point_on(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    card = await office(services).points.reactivate(actor.uid, callback_data.ref)
    await show(query, await point_view(t, services, card), t("admin.point.reactivated"))


@router.callback_query(Act.filter(F.do == "adm_point_poster"))
async def point_poster(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    poster = await office(services).points.poster(actor.uid, callback_data.ref)
    await query.answer()
    await shown(query).answer_document(
        BufferedInputFile(poster.png, filename=f"poster-{poster.code}.png"),
        caption=t("admin.point.poster", name=esc(poster.name), link=poster.link),
    )


# ---- contact points: editing -------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_point_edit"))
async def point_edit(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await browse(state)
    card = await office(services).points.card(actor.uid, callback_data.ref)
    await state.update_data(point=card.id)
    fields = [Button(t(FIELD_KEYS[f]), "adm_pe", i) for i, f in enumerate(FIELDS)]
    await show(
        query,
        (
            t("admin.point.edit_which", name=esc(card.name)),
            buttons(
                fields[0:2], fields[2:4], fields[4:6], [back_button(t, "adm_point_open", card.id)]
            ),
        ),
    )


@router.callback_query(Act.filter(F.do == "adm_pe"))
async def point_edit_field(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    point_id = int(await kept(state, "point"))
    card = await office(services).points.card(actor.uid, point_id)
    field = FIELDS[callback_data.ref % len(FIELDS)]
    back = back_button(t, "adm_point_edit", card.id)
    if field == "location":
        view = (
            t("admin.point.ask_location", name=esc(card.name)),
            buttons(
                [Button(t("admin.btn.remove_location"), "adm_pe_noloc", card.id)]
                if card.has_location
                else [],
                [back],
            ),
        )
        await ask_typed(query, state, AdminFlow.edit_location, view)
        return
    now = {
        "name": card.name,
        "address": card.address,
        "region": card.region,
        "tz": card.tz,
        "radius": str(card.radius_m),
    }[field]
    question = t("admin.point.ask_value", field=t(FIELD_KEYS[field]), now=esc(now or "—"))
    rows: list[list[Button]] = []
    if field == "tz":
        rows = tz_rows("adm_pe_tz")
    view = (question, buttons(*rows, [back]))
    await ask_typed(query, state, AdminFlow.edit_value, view, field=field)


@router.message(AdminFlow.edit_value, *TYPED)
async def point_edit_typed(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    card = await office(services).points.edit(
        actor.uid, int(data["point"]), {str(data["field"]): message.text or ""}
    )
    await state.set_state(None)
    await send_fresh(message, state, await point_view(t, services, card))


@router.callback_query(AdminFlow.edit_value, Act.filter(F.do == "adm_pe_tz"))
async def point_edit_tz(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    point_id = int(await kept(state, "point"))
    tz = TIME_ZONES[callback_data.ref % len(TIME_ZONES)]
    card = await office(services).points.edit(actor.uid, point_id, {"tz": tz})
    await browse(state)
    await show(query, await point_view(t, services, card), t("admin.saved"))


@router.message(AdminFlow.edit_location, F.location)
async def point_edit_location(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    loc = message.location
    assert loc is not None
    point_id = int(await kept(state, "point"))
    card = await office(services).points.set_location(
        actor.uid, point_id, loc.latitude, loc.longitude
    )
    await state.set_state(None)
    await send_fresh(message, state, await point_view(t, services, card))


@router.callback_query(Act.filter(F.do == "adm_pe_noloc"))
async def point_remove_location(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    card = await office(services).points.set_location(actor.uid, callback_data.ref, None, None)
    await browse(state)
    await show(query, await point_view(t, services, card), t("admin.saved"))


def tz_rows(action: str) -> list[list[Button]]:
    cells = [Button(tz, action, i) for i, tz in enumerate(TIME_ZONES)]
    return [cells[i : i + 2] for i in range(0, len(cells), 2)]
