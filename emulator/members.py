"""ChatMember objects, and the my_chat_member update Telegram sends when the bot's status moves."""

from __future__ import annotations

from typing import Any

from emulator.models import ChatRecord, MemberStatus, UserRecord
from emulator.world import BotState, World

# What an administrator the emulator creates may do: a typical group admin bot.
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_send_welcome_messages": False,  # newer than the reference; see spec.NEWER_THAN_REFERENCE
}


def member(status: MemberStatus, user: UserRecord) -> dict[str, Any]:
    base: dict[str, Any] = {"status": status, "user": user.to_api()}
    if status == "creator":
        base["is_anonymous"] = False
    elif status == "administrator":
        base.update(_ADMIN_RIGHTS)
    elif status == "kicked":
        base["until_date"] = 0
    return base


def bot_status_changed(
    world: World,
    bot: BotState,
    chat: ChatRecord,
    actor: UserRecord,
    old: MemberStatus,
    new: MemberStatus,
) -> int | None:
    """Queue the my_chat_member update for a change of the bot's own membership."""
    payload = {
        "chat": chat.to_api(),
        "from": actor.to_api(),
        "date": world.now(),
        "old_chat_member": member(old, bot.user),
        "new_chat_member": member(new, bot.user),
    }
    return world.emit(bot, "my_chat_member", payload, chat.id)
