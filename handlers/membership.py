"""Telegram tells us when someone blocks or unblocks the bot."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from services.app import Services

router = Router(name="membership")
router.my_chat_member.filter(F.chat.type == "private")


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=KICKED))
async def blocked(event: ChatMemberUpdated, services: Services) -> None:
    await services.people.set_reachable(event.from_user.id, reachable=False)


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=MEMBER))
async def unblocked(event: ChatMemberUpdated, services: Services) -> None:
    await services.people.set_reachable(event.from_user.id, reachable=True)
