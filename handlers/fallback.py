"""Last in line: whatever no other handler took still gets a clear answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.parts import part_of
from services.app import Services
from services.people import Actor
from services.texts import Translator

router = Router(name="fallback")


@router.callback_query()
async def stale_button(query: CallbackQuery, t: Translator) -> None:
    """An old button, another person's, or forged data: say so, never fail silently."""
    await query.answer(t("button.stale"), show_alert=True)


@router.message(F.chat.type == "private", F.text.startswith("/"))
async def unknown_command(message: Message, t: Translator, actor: Actor | None = None) -> None:
    if actor is None or not actor.registered:
        await message.answer(t("guest.start_first"))  # every command needs /start first
        return
    await message.answer(t("command.unknown"))


@router.message(F.chat.type == "private")
async def anything_else(
    message: Message, t: Translator, services: Services, actor: Actor | None = None
) -> None:
    if actor is None or not actor.registered:
        await message.answer(t("guest.start_first"))
        return
    # Unsupported content gets its own explanation; anything else a hint at the menu.
    part_of(message, services.ctx.config.max_text)
    await message.answer(t("input.not_now"))
