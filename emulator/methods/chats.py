"""Chats and their members as the bot sees them, chat actions, and files."""

from __future__ import annotations

from typing import Any

from emulator.errors import bad_request
from emulator.files import DOWNLOAD_LIMIT
from emulator.members import bot_status_changed, member
from emulator.methods.registry import method
from emulator.models import PRESENT
from emulator.params import Params
from emulator.world import BotState, World

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


@method("getChat")
def get_chat(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    chat = world.lookup(bot, p.chat_id()).chat
    private = chat.person is not None
    return {
        **chat.to_api(),
        "accent_color_id": abs(chat.id) % 7,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": private,
            "limited_gifts": private,
            "unique_gifts": private,
            "premium_subscription": private,
            "gifts_from_channels": private,
        },
    }


@method("getChatMember")
def get_chat_member(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    chat = world.lookup(bot, p.chat_id()).chat
    user_id = p.required_integer("user_id")
    user = world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    if chat.person is not None:
        if user_id not in {chat.id, bot.id}:
            raise bad_request("user not found")
        return member("member", user)
    return member(chat.members.get(user_id, "left"), user)


@method("getChatAdministrators")
def get_chat_administrators(world: World, bot: BotState, p: Params) -> list[dict[str, Any]]:
    chat = world.lookup(bot, p.chat_id()).chat
    if not chat.is_group:
        raise bad_request("there are no administrators in the private chat")
    with_bots = p.flag("return_bots")
    admins = []
    for user_id, status in chat.members.items():
        user = world.users[user_id]
        if status in {"creator", "administrator"} and (with_bots or not user.is_bot):
            admins.append(member(status, user))
    return admins


@method("getChatMemberCount")
def get_chat_member_count(world: World, bot: BotState, p: Params) -> int:
    chat = world.lookup(bot, p.chat_id()).chat
    if not chat.is_group:
        return 2
    return sum(1 for status in chat.members.values() if status in PRESENT)


@method("leaveChat")
def leave_chat(world: World, bot: BotState, p: Params) -> bool:
    chat = world.lookup(bot, p.chat_id()).chat
    if not chat.is_group:
        raise bad_request("chat member status can't be changed in private chats")
    old = chat.members.get(bot.id, "left")
    if old not in PRESENT:
        raise bad_request("chat not found")
    chat.members[bot.id] = "left"
    bot_status_changed(world, bot, chat, bot.user, old, "left")
    return True


@method("sendChatAction")
def send_chat_action(world: World, bot: BotState, p: Params) -> bool:
    conversation = world.writable(bot, p.chat_id())
    action = p.text("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.events.publish("chat_action", bot=bot.id, chat_id=conversation.chat.id, action=action)
    return True


@method("getFile")
def get_file(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    stored = world.files.get(p.text("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > DOWNLOAD_LIMIT:
        raise bad_request("file is too big")
    return stored.to_file()
