"""What the step-by-step flows share: the Cancel button, a list's pages, entering a step from a
card's button, relaying the messages of a conversation, and leaving it with Done."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message

from bot.delivery_answer import reply_under
from bot.keyboards import buttons, main_menu
from bot.parts import part_of
from bot.replies import shown
from services.app import Services
from services.outbox import Button
from services.parts import Part
from services.people import Actor
from services.texts import Translator, cut


def cancel_button(t: Translator) -> Button:
    """Leaves whatever flow is in progress (answered in handlers/common.py)."""
    return Button(t("btn.cancel"), "flow_cancel")


def done_button(t: Translator) -> Button:
    """Ends a conversation about a case or a tip-off (see :func:`end_chat`)."""
    return Button(t("btn.done"), "chat_done")


def pager(t: Translator, action: str, page: int, pages: int) -> list[Button]:
    """The way to the previous and the next page of a list; ``action`` gets the page number."""
    row = []
    if page > 0:
        row.append(Button(t("btn.prev"), action, page - 1))
    if page + 1 < pages:
        row.append(Button(t("btn.next"), action, page + 1))
    return row


def region_picker(regions: Any, picked: Any, action: str) -> list[list[Button]]:
    """Regions to tick (✅ picked, ▫️ not), each one button; ``ref`` is the region's index."""
    return [
        [Button(("✅ " if i in picked else "▫️ ") + cut(name, 40), action, i)]
        for i, name in enumerate(regions)
    ]


def point_picker(
    t: Translator, points: Any, picked: Any, page_wanted: Any, action: str, page_size: int
) -> list[list[Button]]:
    """A page of contact points to tick (✅ picked, ▫️ not), and the pager under it: one
    keyboard for every audience chooser (notices, consultations). ``action`` names the
    tick; ``action`` + "_page" turns the page."""
    pages = max(1, -(-len(points) // page_size))
    page = min(max(int(page_wanted or 0), 0), pages - 1)
    rows = [
        [Button(("✅ " if p.id in picked else "▫️ ") + cut(f"{p.code} {p.name}", 40), action, p.id)]
        for p in points[page * page_size : (page + 1) * page_size]
    ]
    rows.append(pager(t, f"{action}s_page", page, pages))
    return rows


async def close_question(message: Message, question_id: Any) -> None:
    """A step answered by typing is over: the buttons under its question (Skip, Back, Cancel)
    go, as Telegram users expect, so none stays pressable under a finished step. A message
    already without them (a redelivered update) is left as it is."""
    if not isinstance(question_id, int) or message.bot is None:
        return
    with contextlib.suppress(TelegramBadRequest):
        await message.bot.edit_message_reply_markup(
            chat_id=message.chat.id, message_id=question_id, reply_markup=None
        )


async def start_step(
    query: CallbackQuery,
    state: FSMContext,
    step: State,
    data: dict[str, Any],
    prompt: str,
    button: Button,
) -> None:
    """A card's button begins ``step`` about what ``data`` names; its prompt, with one button
    (Done or Cancel), is posted below the card."""
    await state.set_state(step)
    await state.set_data(data)
    await query.answer()
    await shown(query).answer(prompt, reply_markup=buttons([button]))


async def relay(
    message: Message,
    services: Services,
    state: FSMContext,
    send: Callable[[Part], Awaitable[str]],
) -> None:
    """Pass one message of a conversation on with ``send``, which returns the acknowledgement.
    An album is acknowledged once, at its first item, not photo by photo."""
    part = part_of(message, services.ctx.config.max_text)
    album = (await state.get_data()).get("album")
    acknowledgement = await send(part)
    if part.media_group_id is None or part.media_group_id != album:
        await reply_under(message, acknowledgement)
    if part.media_group_id != album:  # a plain message after a plain one changes no step
        await state.update_data(album=part.media_group_id)


async def end_chat(query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext) -> None:
    """Done: the conversation's step ends, its button goes, and the main menu comes back."""
    await state.clear()
    await query.answer()
    message = shown(query)
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(t("chat.done"), reply_markup=main_menu(t, actor.role))
