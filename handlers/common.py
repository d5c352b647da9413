"""Commands every registered person has: /cancel, /language, /help, /point."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Act
from bot.filters import HasRole, MenuButton, Registered
from bot.keyboards import buttons, main_menu, share_location
from bot.replies import shown
from bot.states import Registration
from locales import LOCALES
from models.enums import Role
from services.app import Services
from services.outbox import Button
from services.people import Actor
from services.points import PointView
from services.texts import Translator, esc

router = Router(name="common")
router.message.filter(F.chat.type == "private")

LANGUAGE_NAMES = {"zh_Hans": "中文", "en": "English"}
# Steps whose messages were delivered as they came: leaving them cancels nothing.
CHATTING = ("CaseChat:", "Verdict:")


def language_row(current: str, action: str) -> list[Button]:
    """Buttons to switch language, each named in its own language (never translated)."""
    return [
        Button(("✓ " if loc == current else "") + LANGUAGE_NAMES[loc], action, i)
        for i, loc in enumerate(LOCALES)
    ]


async def show_menu(message: Message, t: Translator, role: Role | None, text: str) -> None:
    await message.answer(text, reply_markup=main_menu(t, role))


async def ask_point(
    message: Message, t: Translator, state: FSMContext, *, changing: bool = False
) -> None:
    await state.set_state(Registration.point)
    await state.update_data(changing=changing)
    await message.answer(t("reg.ask_point"), reply_markup=share_location(t))


async def point_menu_text(t: Translator, services: Services, point: PointView) -> str:
    cadres = await services.points.cadre_names(point.id)
    text = t("point.card", point=esc(point.name), address=esc(point.address or "—"))
    if not point.active:
        return text + "\n" + t("point.closed")
    if cadres:
        text += "\n" + t(
            "point.cadres",
            names=esc("、".join(cadres) if t.locale == "zh_Hans" else ", ".join(cadres)),
        )
    return text


@router.message(Command("cancel"))
async def cancel(
    message: Message, t: Translator, state: FSMContext, actor: Actor | None = None
) -> None:
    step = await state.get_state()
    await state.clear()
    role = actor.role if actor else None
    if step is None:
        text = t("flow.nothing_to_cancel")
    elif step.startswith(CHATTING):
        text = t("chat.done")  # what was sent is with the case already
    else:
        text = t("flow.cancelled")
    await show_menu(message, t, role, text)


@router.callback_query(Act.filter(F.do == "flow_cancel"))
async def cancel_button(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.clear()
    await query.answer(t("flow.cancelled"))
    if isinstance(query.message, Message):
        await query.message.edit_text(t("flow.cancelled"))


@router.message(Command("language"), Registered())
@router.message(MenuButton("menu.language"), Registered())
async def language(message: Message, actor: Actor, t: Translator) -> None:
    await message.answer(
        t("language.choose"), reply_markup=buttons(language_row(actor.locale, "lang_set"))
    )


@router.callback_query(Act.filter(F.do == "lang_set"), Registered())
async def language_chosen(
    query: CallbackQuery, callback_data: Act, actor: Actor, services: Services
) -> None:
    locale = LOCALES[callback_data.ref % len(LOCALES)]
    await services.people.set_locale(actor.uid, locale)
    t = Translator(services.texts, locale)
    await query.answer()
    message = shown(query)
    await message.edit_text(t("language.set"))
    await show_menu(message, t, actor.role, t("menu.here"))


@router.message(Command("help"))
@router.message(MenuButton("menu.help"))
async def help_(
    message: Message, t: Translator, services: Services, actor: Actor | None = None
) -> None:
    role = actor.role if actor and actor.registered else None
    key = f"help.{role.value}" if role else "help.guest"
    if key == "help.resident" and not services.tipoffs.sealer.available:
        key = "help.resident_named_only"  # no word of anonymous reports when they are off
    await message.answer(t(key))


@router.message(Command("point"), Registered())
@router.message(MenuButton("menu.my_point"), Registered())
async def my_point(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    if actor.is_staff:
        names = [p.name for p in await services.points.served_by(actor.uid)]
        await message.answer(
            t(
                "point.staff",
                points=esc("、".join(names) if t.locale == "zh_Hans" else ", ".join(names)) or "—",
            )
        )
        return
    if actor.point_id is None:
        text = t("point.none")
    else:
        text = await point_menu_text(t, services, await services.points.get(actor.point_id))
    await message.answer(
        text, reply_markup=buttons([Button(t("btn.change_point"), "point_change")])
    )


@router.callback_query(Act.filter(F.do == "point_change"), HasRole(Role.RESIDENT))
async def change_point(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await query.answer()
    message = shown(query)
    await ask_point(message, t, state, changing=True)
