"""Answering in the current chat: refusals, and the main menu."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

from services.errors import Invalid, Label, Refusal
from services.texts import Translator


def refusal_text(t: Translator, refusal: Refusal) -> str:
    params = {k: t(v) if isinstance(v, Label) else v for k, v in refusal.params.items()}
    return t(refusal.key, **params)


async def tell(event: Message | CallbackQuery, text: str) -> None:
    """Answer a message with a message, a button press with a notice (an alert if long).

    A press already answered (the handler had acknowledged it before failing) gets the text
    as a message instead, so the person always learns what happened.
    """
    if isinstance(event, Message):
        await event.answer(text)
        return
    if len(text) <= 200:
        try:
            if await event.answer(text, show_alert=len(text) > 60):
                return
        except TelegramBadRequest:
            pass
    else:
        with contextlib.suppress(TelegramBadRequest):
            await event.answer()
    if event.bot is not None:
        await event.bot.send_message(event.from_user.id, text)


def shown(query: CallbackQuery) -> Message:
    """The message a pressed button sits on; one too old to touch makes the button stale."""
    if not isinstance(query.message, Message):
        raise Invalid("button.stale")
    return query.message
