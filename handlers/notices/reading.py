"""Residents list and read notices; a contact point's group is linked (/link, /unlink)."""

from __future__ import annotations

import contextlib

from aiogram import F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import (
    IS_NOT_MEMBER,
    ChatMemberUpdatedFilter,
    Command,
    CommandObject,
)
from aiogram.types import CallbackQuery, ChatMemberUpdated, InlineKeyboardMarkup, Message

from bot.callbacks import Act
from bot.filters import MenuButton
from bot.keyboards import buttons, inline
from bot.replies import shown
from handlers.notices.routes import STATUS, groups, readers
from handlers.notices.sending import show_notice
from models.enums import Role
from services.app import Services
from services.errors import NotAllowed
from services.notices import (
    NoticeLine,
)
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc

# ---- reading ---------------------------------------------------------------------------


@readers.message(Command("notices"))
@readers.message(MenuButton("menu.notices"))
async def list_notices(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    if actor.is_staff and actor.role != Role.INSPECTOR:
        lines = await services.notices.of_author(actor.uid)
        action, title, none = "notice_open", "notices.list_staff", "notices.none_staff"
    else:
        lines = await services.notices.for_resident(actor.uid)
        action, title, none = "notice_show", "notices.list_resident", "notices.none_resident"
    if not lines:
        await message.answer(t(none))
        return
    staff = action == "notice_open"
    text = "\n".join([t(title), *(_line(t, services, n, staff=staff) for n in lines)])
    rows = [[Button(f"#{n.id} " + n.title, action, n.id)] for n in lines]
    await message.answer(text, reply_markup=buttons(*rows))


def _line(t: Translator, services: Services, line: NoticeLine, *, staff: bool) -> str:
    date = services.texts.date(t.locale, line.when, line.tz)
    if staff:
        return f"#{line.id} · {date} · {t(STATUS[line.status])} · {esc(line.title)}"
    mark = "✔️" if line.read else "🆕"
    return f"{mark} #{line.id} · {date} · {esc(line.title)}"


@readers.callback_query(Act.filter(F.do == "notice_show"))
async def show(query: CallbackQuery, callback_data: Act, actor: Actor, services: Services) -> None:
    notice = await services.notices.open_for_resident(actor.uid, callback_data.ref)
    await query.answer()
    await show_notice(shown(query), notice.text, notice.media, inline(notice.buttons))


@readers.callback_query(Act.filter(F.do == "notice_read"))
async def read(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    first = await services.notices.mark_read(actor.uid, callback_data.ref)
    await query.answer(t("notices.read_thanks" if first else "notices.read_already"))
    if isinstance(query.message, Message):
        done = services.notices.read_button(t.locale, callback_data.ref, read=True)
        with contextlib.suppress(TelegramBadRequest):  # already shows it
            await query.message.edit_reply_markup(reply_markup=inline([[done]]))


# ---- groups ----------------------------------------------------------------------------


def _join(t: Translator, name: str, link: str) -> InlineKeyboardMarkup | None:
    return inline([[Button(t("notices.btn_register", point=name), url=link)]])


@groups.message(Command("link"))
async def link(
    message: Message,
    command: CommandObject,
    t: Translator,
    services: Services,
    actor: Actor | None = None,
) -> None:
    if actor is None or not actor.registered:
        raise NotAllowed("notices.link_staff_only")
    code = (command.args or "").strip()
    if not code:
        await message.answer(t("notices.link_usage"))
        return
    # A notice posted by a plain member can be lost to the group's restrictions; Telegram
    # guarantees an administrator can post, so that is what linking asks for.
    assert message.bot is not None
    me = await message.bot.get_chat_member(message.chat.id, message.bot.id)
    if me.status not in {"administrator", "creator"}:
        await message.answer(t("notices.link_needs_admin"))
        return
    linked = await services.notices.link_group(actor.uid, code, message.chat.id)
    await message.answer(
        t("notices.linked", point=esc(linked.point_name)),
        reply_markup=_join(t, linked.point_name, linked.link),
    )


@groups.message(Command("unlink"))
async def unlink(
    message: Message, t: Translator, services: Services, actor: Actor | None = None
) -> None:
    if actor is None or not actor.registered:
        raise NotAllowed("notices.link_staff_only")
    name = await services.notices.unlink_group(actor.uid, message.chat.id)
    await message.answer(t("notices.unlinked", point=esc(name)))


@groups.message(F.migrate_to_chat_id)
async def moved(message: Message, services: Services) -> None:
    assert message.migrate_to_chat_id is not None
    await services.notices.group_moved(message.chat.id, message.migrate_to_chat_id)


@groups.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=IS_NOT_MEMBER))
async def removed(event: ChatMemberUpdated, services: Services) -> None:
    await services.notices.group_gone(event.chat.id)
