"""Simulated people: they join, write to the bot, press its buttons, block and unblock it.

Every action creates the update a real Telegram client's action would, queued for the bot.
Errors are ControlError (the control API answers them as 4xx), never Bot API errors: it is the
test or the page that asked for something impossible, not the bot.

What their messages hold is built in emulator/contents.py (Attachment and AlbumItem live there).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.contents import (
    AlbumItem,
    Attachment,
    contact_content,
    location_content,
    media_content,
    poll_content,
    sticker_content,
    text_content,
    venue_content,
)
from emulator.errors import ControlError
from emulator.members import bot_status_changed
from emulator.models import (
    PRESENT,
    CallbackQueryRecord,
    ChatRecord,
    Conversation,
    MemberStatus,
    UserRecord,
)
from emulator.outgoing import reply_view
from emulator.world import BotState, World

# Tests and tools import a message's files from here, beside the people who send them.
__all__ = ["AlbumItem", "Attachment", "People"]


class People:
    def __init__(self, world: World) -> None:
        self.world = world

    # -- who is there -------------------------------------------------------------------------

    def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        *,
        started: bool = False,
        bot: str | int | None = None,
    ) -> dict[str, Any]:
        user = self.world.add_person(first_name, last_name, username, language_code)
        if started:  # as if they had pressed Start long ago: the bot may write to them first
            state = self.world.bot(bot)
            self.world.conversation(state, self.world.chats[user.id]).started = True
        self.world.events.publish("user", user=user.to_api())
        return user.to_api()

    def users(self, bot: str | int | None = None) -> list[dict[str, Any]]:
        """Every simulated person, with whether they blocked the bot."""
        state = self.world.bot(bot)
        result = []
        for user in self.world.users.values():
            if not user.is_bot:
                conversation = state.conversations.get(user.id)
                blocked = conversation is not None and conversation.blocked
                result.append({**user.to_api(), "blocked": blocked})
        return result

    def create_group(
        self,
        title: str,
        member_ids: Sequence[int],
        bot_is_admin: bool = True,
        *,
        supergroup: bool = False,
        bot: str | int | None = None,
    ) -> dict[str, Any]:
        """A group created by the first member, with the others and the bot in it."""
        if not member_ids:
            raise ControlError(400, "a group needs at least one member")
        people = [self.world.person(user_id) for user_id in member_ids]
        state = self.world.bot(bot)
        chat = self.world.add_group(title, supergroup)
        for index, person in enumerate(people):
            chat.members[person.id] = "creator" if index == 0 else "member"
        status: MemberStatus = "administrator" if bot_is_admin else "member"
        chat.members[state.id] = status
        self.world.conversation(state, chat).started = True
        bot_status_changed(self.world, state, chat, people[0], "left", status)
        self.world.events.publish("chat", bot=state.id, chat=chat.to_api())
        return chat.to_api()

    # -- writing ------------------------------------------------------------------------------

    def send(
        self,
        user_id: int,
        chat_id: int | None = None,
        *,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        photo: Attachment | None = None,
        video: Attachment | None = None,
        voice: Attachment | None = None,
        audio: Attachment | None = None,
        document: Attachment | None = None,
        sticker: Attachment | str | None = None,
        poll: dict[str, Any] | None = None,
        location: tuple[float, float] | None = None,
        venue: dict[str, Any] | None = None,
        contact: dict[str, Any] | None = None,
        reply_to_message_id: int | None = None,
        bot: str | int | None = None,
    ) -> dict[str, Any]:
        """Send one message as a person; the private chat with the bot unless ``chat_id``."""
        media = {
            "photo": photo,
            "video": video,
            "voice": voice,
            "audio": audio,
            "document": document,
        }
        parts: list[dict[str, Any]] = []
        if text is not None:
            parts.append(text_content(text, entities))
        for kind, attachment in media.items():
            if attachment is not None:
                parts.append(media_content(self.world, kind, attachment, caption))
        if sticker is not None:
            parts.append(sticker_content(self.world, sticker))
        if poll is not None:
            parts.append({"poll": poll_content(self.world, poll)})
        if location is not None:
            parts.append({"location": location_content(*location)})
        if venue is not None:
            parts.append(venue_content(venue))
        if contact is not None:
            parts.append({"contact": contact_content(contact)})
        if len(parts) != 1:
            raise ControlError(
                400, "send exactly one of text, a file, sticker, poll, location, venue, contact"
            )
        user = self.world.person(user_id)
        return self._deliver(user, chat_id, [parts[0]], reply_to_message_id, bot)[0]

    def send_album(
        self,
        user_id: int,
        items: Sequence[AlbumItem],
        chat_id: int | None = None,
        *,
        reply_to_message_id: int | None = None,
        bot: str | int | None = None,
    ) -> list[dict[str, Any]]:
        """Several photos/videos sent together: one message and one update each, one album."""
        if not 2 <= len(items) <= 10:
            raise ControlError(400, "an album has 2 to 10 items")
        if any(item.kind not in {"photo", "video"} for item in items):
            raise ControlError(400, "an album holds photos and videos")
        user = self.world.person(user_id)
        contents = [media_content(self.world, item.kind, item.file, item.caption) for item in items]
        return self._deliver(user, chat_id, contents, reply_to_message_id, bot, album=True)

    def _deliver(
        self,
        user: UserRecord,
        chat_id: int | None,
        contents: list[dict[str, Any]],
        reply_to_message_id: int | None,
        bot_ref: str | int | None,
        *,
        album: bool = False,
    ) -> list[dict[str, Any]]:
        world = self.world
        chosen = world.bot(bot_ref)
        chat = self._chat(user, chat_id)
        # In a group every bot that is a member gets the message in its own view of the chat.
        bots = (
            [chosen]
            if not chat.is_group
            else [b for b in world.bots.values() if chat.members.get(b.id) in PRESENT]
        )
        if chosen not in bots:
            raise ControlError(403, "the bot is not a member of this group")
        known = chosen.conversations.get(chat.id)
        if reply_to_message_id is not None and (
            known is None or known.find(reply_to_message_id) is None
        ):
            raise ControlError(404, f"no message {reply_to_message_id} in chat {chat.id}")
        result: list[dict[str, Any]] = []
        for state in bots:
            conversation = self._open(state, chat, user)
            # Message ids are per bot view; other bots in a group just see no reply.
            reply_to = conversation.find(reply_to_message_id)
            group_id = str(20_000_000_000_000_000 + world.sequence()) if album else None
            sent = []
            for content in contents:
                data = world.message_head(conversation, user)
                if reply_to is not None:
                    data["reply_to_message"] = reply_view(reply_to)
                if group_id is not None:
                    data["media_group_id"] = group_id
                data.update(content)
                world.add_message(state, conversation, data, from_bot=False)
                if _bot_sees(state, chat, data):
                    world.emit(state, "message", data, chat.id)
                sent.append(data)
            self._after_reply(state, conversation, sent[0])
            if state is chosen:
                result = sent
        return result

    def _chat(self, user: UserRecord, chat_id: int | None) -> ChatRecord:
        chat = self.world.chats.get(user.id if chat_id is None else chat_id)
        if chat is None:
            raise ControlError(404, f"no chat {chat_id}")
        if chat.is_group and chat.members.get(user.id) not in PRESENT:
            raise ControlError(403, f"user {user.id} is not a member of chat {chat.id}")
        if chat.person is not None and chat.id != user.id:
            raise ControlError(403, "a private chat belongs to its person")
        return chat

    def _open(self, bot: BotState, chat: ChatRecord, user: UserRecord) -> Conversation:
        conversation = self.world.conversation(bot, chat)
        if chat.person is not None:
            # Writing to a blocked bot is the client's "Restart": it unblocks first.
            if conversation.blocked:
                self._set_blocked(bot, user, blocked=False)
            conversation.started = True
        return conversation

    def _after_reply(self, bot: BotState, conversation: Conversation, data: dict[str, Any]) -> None:
        """A reply answers a pending force_reply; a tap on a one-time keyboard hides it."""
        changed = False
        pending = conversation.force_reply
        replied = data.get("reply_to_message", {}).get("message_id")
        if pending is not None and replied == pending["message_id"]:
            conversation.force_reply = None
            changed = True
        keyboard = conversation.keyboard
        if keyboard is not None and keyboard.get("one_time_keyboard"):
            labels = {b.get("text") for row in keyboard["keyboard"] for b in row}
            if data.get("text") in labels or "contact" in data or "location" in data:
                conversation.keyboard = None
                changed = True
        if changed:
            self.world.show_keyboard(bot, conversation)

    # -- buttons and blocking -----------------------------------------------------------------

    def press(
        self,
        user_id: int,
        chat_id: int | None,
        message_id: int,
        callback_data: str,
        *,
        bot: str | int | None = None,
    ) -> dict[str, Any]:
        """Press an inline button: the CallbackQuery the bot receives (its id is to be answered).

        The data is not checked against the keyboard, so tests can forge a press as an
        attacker could.
        """
        world = self.world
        user = world.person(user_id)
        state = world.bot(bot)
        chat = self._chat(user, chat_id)
        stored = world.conversation(state, chat).find(message_id)
        if stored is None:
            raise ControlError(404, f"no message {message_id} in chat {chat.id}")
        if not stored.from_bot:
            raise ControlError(400, "only the bot's messages carry inline buttons")
        query_id = f"{state.id % 1_000_000}{world.sequence():013d}"
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "message": stored.data,
            "chat_instance": str((chat.id * 1_000_003 + state.id) % 10**19),
            "data": callback_data,
        }
        state.callbacks[query_id] = CallbackQueryRecord(
            query_id, user.id, chat.id, message_id, callback_data
        )
        world.emit(state, "callback_query", payload, chat.id)
        return payload

    def block_bot(self, user_id: int, bot: str | int | None = None) -> None:
        self._set_blocked(self.world.bot(bot), self.world.person(user_id), blocked=True)

    def unblock_bot(self, user_id: int, bot: str | int | None = None) -> None:
        self._set_blocked(self.world.bot(bot), self.world.person(user_id), blocked=False)

    def _set_blocked(self, bot: BotState, user: UserRecord, *, blocked: bool) -> None:
        conversation = self.world.conversation(bot, self.world.chats[user.id])
        if conversation.blocked == blocked:
            return
        conversation.blocked = blocked
        old: MemberStatus = "member" if blocked else "kicked"
        new: MemberStatus = "kicked" if blocked else "member"
        bot_status_changed(self.world, bot, conversation.chat, user, old, new)
        self.world.events.publish("block", bot=bot.id, user_id=user.id, blocked=blocked)

    # -- what people see ----------------------------------------------------------------------

    def history(self, chat_id: int, bot: str | int | None = None) -> list[dict[str, Any]]:
        conversation = self.world.bot(bot).conversations.get(chat_id)
        if conversation is None:
            return []
        return [stored.entry() for stored in conversation.messages.values()]

    def keyboard(self, chat_id: int, bot: str | int | None = None) -> dict[str, Any]:
        """The reply keyboard shown in a chat and a pending force-reply request."""
        conversation = self.world.bot(bot).conversations.get(chat_id)
        if conversation is None:
            return {"keyboard": None, "force_reply": None}
        return {"keyboard": conversation.keyboard, "force_reply": conversation.force_reply}

    def callback_answers(self, user_id: int, bot: str | int | None = None) -> list[dict[str, Any]]:
        return [a for a in self.world.bot(bot).callback_answers if a["user_id"] == user_id]

    def commands(
        self, user_id: int, chat_id: int | None = None, bot: str | int | None = None
    ) -> list[dict[str, str]]:
        """The command menu a person sees in a chat, in their language."""
        user = self.world.person(user_id)
        state = self.world.bot(bot)
        chat = self._chat(user, chat_id)
        return state.commands.resolve(
            chat.id,
            private=not chat.is_group,
            user_id=user.id,
            is_admin=chat.members.get(user.id) in {"creator", "administrator"},
            lang=(user.language_code or "")[:2].lower(),
        )


def _bot_sees(bot: BotState, chat: ChatRecord, data: dict[str, Any]) -> bool:
    """Group privacy: without admin rights a bot gets commands, replies to it, mentions."""
    if not chat.is_group or not bot.config.privacy_mode:
        return True
    if chat.members.get(bot.id) == "administrator":
        return True
    text = data.get("text") or data.get("caption") or ""
    replied = data.get("reply_to_message", {}).get("from", {})
    return (
        text.startswith("/")
        or replied.get("id") == bot.id
        or f"@{bot.config.username}".lower() in text.lower()
    )
