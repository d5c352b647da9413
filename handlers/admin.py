"""The administrator's menu (/admin): contact points, staff, categories, delivery problems.

One inline message that each button edits in place; where a step waits for typed input (a
search, a name, a location), the answer comes as a fresh menu message and the old one loses
its buttons, so there is always one live menu. Every button is checked again in the use case:
the data of a button can be forged, and an administrator of one region never reaches another's
points or staff.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.admin_states import AdminFlow
from bot.callbacks import Act
from bot.filters import HasRole, MenuButton, NotMenuButton
from bot.keyboards import buttons
from bot.replies import shown
from handlers.flow import pager
from models.enums import Role, Tier
from services.admin_points import (
    DEFAULT_TZ,
    TIME_ZONES,
    NewPoint,
    PointCard,
    PointPage,
    clean_field,
    clean_location,
)
from services.admin_staff import ACTIVE, REMOVED, SUSPENDED, Rerouted, StaffLine
from services.administration import Administration
from services.app import Services
from services.categories import CategoryLine, clean_name
from services.errors import Invalid
from services.outbox import Button
from services.people import Actor
from services.staff import InviteLink
from services.texts import Translator, cut, esc

router = Router(name="admin")
router.message.filter(F.chat.type == "private", HasRole(Role.ADMIN))
router.callback_query.filter(HasRole(Role.ADMIN))

View = tuple[str, InlineKeyboardMarkup | None]
TYPED = (F.text & ~F.text.startswith("/"), NotMenuButton())
INPUT_STATES = tuple(AdminFlow.__states__)

ROLES = (Role.CADRE, Role.INSPECTOR, Role.ADMIN)
ROLE_KEYS = {
    Role.CADRE: "admin.role.cadre",
    Role.INSPECTOR: "admin.role.inspector",
    Role.ADMIN: "admin.role.admin",
}
STATUS_KEYS = {
    ACTIVE: "admin.staff.status_active",
    SUSPENDED: "admin.staff.status_suspended",
    REMOVED: "admin.staff.status_removed",
}
# A point's fields an administrator may change, in the order of the edit menu.
FIELDS = ("name", "address", "region", "location", "tz", "radius")
FIELD_KEYS = {
    "name": "admin.point.field_name",
    "address": "admin.point.field_address",
    "region": "admin.point.field_region",
    "location": "admin.point.field_location",
    "tz": "admin.point.field_tz",
    "radius": "admin.point.field_radius",
}
# The new-point wizard: one field a step.
STEPS = ("name", "code", "region", "address", "location", "tz")
STEP_STATES: dict[str, State] = {
    "name": AdminFlow.new_name,
    "code": AdminFlow.new_code,
    "region": AdminFlow.new_region,
    "address": AdminFlow.new_address,
    "location": AdminFlow.new_location,
    "tz": AdminFlow.new_tz,
}
STEP_QUESTIONS = {
    "name": "admin.new.ask_name",
    "code": "admin.new.ask_code",
    "region": "admin.new.ask_region",
    "address": "admin.new.ask_address",
    "location": "admin.new.ask_location",
    "tz": "admin.new.ask_tz",
}
TIERS = tuple(Tier)
TIER_KEYS = {
    Tier.URGENT: "tier.urgent",
    Tier.UTILITIES: "tier.utilities",
    Tier.GENERAL: "tier.general",
    Tier.COMPLEX: "tier.complex",
}
# /admin sits in the administrators' command menu as ("admin", "cmd.admin")
# (services/commands.py), and behind the "menu.admin" button of their reply keyboard.


def office(services: Services) -> Administration:
    return services.admin


# ---- showing ---------------------------------------------------------------------------


async def _edit(query: CallbackQuery, view: View, toast: str | None = None) -> None:
    """Show ``view`` in the menu message the button sits on."""
    await query.answer(toast)
    text, markup = view
    try:
        await shown(query).edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in str(exc):
            raise


async def _send(message: Message, state: FSMContext, view: View) -> None:
    """Show ``view`` as a fresh menu message (after typed input); the old one loses its
    buttons, so only one menu is live."""
    data = await state.get_data()
    old = data.get("menu")
    if isinstance(old, int) and message.bot is not None:
        with contextlib.suppress(TelegramBadRequest):
            await message.bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=old, reply_markup=None
            )
    text, markup = view
    sent = await message.answer(text, reply_markup=markup)
    await state.update_data(menu=sent.message_id)


async def _ask(
    query: CallbackQuery, state: FSMContext, step: State, view: View, **data: Any
) -> None:
    """Wait for typed input in ``step``; the menu message becomes the question."""
    await state.set_state(step)
    await state.update_data(menu=shown(query).message_id, **data)
    await _edit(query, view)


async def _browse(state: FSMContext) -> None:
    """Leave any input step (keeping the data: the search, what is being edited)."""
    await state.set_state(None)


def _back(t: Translator, action: str, ref: int = 0) -> Button:
    return Button(t("btn.back"), action, ref)


def _names(t: Translator, names: list[str]) -> str:
    return ("、" if t.locale == "zh_Hans" else ", ").join(names)


def _when(t: Translator, services: Services, moment: Any, tz: str = DEFAULT_TZ) -> str:
    return services.texts.when(t.locale, moment, tz)


async def _data(state: FSMContext, key: str) -> Any:
    """A value the current step keeps; without it the button is from an old menu."""
    value = (await state.get_data()).get(key)
    if value is None:
        raise Invalid("button.stale")
    return value


# ---- the menu ----------------------------------------------------------------------------


@router.message(Command("admin"))
@router.message(MenuButton("menu.admin"))
async def admin_menu(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    menu = (await state.get_data()).get("menu")
    await state.clear()  # a menu action leaves whatever step was in progress
    await state.update_data(menu=menu)  # so the old menu loses its buttons
    await _send(message, state, await _home(actor, t, services))


@router.callback_query(Act.filter(F.do == "adm_home"))
async def home(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await _browse(state)
    await _edit(query, await _home(actor, t, services))


@router.callback_query(Act.filter(F.do == "adm_close"))
async def close(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.clear()
    await _edit(query, (t("admin.closed"), None))


async def _home(actor: Actor, t: Translator, services: Services) -> View:
    o = await office(services).overview(actor.uid)
    scope = t("admin.scope_region", region=esc(o.region)) if o.region else t("admin.scope_all")
    text = "\n".join(
        [
            t("admin.title"),
            scope,
            "",
            t("admin.home_points", active=o.points, inactive=o.inactive_points),
            t("admin.home_staff", active=o.staff, suspended=o.suspended),
            t("admin.home_delivery", undelivered=o.undelivered, blocked=o.blocked),
        ]
    )
    return text, buttons(
        [Button(t("admin.btn.points"), "adm_points"), Button(t("admin.btn.staff"), "adm_staff")],
        [
            Button(t("admin.btn.categories"), "adm_cats"),
            Button(t("admin.btn.delivery"), "adm_dead"),
        ],
        [Button(t("admin.btn.close"), "adm_close")],
    )


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
    await _browse(state)
    q = str((await state.get_data()).get("q") or "")
    await _edit(query, await _points(actor, t, services, callback_data.ref, q))


@router.callback_query(Act.filter(F.do == "adm_points_all"))
async def points_unfiltered(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await _browse(state)
    await state.update_data(q="")
    await _edit(query, await _points(actor, t, services, 0, ""))


@router.callback_query(Act.filter(F.do == "adm_point_search"))
async def points_search(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    view = (t("admin.points.ask_search"), buttons([_back(t, "adm_points")]))
    await _ask(query, state, AdminFlow.point_search, view)


@router.message(AdminFlow.point_search, *TYPED)
async def points_found(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    q = (message.text or "").strip()[:60]
    await state.set_state(None)
    await state.update_data(q=q)
    await _send(message, state, await _points(actor, t, services, 0, q))


async def _points(actor: Actor, t: Translator, services: Services, page: int, q: str) -> View:
    result = await office(services).points.page(actor.uid, page, q)
    lines = [t("admin.points.title", count=result.total)]
    lines += _search_lines(t, result, q)
    if result.points and result.pages > 1:
        lines.append(t("admin.page", page=result.page + 1, pages=result.pages))
    rows = _point_rows(result, "adm_point_open")
    tools = [Button(t("admin.btn.search"), "adm_point_search")]
    if q:
        tools.append(Button(t("admin.btn.clear_search"), "adm_points_all"))
    tools.append(Button(t("admin.btn.add_point"), "adm_point_add"))
    return "\n".join(lines), buttons(
        *rows,
        pager(t, "adm_points", result.page, result.pages),
        tools,
        [_back(t, "adm_home")],
    )


def _search_lines(t: Translator, result: PointPage, q: str) -> list[str]:
    """What a list of points says about the search that made it (and when it found nothing)."""
    lines = [t("admin.points.searching", query=esc(q))] if q else []
    if not result.points:
        lines.append(t("admin.points.none_found") if q else t("admin.points.none"))
    return lines


def _point_rows(result: PointPage, action: str) -> list[list[Button]]:
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
    await _browse(state)
    card = await office(services).points.card(actor.uid, callback_data.ref)
    await _edit(query, await _point_view(t, services, card))


async def _point_view(t: Translator, services: Services, card: PointCard) -> View:
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
        t("admin.point.cadres", names=_names(t, cadres)) if cadres else t("admin.point.no_cadre"),
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
    return "\n".join(lines), buttons(*rows, [switch], [_back(t, "adm_points")])


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
    await _edit(
        query,
        (
            text,
            buttons(
                [Button(t("admin.btn.confirm_off"), "adm_point_off_yes", card.id)],
                [_back(t, "adm_point_open", card.id)],
            ),
        ),
    )


@router.callback_query(Act.filter(F.do == "adm_point_off_yes"))
async def point_off(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    done = await office(services).points.deactivate(actor.uid, callback_data.ref)
    toast = t("admin.point.deactivated", told=done.residents_told)
    await _edit(query, await _point_view(t, services, done.point), toast)


@router.callback_query(Act.filter(F.do == "adm_point_on"))
async def point_on(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    card = await office(services).points.reactivate(actor.uid, callback_data.ref)
    await _edit(query, await _point_view(t, services, card), t("admin.point.reactivated"))


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
    await _browse(state)
    card = await office(services).points.card(actor.uid, callback_data.ref)
    await state.update_data(point=card.id)
    fields = [Button(t(FIELD_KEYS[f]), "adm_pe", i) for i, f in enumerate(FIELDS)]
    await _edit(
        query,
        (
            t("admin.point.edit_which", name=esc(card.name)),
            buttons(fields[0:2], fields[2:4], fields[4:6], [_back(t, "adm_point_open", card.id)]),
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
    point_id = int(await _data(state, "point"))
    card = await office(services).points.card(actor.uid, point_id)
    field = FIELDS[callback_data.ref % len(FIELDS)]
    back = _back(t, "adm_point_edit", card.id)
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
        await _ask(query, state, AdminFlow.edit_location, view)
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
        rows = _tz_rows("adm_pe_tz")
    view = (question, buttons(*rows, [back]))
    await _ask(query, state, AdminFlow.edit_value, view, field=field)


@router.message(AdminFlow.edit_value, *TYPED)
async def point_edit_typed(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    card = await office(services).points.edit(
        actor.uid, int(data["point"]), {str(data["field"]): message.text or ""}
    )
    await state.set_state(None)
    await _send(message, state, await _point_view(t, services, card))


@router.callback_query(AdminFlow.edit_value, Act.filter(F.do == "adm_pe_tz"))
async def point_edit_tz(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    point_id = int(await _data(state, "point"))
    tz = TIME_ZONES[callback_data.ref % len(TIME_ZONES)]
    card = await office(services).points.edit(actor.uid, point_id, {"tz": tz})
    await _browse(state)
    await _edit(query, await _point_view(t, services, card), t("admin.saved"))


@router.message(AdminFlow.edit_location, F.location)
async def point_edit_location(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    loc = message.location
    assert loc is not None
    point_id = int(await _data(state, "point"))
    card = await office(services).points.set_location(
        actor.uid, point_id, loc.latitude, loc.longitude
    )
    await state.set_state(None)
    await _send(message, state, await _point_view(t, services, card))


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
    await _browse(state)
    await _edit(query, await _point_view(t, services, card), t("admin.saved"))


def _tz_rows(action: str) -> list[list[Button]]:
    cells = [Button(tz, action, i) for i, tz in enumerate(TIME_ZONES)]
    return [cells[i : i + 2] for i in range(0, len(cells), 2)]


# ---- contact points: adding ----------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_point_add"))
async def point_add(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await office(services).scope(actor.uid)  # administrators only, before any question
    await state.update_data(new={"region": actor.region or ""})
    await _ask(query, state, STEP_STATES["name"], _step_view(t, "name", {}))


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
        rows += _tz_rows("adm_new_tz")
    cancel = Button(t("btn.cancel"), "adm_new_cancel")
    rows.append([_back(t, "adm_new_back", index - 1), cancel] if index else [cancel])
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
    await _send(message, state, _step_view(t, following, new))


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
    await _send(message, state, await _point_view(t, services, card))


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
    await _edit(query, await _point_view(t, services, card), t("admin.new.created"))


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
    await _edit(query, _step_view(t, following, new))


@router.callback_query(
    StateFilter(AdminFlow.new_address, AdminFlow.new_location), Act.filter(F.do == "adm_new_skip")
)
async def new_skip(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    step = "address" if await state.get_state() == AdminFlow.new_address.state else "location"
    following, new = await _next_step(state, step, "" if step == "address" else None)
    await _edit(query, _step_view(t, following, new))


@router.callback_query(StateFilter(*STEP_STATES.values()), Act.filter(F.do == "adm_new_back"))
async def new_back(
    query: CallbackQuery, callback_data: Act, t: Translator, state: FSMContext
) -> None:
    step = STEPS[max(0, min(callback_data.ref, len(STEPS) - 1))]
    new = dict((await state.get_data()).get("new") or {})
    await state.set_state(STEP_STATES[step])
    await _edit(query, _step_view(t, step, new))


@router.callback_query(Act.filter(F.do == "adm_new_cancel"))
async def new_cancel(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await _browse(state)
    await state.update_data(new=None)
    q = str((await state.get_data()).get("q") or "")
    await _edit(query, await _points(actor, t, services, 0, q), t("flow.cancelled"))


# ---- staff -----------------------------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_staff"))
async def staff_page(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await _browse(state)
    result = await office(services).staff.page(actor.uid, callback_data.ref)
    lines = [t("admin.staff.title", count=result.total)]
    if result.pages > 1:
        lines.append(t("admin.page", page=result.page + 1, pages=result.pages))
    for s in result.staff:
        lines.append(_staff_line(t, s))
    rows = [
        [Button((("⏸ " if s.status != ACTIVE else "") + s.name)[:60], "adm_staff_open", s.id)]
        for s in result.staff
    ]
    await _edit(
        query,
        (
            "\n".join(lines),
            buttons(
                *rows,
                pager(t, "adm_staff", result.page, result.pages),
                [Button(t("admin.btn.invite"), "adm_invite")],
                [_back(t, "adm_home")],
            ),
        ),
    )


def _staff_line(t: Translator, s: StaffLine) -> str:
    points = _names(t, [("★" if p.primary else "") + esc(p.name) for p in s.points]) or "—"
    role = t(ROLE_KEYS[Role(s.role)])
    if s.role in (Role.ADMIN, Role.INSPECTOR):  # their reach, as the CLI's list shows it
        role += " · " + (
            t("admin.scope_region", region=esc(s.region)) if s.region else t("admin.scope_all")
        )
    return t(
        "admin.staff.line",
        name=esc(s.name),
        role=role,
        points=points,
        open=s.open_cases,
        overdue=s.overdue,
    ) + ("" if s.status == ACTIVE else " " + t(STATUS_KEYS[s.status]))


def _staff_view(t: Translator, s: StaffLine, viewer_uid: int) -> View:
    """A staff member's card; one's own offers no Suspend or Remove (they would be refused)."""
    role = t(ROLE_KEYS[Role(s.role)])
    if s.role in (Role.ADMIN, Role.INSPECTOR):
        reach = t("admin.scope_region", region=esc(s.region)) if s.region else t("admin.scope_all")
        role += " · " + reach
    points = [("★ " if p.primary else "") + f"{esc(p.name)} ({esc(p.code)})" for p in s.points]
    lines = [
        t("admin.staff.card_title", name=esc(s.name)) + (f" — {esc(s.title)}" if s.title else ""),
        t("admin.staff.role", role=role),
        t("admin.staff.status", status=t(STATUS_KEYS[s.status])),
        t("admin.staff.points", points=_names(t, points)) if points else t("admin.staff.no_points"),
        t("admin.staff.load", open=s.open_cases, overdue=s.overdue),
    ]
    rows: list[list[Button]] = []
    if s.status != REMOVED:
        if s.role in (Role.CADRE, Role.ADMIN):
            row = [Button(t("admin.btn.assign"), "adm_staff_assign", s.id)]
            if s.points:
                row.append(Button(t("admin.btn.unassign"), "adm_staff_unassign", s.id))
            rows.append(row)
            if any(not p.primary for p in s.points) and s.status == ACTIVE:
                rows.append([Button(t("admin.btn.primary"), "adm_staff_primary", s.id)])
        if s.user_id != viewer_uid:
            if s.status == ACTIVE:
                rows.append([Button(t("admin.btn.suspend"), "adm_staff_suspend", s.id)])
            else:
                rows.append([Button(t("admin.btn.reinstate"), "adm_staff_reinstate", s.id)])
            rows.append([Button(t("admin.btn.remove"), "adm_staff_remove", s.id)])
    rows.append([_back(t, "adm_staff")])
    return "\n".join(lines), buttons(*rows)


@router.callback_query(Act.filter(F.do == "adm_staff_open"))
async def staff_open(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await _browse(state)
    line = await office(services).staff.get(actor.uid, callback_data.ref)
    await _edit(query, _staff_view(t, line, actor.uid))


# ---- staff: points -------------------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_staff_assign"))
async def staff_assign(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    line = await office(services).staff.get(actor.uid, callback_data.ref)
    await state.update_data(staff=line.id, pick="assign", pq="")
    await _ask(query, state, AdminFlow.pick_search, await _picker(actor, t, services, state, 0))


@router.callback_query(Act.filter(F.do == "adm_pick_page"))
async def pick_page(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await _edit(query, await _picker(actor, t, services, state, callback_data.ref))


@router.message(AdminFlow.pick_search, *TYPED)
async def pick_search(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.update_data(pq=(message.text or "").strip()[:60])
    await _send(message, state, await _picker(actor, t, services, state, 0))


async def _picker(
    actor: Actor, t: Translator, services: Services, state: FSMContext, page: int
) -> View:
    """Contact points to pick from (to assign someone, or to invite a cadre); typing narrows."""
    data = await state.get_data()
    purpose = data.get("pick")
    q = str(data.get("pq") or "")
    result = await office(services).points.page(actor.uid, page, q, active_only=True)
    if purpose == "assign":
        line = await office(services).staff.get(actor.uid, int(await _data(state, "staff")))
        head = t("admin.pick.assign", name=esc(line.name))
        back = _back(t, "adm_staff_open", line.id)
    else:
        head = t("admin.pick.invite")
        back = _back(t, "adm_invite")
    lines = [head, t("admin.pick.hint")]
    lines += _search_lines(t, result, q)
    return "\n".join(lines), buttons(
        *_point_rows(result, "adm_pick"),
        pager(t, "adm_pick_page", result.page, result.pages),
        [back],
    )


@router.callback_query(Act.filter(F.do == "adm_pick"))
async def picked(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    purpose = await _data(state, "pick")
    await _browse(state)
    if purpose == "invite":
        role = str(data.get("role") or Role.CADRE)
        invite_ = await office(services).staff.invite(actor.uid, role, point_id=callback_data.ref)
        await _edit(query, _invite_view(t, services, role, invite_))
        return
    staff_id = int(await _data(state, "staff"))
    line = await office(services).staff.assign(actor.uid, staff_id, callback_data.ref)
    await _edit(query, _staff_view(t, line, actor.uid), t("admin.saved"))


# A button on someone's card that lists their points: what picking one does, the question, and
# whether their primary points are listed too (no one is made primary where they are already).
THEIR_POINTS = {
    "adm_staff_unassign": ("adm_unassign", "admin.pick.unassign", True),
    "adm_staff_primary": ("adm_primary", "admin.pick.primary", False),
}


@router.callback_query(Act.filter(F.do.in_(set(THEIR_POINTS))))
async def their_points(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    line = await office(services).staff.get(actor.uid, callback_data.ref)
    await state.update_data(staff=line.id)
    action, key, with_primary = THEIR_POINTS[callback_data.do]
    rows = [
        [Button(f"{p.name} · {p.code}"[:60], action, p.point_id)]
        for p in line.points
        if with_primary or not p.primary
    ]
    view = t(key, name=esc(line.name)), buttons(*rows, [_back(t, "adm_staff_open", line.id)])
    await _edit(query, view)


@router.callback_query(Act.filter(F.do.in_({"adm_unassign", "adm_primary"})))
async def point_picked(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    staff = office(services).staff
    staff_id = int(await _data(state, "staff"))
    if callback_data.do == "adm_unassign":
        line = await staff.unassign(actor.uid, staff_id, callback_data.ref)
    else:
        line = await staff.make_primary(actor.uid, staff_id, callback_data.ref)
    await _edit(query, _staff_view(t, line, actor.uid), t("admin.saved"))


# ---- staff: access -------------------------------------------------------------------------


@router.callback_query(Act.filter(F.do.in_({"adm_staff_suspend", "adm_staff_remove"})))
async def staff_end_confirm(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    line = await office(services).staff.get(actor.uid, callback_data.ref)
    remove = callback_data.do == "adm_staff_remove"
    key = "admin.staff.confirm_remove" if remove else "admin.staff.confirm_suspend"
    yes = Button(
        t("admin.btn.confirm_remove") if remove else t("admin.btn.confirm_suspend"),
        callback_data.do + "_yes",
        line.id,
    )
    await _edit(
        query,
        (
            t(key, name=esc(line.name), n=line.open_cases),
            buttons([yes], [_back(t, "adm_staff_open", line.id)]),
        ),
    )


@router.callback_query(Act.filter(F.do.in_({"adm_staff_suspend_yes", "adm_staff_remove_yes"})))
async def staff_end(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    staff = office(services).staff
    done: Rerouted
    if callback_data.do == "adm_staff_remove_yes":
        done = await staff.remove(actor.uid, callback_data.ref)
    else:
        done = await staff.suspend(actor.uid, callback_data.ref)
    text, markup = _staff_view(t, done.staff, actor.uid)
    text += "\n\n" + t("admin.staff.rerouted", n=done.cases, unowned=done.unowned)
    await _edit(query, (text, markup), t("admin.saved"))


@router.callback_query(Act.filter(F.do == "adm_staff_reinstate"))
async def staff_reinstate(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    line = await office(services).staff.reinstate(actor.uid, callback_data.ref)
    await _edit(query, _staff_view(t, line, actor.uid), t("admin.saved"))


# ---- staff: invitations --------------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_invite"))
async def invite(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await _browse(state)
    await office(services).scope(actor.uid)  # administrators only
    roles = [Button(t(ROLE_KEYS[r]), "adm_inv_role", i) for i, r in enumerate(ROLES)]
    await _edit(query, (t("admin.invite.which_role"), buttons(roles, [_back(t, "adm_staff")])))


@router.callback_query(Act.filter(F.do == "adm_inv_role"))
async def invite_role(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    role = ROLES[callback_data.ref % len(ROLES)]
    await state.update_data(role=role.value, pick="invite", pq="")
    if role == Role.CADRE:
        view = await _picker(actor, t, services, state, 0)
        await _ask(query, state, AdminFlow.pick_search, view)
        return
    mine = actor.region
    label = t("admin.invite.whole_scope", region=mine) if mine else t("admin.scope_all")
    view = (
        t("admin.invite.ask_region", role=t(ROLE_KEYS[role])),
        buttons([Button(label[:60], "adm_inv_scope")], [_back(t, "adm_invite")]),
    )
    await _ask(query, state, AdminFlow.invite_region, view)


@router.message(AdminFlow.invite_region, *TYPED)
async def invite_region_typed(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    role = str(await _data(state, "role"))
    region = (message.text or "").strip()
    invite_ = await office(services).staff.invite(actor.uid, role, region=region)
    await state.set_state(None)
    await _send(message, state, _invite_view(t, services, role, invite_))


@router.callback_query(AdminFlow.invite_region, Act.filter(F.do == "adm_inv_scope"))
async def invite_whole_scope(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    role = str(await _data(state, "role"))
    invite_ = await office(services).staff.invite(actor.uid, role)
    await _browse(state)
    await _edit(query, _invite_view(t, services, role, invite_))


def _invite_view(t: Translator, services: Services, role: str, invite_: InviteLink) -> View:
    where = t("admin.invite.for_point", point=esc(invite_.point_name)) if invite_.point_name else ""
    text = t(
        "admin.invite.link",
        role=t(ROLE_KEYS[Role(role)]),
        where=where,
        link=invite_.link,
        when=_when(t, services, invite_.expires_at),
    )
    return text, buttons([_back(t, "adm_staff")])


# ---- categories ----------------------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_cats"))
async def categories(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await _browse(state)
    rows = await office(services).categories.all(actor.uid)
    lines = [t("admin.categories.title")]
    for c in rows:
        lines.append(
            t(
                "admin.categories.line",
                name=esc(c.name(t.locale)),
                tier=t(TIER_KEYS[Tier(c.tier)]),
                deadline=_deadline(t, services, c.tier),
            )
            + ("" if c.active else " " + t("admin.categories.retired_mark"))
        )
    names = [
        [Button((("🗄 " if not c.active else "") + c.name(t.locale))[:60], "adm_cat_open", c.id)]
        for c in rows
    ]
    await _edit(
        query,
        (
            "\n".join(lines),
            buttons(
                *names,
                [Button(t("admin.btn.add_category"), "adm_cat_add")]
                if actor.region is None
                else [],
                [_back(t, "adm_home")],
            ),
        ),
    )


def _deadline(t: Translator, services: Services, tier: str) -> str:
    unit, n = services.ctx.config.deadlines.resolve.get(tier, ("workdays", 0))
    if unit == "minutes":  # a trial's deadlines
        return t("admin.deadline_minutes", n=n)
    return t("admin.deadline_hours", n=n) if unit == "hours" else t("admin.deadline_workdays", n=n)


def _category_view(actor: Actor, t: Translator, services: Services, c: CategoryLine) -> View:
    """One category; an administrator of a region sees it but cannot change it."""
    lines = [
        t("admin.category.title", zh=esc(c.name_zh), en=esc(c.name_en), code=esc(c.code)),
        t(
            "admin.category.tier",
            tier=t(TIER_KEYS[Tier(c.tier)]),
            deadline=_deadline(t, services, c.tier),
        ),
        t("admin.category.offered") if c.active else t("admin.category.retired"),
        t("admin.category.cases", count=c.cases),
    ]
    if actor.region is not None:
        return "\n".join(lines), buttons([_back(t, "adm_cats")])
    switch = (
        Button(t("admin.btn.retire"), "adm_cat_retire", c.id)
        if c.active
        else Button(t("admin.btn.restore"), "adm_cat_restore", c.id)
    )
    return "\n".join(lines), buttons(
        [
            Button(t("admin.btn.rename"), "adm_cat_rename", c.id),
            Button(t("admin.btn.tier"), "adm_cat_tier", c.id),
        ],
        [switch],
        [_back(t, "adm_cats")],
    )


@router.callback_query(Act.filter(F.do == "adm_cat_open"))
async def category_open(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await _browse(state)
    c = await office(services).categories.get(actor.uid, callback_data.ref)
    await _edit(query, _category_view(actor, t, services, c))


@router.callback_query(Act.filter(F.do.in_({"adm_cat_retire", "adm_cat_restore"})))
async def category_switch(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    cats = office(services).categories
    if callback_data.do == "adm_cat_retire":
        c = await cats.retire(actor.uid, callback_data.ref)
    else:
        c = await cats.restore(actor.uid, callback_data.ref)
    await _edit(query, _category_view(actor, t, services, c), t("admin.saved"))


def _tier_view(t: Translator, services: Services, action: str, back: Button, head: str) -> View:
    rows = [
        [Button(f"{t(TIER_KEYS[tier])} · {_deadline(t, services, tier)}", action, i)]
        for i, tier in enumerate(TIERS)
    ]
    return head, buttons(*rows, [back])


@router.callback_query(Act.filter(F.do == "adm_cat_tier"))
async def category_tier(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    c = await office(services).categories.get(actor.uid, callback_data.ref)
    await state.update_data(cat=c.id)
    head = t("admin.category.ask_tier", name=esc(c.name(t.locale)))
    back = _back(t, "adm_cat_open", c.id)
    await _edit(query, _tier_view(t, services, "adm_cat_tier_set", back, head))


@router.callback_query(Act.filter(F.do == "adm_cat_tier_set"))
async def category_tier_set(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    category_id = int(await _data(state, "cat"))
    tier = TIERS[callback_data.ref % len(TIERS)]
    c = await office(services).categories.set_tier(actor.uid, category_id, tier)
    await _edit(query, _category_view(actor, t, services, c), t("admin.saved"))


@router.callback_query(Act.filter(F.do == "adm_cat_rename"))
async def category_rename(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    c = await office(services).categories.get(actor.uid, callback_data.ref)
    view = (
        t("admin.category.ask_zh", now=esc(c.name_zh)),
        buttons([_back(t, "adm_cat_open", c.id)]),
    )
    await _ask(query, state, AdminFlow.category_name_zh, view, cat=c.id, cat_new=None)


@router.callback_query(Act.filter(F.do == "adm_cat_add"))
async def category_add(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await office(services).categories.may_change(actor.uid)
    view = (t("admin.category.ask_code"), buttons([_back(t, "adm_cats")]))
    await _ask(query, state, AdminFlow.category_code, view, cat=None, cat_new={})


@router.message(AdminFlow.category_code, *TYPED)
async def category_code(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    code = await office(services).categories.check_code(actor.uid, message.text or "")
    await state.set_state(AdminFlow.category_name_zh)
    await state.update_data(cat_new={"code": code})
    view = (t("admin.category.ask_zh_new"), buttons([_back(t, "adm_cats")]))
    await _send(message, state, view)


@router.message(AdminFlow.category_name_zh, *TYPED)
async def category_name_zh(
    message: Message, t: Translator, services: Services, state: FSMContext
) -> None:
    name = clean_name(message.text or "")
    data = await state.get_data()
    await state.set_state(AdminFlow.category_name_en)
    await state.update_data(zh=name)
    back = _back(t, "adm_cat_open", int(data["cat"])) if data.get("cat") else _back(t, "adm_cats")
    await _send(message, state, (t("admin.category.ask_en"), buttons([back])))


@router.message(AdminFlow.category_name_en, *TYPED)
async def category_name_en(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    cats = office(services).categories
    if data.get("cat"):
        c = await cats.rename(actor.uid, int(data["cat"]), str(data["zh"]), message.text or "")
        await state.set_state(None)
        await _send(message, state, _category_view(actor, t, services, c))
        return
    new = dict(data.get("cat_new") or {})
    new.update(zh=str(data["zh"]), en=clean_name(message.text or ""))
    await state.set_state(None)
    await state.update_data(cat_new=new)
    head = t("admin.category.ask_tier", name=esc(new["zh"] if t.locale == "zh_Hans" else new["en"]))
    await _send(
        message, state, _tier_view(t, services, "adm_cat_new_tier", _back(t, "adm_cats"), head)
    )


@router.callback_query(Act.filter(F.do == "adm_cat_new_tier"))
async def category_created(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    new = dict(await _data(state, "cat_new"))
    if not {"code", "zh", "en"} <= set(new):
        raise Invalid("button.stale")
    tier = TIERS[callback_data.ref % len(TIERS)]
    c = await office(services).categories.add(actor.uid, new["code"], new["zh"], new["en"], tier)
    await state.update_data(cat_new=None)
    await _edit(query, _category_view(actor, t, services, c), t("admin.saved"))


# ---- delivery problems ---------------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_dead"))
async def undelivered(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await _browse(state)
    await _edit(query, await _dead(actor, t, services, callback_data.ref))


async def _dead(actor: Actor, t: Translator, services: Services, page: int) -> View:
    result = await office(services).delivery.dead(actor.uid, page)
    lines = [t("admin.delivery.title", count=result.total)]
    if not result.rows:
        lines.append(t("admin.delivery.none"))
    elif result.pages > 1:
        lines.append(t("admin.page", page=result.page + 1, pages=result.pages))
    rows: list[list[Button]] = []
    for row in result.rows:
        who = esc(row.recipient) if row.recipient else t("admin.delivery.unnamed")
        lines.append(
            t(
                "admin.delivery.line",
                id=row.id,
                when=_when(t, services, row.at),
                who=who,
                case=row.case_no or "—",
                reason=esc(cut(row.reason, 120) or "—"),
            )
        )
        rows.append(
            [
                Button(t("admin.btn.retry", id=row.id), "adm_dead_retry", row.id),
                Button(t("admin.btn.dismiss", id=row.id), "adm_dead_dismiss", row.id),
            ]
        )
    blocked = await office(services).delivery.blocked(actor.uid, 0, size=1)
    return "\n".join(lines), buttons(
        *rows,
        pager(t, "adm_dead", result.page, result.pages),
        [Button(t("admin.btn.blocked", count=blocked.total), "adm_blocked")],
        [_back(t, "adm_home")],
    )


@router.callback_query(Act.filter(F.do.in_({"adm_dead_retry", "adm_dead_dismiss"})))
async def settle(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    delivery = office(services).delivery
    if callback_data.do == "adm_dead_retry":
        await delivery.retry(actor.uid, callback_data.ref)
        toast = t("admin.delivery.retried", id=callback_data.ref)
    else:
        await delivery.dismiss(actor.uid, callback_data.ref)
        toast = t("admin.delivery.dismissed", id=callback_data.ref)
    await _edit(query, await _dead(actor, t, services, 0), toast)


@router.callback_query(Act.filter(F.do == "adm_blocked"))
async def blocked(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    result = await office(services).delivery.blocked(actor.uid, callback_data.ref)
    lines = [t("admin.blocked.title", count=result.total)]
    if not result.rows:
        lines.append(t("admin.blocked.none"))
    for row in result.rows:
        lines.append(
            t(
                "admin.blocked.line",
                name=esc(row.name),
                point=esc(row.point or "—"),
                since=services.texts.date(t.locale, row.since, DEFAULT_TZ),
            )
        )
    await _edit(
        query,
        (
            "\n".join(lines),
            buttons(
                pager(t, "adm_blocked", result.page, result.pages),
                [_back(t, "adm_dead")],
            ),
        ),
    )


# ---- anything else while a step waits ------------------------------------------------------


@router.message(StateFilter(AdminFlow.new_location, AdminFlow.edit_location), NotMenuButton())
async def location_needed(message: Message, t: Translator) -> None:
    await message.answer(t("admin.location_needed"))


@router.message(StateFilter(*INPUT_STATES), ~F.text.startswith("/"), NotMenuButton())
async def text_needed(message: Message, t: Translator) -> None:
    await message.answer(t("flow.text_needed"))
