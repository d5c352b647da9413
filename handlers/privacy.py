"""What people may ask about their own data: a copy (/mydata) and erasure (/forget); and, for
administrators, the audit trail (/audit)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.callbacks import Act
from bot.filters import HasRole, Registered
from bot.fsm import StepState
from bot.keyboards import buttons, main_menu
from bot.replies import shown
from bot.states import PrivacyFlow
from handlers.flow import cancel_button, pager
from models.enums import Role
from services.app import Services
from services.audit import action_label_key
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc

router = Router(name="privacy")
router.message.filter(F.chat.type == "private")


@router.message(Command("mydata"), Registered())
async def my_data(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    data = await services.privacy.export(actor.uid)
    await message.answer_document(
        BufferedInputFile(data, filename="my-data.json"), caption=t("privacy.export_caption")
    )


@router.message(Command("forget"), HasRole(Role.RESIDENT))
async def forget_ask(message: Message, t: Translator, state: FSMContext) -> None:
    await state.set_state(PrivacyFlow.forget)
    await message.answer(
        t("privacy.forget_confirm"),
        reply_markup=buttons([Button(t("btn.forget_yes"), "forget_yes"), cancel_button(t)]),
    )


@router.message(Command("forget"), Registered())
async def forget_staff(message: Message, t: Translator) -> None:
    await message.answer(t("privacy.staff_cannot_forget"))


@router.callback_query(PrivacyFlow.forget, Act.filter(F.do == "forget_yes"))
async def forget(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    # The step ends first and is written at once, so the erasure then removes every trace of
    # it (in the database; with Redis, clearing deletes aiogram's keys).
    await state.clear()
    if isinstance(state, StepState):
        await state.flush()
    await services.privacy.forget(actor.uid)
    await query.answer()
    message = shown(query)
    await message.edit_text(t("privacy.forgotten"))
    await message.answer(t("privacy.goodbye"), reply_markup=main_menu(t, None))


@router.message(Command("audit"), HasRole(Role.ADMIN))
async def audit_trail(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    await _send_audit(message, actor, t, services, 0, edit=False)


@router.callback_query(Act.filter(F.do == "audit_page"), HasRole(Role.ADMIN))
async def audit_page(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    await query.answer()
    await _send_audit(shown(query), actor, t, services, callback_data.ref, edit=True)


async def _send_audit(
    message: Message, actor: Actor, t: Translator, services: Services, page: int, *, edit: bool
) -> None:
    trail = await services.audit_trail.page(actor.uid, page)
    pages = trail.pages
    lines = [t("audit.title", page=page + 1, pages=pages)]
    for entry in trail.entries:
        lines.append(
            t(
                "audit.line",
                when=services.texts.when(t.locale, entry.at, trail.zone),
                who=esc(entry.actor or t("audit.system")),
                action=t(action_label_key(entry.action)),
                target=esc(entry.target),
            )
        )
    if not trail.entries:
        lines.append(t("audit.empty"))
    pages_row = pager(t, "audit_page", page, pages)
    text = "\n".join(lines)
    if edit:
        await message.edit_text(text, reply_markup=buttons(pages_row))
    else:
        await message.answer(text, reply_markup=buttons(pages_row))
