"""The shared state every method and simulated person works on: bots, people, chats, messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.commands import CommandStore
from emulator.config import BotConfig, EmulatorConfig
from emulator.counters import Counters
from emulator.errors import ControlError, bad_request, forbidden, too_many_requests
from emulator.events import EventBus
from emulator.files import FileStore
from emulator.limits import RateLimiter
from emulator.models import (
    PRESENT,
    CallbackQueryRecord,
    ChatRecord,
    Conversation,
    StoredMessage,
    UserRecord,
)
from emulator.updates import UpdateQueue

FIRST_USER_ID = 7_100_000_001
FIRST_GROUP_ID = 4_100_000_001
SUPERGROUP_BASE = 1_000_000_000_000


@dataclass(slots=True)
class WebhookSettings:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None

    def same_target(self, other: WebhookSettings) -> bool:
        return (self.url, self.secret_token, self.max_connections, self.ip_address) == (
            other.url,
            other.secret_token,
            other.max_connections,
            other.ip_address,
        )


class BotState:
    """Everything one bot token owns."""

    def __init__(self, config: BotConfig, world: World) -> None:
        self.config = config
        self.user = UserRecord(config.id, config.first_name, username=config.username, is_bot=True)
        self.updates = UpdateQueue(world.counters)
        self.webhook: WebhookSettings | None = None
        self.conversations: dict[int, Conversation] = {}
        self.commands = CommandStore()
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.callbacks: dict[str, CallbackQueryRecord] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.limiter = RateLimiter(world.config.limits, world.clock)

    @property
    def id(self) -> int:
        return self.config.id


class World:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.clock = config.clock
        self.wall_clock = config.wall_clock
        self.counters = Counters(config.clock)
        self.events = EventBus()
        self.files = FileStore()
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.bots: dict[str, BotState] = {}
        # Votes in native polls: poll id -> voter's user id -> the options they chose.
        self.poll_votes: dict[str, dict[int, list[int]]] = {}
        self._sequence = 0
        self.on_webhook_change: Callable[[BotState], None] | None = None
        self.reset()

    def reset(self) -> None:
        """Forget every person, chat, message and update; keep the configured bots."""
        self.counters.reset()
        self.files.clear()
        self.users.clear()
        self.chats.clear()
        self.poll_votes.clear()
        self.bots = {bot.token: BotState(bot, self) for bot in self.config.bots}
        for bot in self.bots.values():
            self.users[bot.id] = bot.user
        self._next_user_id = FIRST_USER_ID
        self._next_group_id = FIRST_GROUP_ID

    def now(self) -> int:
        return int(self.wall_clock())

    def sequence(self) -> int:
        """A process-wide increasing number for ids that must be unique (albums, queries)."""
        self._sequence += 1
        return self._sequence

    # -- identities ---------------------------------------------------------------------------

    def bot(self, ref: str | int | None = None) -> BotState:
        """A bot by id or username (with or without @); the first configured one by default."""
        if ref is None or ref == "":
            return next(iter(self.bots.values()))
        text = str(ref).lstrip("@").lower()
        for bot in self.bots.values():
            if text in {str(bot.id), bot.config.username.lower()}:
                return bot
        raise ControlError(404, f"no bot {ref}")

    def person(self, user_id: int) -> UserRecord:
        user = self.users.get(user_id)
        if user is None or user.is_bot:
            raise ControlError(404, f"no user {user_id}")
        return user

    def add_person(
        self,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> UserRecord:
        if not first_name.strip():
            raise ControlError(400, "first_name is required")
        if username and any(
            (u.username or "").lower() == username.lower() for u in self.users.values()
        ):
            raise ControlError(409, f"username {username} is taken")
        user = UserRecord(self._next_user_id, first_name, last_name, username, language_code)
        self._next_user_id += 1
        self.users[user.id] = user
        self.chats[user.id] = ChatRecord(user.id, "private", person=user)
        return user

    def add_group(self, title: str, supergroup: bool) -> ChatRecord:
        number = self._next_group_id
        self._next_group_id += 1
        chat_id = -(SUPERGROUP_BASE + number) if supergroup else -number
        chat = ChatRecord(chat_id, "supergroup" if supergroup else "group", title=title)
        self.chats[chat_id] = chat
        return chat

    def resolve_user(self, user_id: int) -> dict[str, Any] | None:
        user = self.users.get(user_id)
        return user.to_api() if user else None

    # -- a bot's view of chats ----------------------------------------------------------------

    def conversation(self, bot: BotState, chat: ChatRecord) -> Conversation:
        conversation = bot.conversations.get(chat.id)
        if conversation is None:
            conversation = bot.conversations[chat.id] = Conversation(chat)
        return conversation

    def lookup(self, bot: BotState, ref: int | str) -> Conversation:
        """A chat the bot knows, else 400 chat not found (a user it never met, @names)."""
        chat = self.chats.get(ref) if isinstance(ref, int) else None
        if chat is None or (chat.is_group and bot.id not in chat.members):
            raise bad_request("chat not found")
        # Telegram knows a person to a bot once they met: here, in a private chat or a group.
        if (
            chat.person is not None
            and chat.id not in bot.conversations
            and not any(
                bot.id in group.members and chat.id in group.members
                for group in self.chats.values()
                if group.is_group
            )
        ):
            raise bad_request("chat not found")
        return self.conversation(bot, chat)

    def writable(self, bot: BotState, ref: int | str) -> Conversation:
        """A chat the bot may post to now, else Telegram's 400 or 403."""
        conversation = self.lookup(bot, ref)
        chat = conversation.chat
        if chat.person is not None:
            if conversation.blocked:
                raise forbidden("bot was blocked by the user")
            if not conversation.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif chat.members.get(bot.id) not in PRESENT:
            if chat.members.get(bot.id) == "kicked":
                raise forbidden(f"bot was kicked from the {chat.type} chat")
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return conversation

    def admit(self, bot: BotState, conversation: Conversation, messages: int = 1) -> None:
        """Flood control for messages about to be created (429 when over a limit)."""
        chat = conversation.chat
        retry_after = bot.limiter.admit(chat.id, chat.is_group, messages)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    # -- messages -----------------------------------------------------------------------------

    def message_head(self, conversation: Conversation, sender: UserRecord) -> dict[str, Any]:
        return {
            "message_id": conversation.next_message_id(),
            "from": sender.to_api(),
            "chat": conversation.chat.to_api(),
            "date": self.now(),
        }

    def add_message(
        self, bot: BotState, conversation: Conversation, data: dict[str, Any], *, from_bot: bool
    ) -> StoredMessage:
        stored = StoredMessage(data, from_bot)
        conversation.messages[stored.message_id] = stored
        if from_bot:
            self.counters.message_sent(conversation.chat.id)
        self.events.publish(
            "message", bot=bot.id, chat_id=conversation.chat.id, message=stored.entry()
        )
        return stored

    def replace_message(
        self, bot: BotState, conversation: Conversation, stored: StoredMessage, data: dict[str, Any]
    ) -> None:
        stored.data = data
        self.events.publish(
            "edit", bot=bot.id, chat_id=conversation.chat.id, message=stored.entry()
        )

    def delete_message(
        self, bot: BotState, conversation: Conversation, stored: StoredMessage
    ) -> None:
        stored.deleted = True
        self.events.publish(
            "delete", bot=bot.id, chat_id=conversation.chat.id, message_id=stored.message_id
        )

    def show_keyboard(self, bot: BotState, conversation: Conversation) -> None:
        self.events.publish(
            "keyboard",
            bot=bot.id,
            chat_id=conversation.chat.id,
            keyboard=conversation.keyboard,
            force_reply=conversation.force_reply,
        )

    def webhook_changed(self, bot: BotState) -> None:
        """setWebhook/deleteWebhook ran; the emulator starts or stops pushing updates."""
        if self.on_webhook_change is not None:
            self.on_webhook_change(bot)

    def emit(
        self, bot: BotState, kind: str, payload: dict[str, Any], chat_key: int | str
    ) -> int | None:
        """Queue an update for the bot; its update_id, or None if the bot did not ask for it."""
        update = bot.updates.push(kind, payload, chat_key)
        return update.update_id if update else None
