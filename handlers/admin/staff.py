"""Staff in the menu: the list, a person's card, assigning points, suspending, removing and
reinstating, invitations.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.admin_states import AdminFlow
from bot.callbacks import Act
from bot.keyboards import buttons
from handlers.admin.common import (
    ROLE_KEYS,
    ROLES,
    STATUS_KEYS,
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
    when_text,
)
from handlers.admin.points import point_rows, search_lines
from handlers.flow import pager
from models.enums import Role
from services.admin_staff import ACTIVE, REMOVED, Rerouted, StaffLine
from services.app import Services
from services.outbox import Button
from services.people import Actor
from services.staff import InviteLink
from services.texts import Translator, esc

router = Router(name="admin:staff")


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
    await browse(state)
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
    await show(
        query,
        (
            "\n".join(lines),
            buttons(
                *rows,
                pager(t, "adm_staff", result.page, result.pages),
                [Button(t("admin.btn.invite"), "adm_invite")],
                [back_button(t, "adm_home")],
            ),
        ),
    )


def _staff_line(t: Translator, s: StaffLine) -> str:
    points = joined(t, [("★" if p.primary else "") + esc(p.name) for p in s.points]) or "—"
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
        t("admin.staff.points", points=joined(t, points)) if points else t("admin.staff.no_points"),
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
    rows.append([back_button(t, "adm_staff")])
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
    await browse(state)
    line = await office(services).staff.get(actor.uid, callback_data.ref)
    await show(query, _staff_view(t, line, actor.uid))


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
    await ask_typed(
        query, state, AdminFlow.pick_search, await _picker(actor, t, services, state, 0)
    )


@router.callback_query(Act.filter(F.do == "adm_pick_page"))
async def pick_page(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await show(query, await _picker(actor, t, services, state, callback_data.ref))


@router.message(AdminFlow.pick_search, *TYPED)
async def pick_search(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.update_data(pq=(message.text or "").strip()[:60])
    await send_fresh(message, state, await _picker(actor, t, services, state, 0))


async def _picker(
    actor: Actor, t: Translator, services: Services, state: FSMContext, page: int
) -> View:
    """Contact points to pick from (to assign someone, or to invite a cadre); typing narrows."""
    data = await state.get_data()
    purpose = data.get("pick")
    q = str(data.get("pq") or "")
    result = await office(services).points.page(actor.uid, page, q, active_only=True)
    if purpose == "assign":
        line = await office(services).staff.get(actor.uid, int(await kept(state, "staff")))
        head = t("admin.pick.assign", name=esc(line.name))
        back = back_button(t, "adm_staff_open", line.id)
    else:
        head = t("admin.pick.invite")
        back = back_button(t, "adm_invite")
    lines = [head, t("admin.pick.hint")]
    lines += search_lines(t, result, q)
    return "\n".join(lines), buttons(
        *point_rows(result, "adm_pick"),
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
    purpose = await kept(state, "pick")
    await browse(state)
    if purpose == "invite":
        role = str(data.get("role") or Role.CADRE)
        invite_ = await office(services).staff.invite(actor.uid, role, point_id=callback_data.ref)
        await show(query, _invite_view(t, services, role, invite_))
        return
    staff_id = int(await kept(state, "staff"))
    line = await office(services).staff.assign(actor.uid, staff_id, callback_data.ref)
    await show(query, _staff_view(t, line, actor.uid), t("admin.saved"))


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
    view = t(key, name=esc(line.name)), buttons(*rows, [back_button(t, "adm_staff_open", line.id)])
    await show(query, view)


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
    staff_id = int(await kept(state, "staff"))
    if callback_data.do == "adm_unassign":
        line = await staff.unassign(actor.uid, staff_id, callback_data.ref)
    else:
        line = await staff.make_primary(actor.uid, staff_id, callback_data.ref)
    await show(query, _staff_view(t, line, actor.uid), t("admin.saved"))


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
    await show(
        query,
        (
            t(key, name=esc(line.name), n=line.open_cases),
            buttons([yes], [back_button(t, "adm_staff_open", line.id)]),
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
    await show(query, (text, markup), t("admin.saved"))


@router.callback_query(Act.filter(F.do == "adm_staff_reinstate"))
async def staff_reinstate(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    line = await office(services).staff.reinstate(actor.uid, callback_data.ref)
    await show(query, _staff_view(t, line, actor.uid), t("admin.saved"))


# ---- staff: invitations --------------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_invite"))
async def invite(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await browse(state)
    await office(services).scope(actor.uid)  # administrators only
    roles = [Button(t(ROLE_KEYS[r]), "adm_inv_role", i) for i, r in enumerate(ROLES)]
    await show(query, (t("admin.invite.which_role"), buttons(roles, [back_button(t, "adm_staff")])))


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
        await ask_typed(query, state, AdminFlow.pick_search, view)
        return
    mine = actor.region
    label = t("admin.invite.whole_scope", region=mine) if mine else t("admin.scope_all")
    view = (
        t("admin.invite.ask_region", role=t(ROLE_KEYS[role])),
        buttons([Button(label[:60], "adm_inv_scope")], [back_button(t, "adm_invite")]),
    )
    await ask_typed(query, state, AdminFlow.invite_region, view)


@router.message(AdminFlow.invite_region, *TYPED)
async def invite_region_typed(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    role = str(await kept(state, "role"))
    region = (message.text or "").strip()
    invite_ = await office(services).staff.invite(actor.uid, role, region=region)
    await state.set_state(None)
    await send_fresh(message, state, _invite_view(t, services, role, invite_))


@router.callback_query(AdminFlow.invite_region, Act.filter(F.do == "adm_inv_scope"))
async def invite_whole_scope(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    role = str(await kept(state, "role"))
    invite_ = await office(services).staff.invite(actor.uid, role)
    await browse(state)
    await show(query, _invite_view(t, services, role, invite_))


def _invite_view(t: Translator, services: Services, role: str, invite_: InviteLink) -> View:
    where = t("admin.invite.for_point", point=esc(invite_.point_name)) if invite_.point_name else ""
    text = t(
        "admin.invite.link",
        role=t(ROLE_KEYS[Role(role)]),
        where=where,
        link=invite_.link,
        when=when_text(t, services, invite_.expires_at),
    )
    return text, buttons([back_button(t, "adm_staff")])
