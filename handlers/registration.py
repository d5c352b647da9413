"""/start: the privacy notice, the contact point, an optional phone — and invites for staff."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import Act
from bot.keyboards import buttons, main_menu, share_phone
from bot.replies import refusal_text, shown
from bot.states import Registration, StaffFlow
from handlers.common import ask_point, language_row, point_menu_text, show_menu
from handlers.flow import close_question
from locales import LOCALES
from models.enums import Role
from services.app import Services
from services.errors import Refusal
from services.outbox import Button
from services.people import Actor
from services.points import PointView
from services.staff import INVITE_PREFIX
from services.texts import Translator, esc

router = Router(name="registration")
router.message.filter(F.chat.type == "private")

POINT_PREFIX = "cp_"


@router.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    payload = (command.args or "").strip()
    await state.clear()
    if not actor.registered:
        await state.set_state(Registration.privacy)
        await state.update_data(payload=payload, locale=actor.locale)
        await message.answer(
            t("reg.welcome") + "\n\n" + t("reg.privacy"),
            reply_markup=privacy_buttons(t, actor.locale),
        )
        return
    await continue_with(message, payload, actor, t, services, state)


def privacy_buttons(t: Translator, locale: str) -> InlineKeyboardMarkup | None:
    return buttons(
        [Button(t("reg.accept"), "reg_accept"), Button(t("reg.decline"), "reg_decline")],
        language_row(locale, "reg_lang"),
    )


@router.callback_query(Registration.privacy, Act.filter(F.do == "reg_lang"))
async def privacy_language(
    query: CallbackQuery, callback_data: Act, services: Services, state: FSMContext
) -> None:
    locale = LOCALES[callback_data.ref % len(LOCALES)]
    await state.update_data(locale=locale)
    t = Translator(services.texts, locale)
    await query.answer()
    await shown(query).edit_text(
        t("reg.welcome") + "\n\n" + t("reg.privacy"),
        reply_markup=privacy_buttons(t, locale),
    )


@router.callback_query(Registration.privacy, Act.filter(F.do == "reg_decline"))
async def privacy_declined(query: CallbackQuery, services: Services, state: FSMContext) -> None:
    data = await state.get_data()
    t = Translator(services.texts, data.get("locale", services.ctx.config.default_locale))
    await state.clear()
    await query.answer()
    await shown(query).edit_text(t("reg.declined"))


@router.callback_query(Registration.privacy, Act.filter(F.do == "reg_accept"))
async def privacy_accepted(
    query: CallbackQuery, actor: Actor, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    locale = data.get("locale", actor.locale)
    actor = await services.people.register(actor.tg_id, actor.chat_id, actor.name, locale)
    t = Translator(services.texts, actor.locale)
    await query.answer(t("reg.thanks"))
    message = shown(query)
    await message.edit_reply_markup(reply_markup=None)
    await state.clear()
    await continue_with(message, data.get("payload", ""), actor, t, services, state)


async def continue_with(
    message: Message,
    payload: str,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    """After the privacy notice: redeem an invite, take the poster's point, or ask for one."""
    if payload.startswith(INVITE_PREFIX):
        try:
            joined = await services.staff.redeem(actor.uid, payload[len(INVITE_PREFIX) :])
        except Refusal as refused:
            # A used, expired or unknown link: say so here (the press was answered already)
            # and go on as a resident's registration, so nobody is left without a next step.
            note = "" if actor.is_staff else "\n\n" + t("invite.as_resident")
            await message.answer(refusal_text(t, refused) + note)
            payload = ""
        else:
            if joined.role == Role.INSPECTOR:
                await services.tipoffs.route_waiting()  # reports that waited for an inspector
            key = f"staff.joined.{joined.role}"
            text = t(key, point=esc(joined.point_name or ""))
            if joined.primary:
                text += "\n" + t("staff.joined.primary")
            await state.set_state(StaffFlow.title)
            question = await message.answer(
                text + "\n\n" + t("staff.ask_title"),
                reply_markup=buttons([Button(t("btn.skip"), "staff_skip_title")]),
            )
            await state.update_data(question_id=question.message_id)
            return
    if actor.is_staff:
        await show_menu(message, t, actor.role, t("menu.welcome_staff", name=actor.name))
        return
    if payload.startswith(POINT_PREFIX):
        try:
            point = await services.points.by_code(payload[len(POINT_PREFIX) :])
        except Refusal:
            point = None
        if point is not None and point.active:
            await services.points.choose(actor.uid, point.id)
            await message.answer(t("reg.point_set", point=esc(point.name)))
            if actor.point_id is None:
                await ask_phone(message, t, state)
            else:
                await show_menu(
                    message, t, Role.RESIDENT, await point_menu_text(t, services, point)
                )
            return
        await message.answer(t("reg.point_link_unknown"))
    if actor.point_id is None:
        await ask_point(message, t, state)
        return
    await show_menu(message, t, actor.role, t("menu.welcome_back", name=actor.name))


async def ask_phone(message: Message, t: Translator, state: FSMContext) -> None:
    await state.set_state(Registration.phone)
    await message.answer(t("reg.ask_phone"), reply_markup=share_phone(t))


def point_choices(
    t: Translator, points: list[tuple[PointView, float | None]]
) -> InlineKeyboardMarkup | None:
    rows = []
    for point, distance in points:
        label = (
            point.name
            if distance is None
            else t("btn.point_distance", point=point.name, km=f"{distance / 1000:.1f}")
        )
        rows.append([Button(label[:60], "reg_point", point.id)])
    return buttons(*rows)


@router.message(Registration.point, F.location)
async def point_by_location(message: Message, t: Translator, services: Services) -> None:
    loc = message.location
    assert loc is not None
    found = await services.points.nearest(loc.latitude, loc.longitude)
    if not found:
        await message.answer(t("reg.no_points_near"))
        return
    await message.answer(
        t("reg.pick_point"), reply_markup=point_choices(t, [(p, d) for p, d in found])
    )


@router.message(Registration.point, F.text & ~F.text.startswith("/"))
async def point_by_name(message: Message, t: Translator, services: Services) -> None:
    found = await services.points.search(message.text or "")
    if not found:
        await message.answer(t("reg.no_points_found", query=esc((message.text or "")[:60])))
        return
    await message.answer(
        t("reg.pick_point"), reply_markup=point_choices(t, [(p, None) for p in found])
    )


@router.message(Registration.point)
async def point_other(message: Message, t: Translator) -> None:
    await message.answer(t("reg.ask_point"))


@router.callback_query(Registration.point, Act.filter(F.do == "reg_point"))
async def point_chosen(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    point = await services.points.choose(actor.uid, callback_data.ref)
    data = await state.get_data()
    await query.answer()
    message = shown(query)
    await message.edit_text(t("reg.point_set", point=esc(point.name)))
    if data.get("changing") or actor.phone:
        await state.clear()
        await show_menu(message, t, actor.role, await point_menu_text(t, services, point))
    else:
        await ask_phone(message, t, state)


@router.message(Registration.phone, F.contact)
async def phone_shared(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    contact = message.contact
    assert contact is not None
    if contact.user_id != actor.tg_id:
        await message.answer(t("reg.phone_not_yours"))
        return
    await services.people.set_phone(actor.uid, contact.phone_number)
    await finish(message, actor, t, services, state, t("reg.phone_saved"))


@router.message(Registration.phone, F.text)
async def phone_skipped(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    if not services.texts.matches("reg.skip_phone", message.text):
        await message.answer(t("reg.ask_phone"), reply_markup=share_phone(t))
        return
    await finish(message, actor, t, services, state, t("reg.phone_skipped"))


@router.message(Registration.phone)
async def phone_other(message: Message, t: Translator) -> None:
    await message.answer(t("reg.ask_phone"), reply_markup=share_phone(t))


async def finish(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext, note: str
) -> None:
    await state.clear()
    actor = await services.people.actor(actor.tg_id, actor.chat_id, actor.name, None)
    point = await services.points.get(actor.point_id) if actor.point_id else None
    text = note + "\n\n" + (await point_menu_text(t, services, point) if point else "")
    await message.answer(
        text.strip() + "\n\n" + t("reg.done"), reply_markup=main_menu(t, actor.role)
    )


@router.message(StaffFlow.title, F.text & ~F.text.startswith("/"))
async def staff_title(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await services.staff.set_title(actor.uid, message.text or "")
    await close_question(message, (await state.get_data()).get("question_id"))  # Skip goes
    await state.clear()
    actor = await services.people.actor(actor.tg_id, actor.chat_id, actor.name, None)
    await show_menu(message, t, actor.role, t("staff.title_saved", title=esc(message.text or "")))


@router.callback_query(StaffFlow.title, Act.filter(F.do == "staff_skip_title"))
async def staff_title_skipped(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.clear()
    actor = await services.people.actor(actor.tg_id, actor.chat_id, actor.name, None)
    await query.answer()
    message = shown(query)
    await message.edit_reply_markup(reply_markup=None)
    await show_menu(message, t, actor.role, t("staff.title_skipped"))
