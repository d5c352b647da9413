"""The records the emulator keeps: people, chats, messages, callback queries.

Message dicts are never changed in place: an edit stores a new dict. Updates and events can
therefore share them without copying, and an update queued before an edit keeps the original.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ChatType = Literal["private", "group", "supergroup"]
MemberStatus = Literal["creator", "administrator", "member", "left", "kicked"]
PRESENT: frozenset[str] = frozenset({"creator", "administrator", "member"})


@dataclass(slots=True)
class UserRecord:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code and not self.is_bot:
            user["language_code"] = self.language_code
        return user


@dataclass(slots=True)
class ChatRecord:
    """A private chat (its id is the person's id) or a group shared by people and bots."""

    id: int
    type: ChatType
    title: str | None = None
    person: UserRecord | None = None  # private chats: the other side
    members: dict[int, MemberStatus] = field(default_factory=dict)  # groups

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    def to_api(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.person is not None:
            chat["first_name"] = self.person.first_name
            if self.person.last_name:
                chat["last_name"] = self.person.last_name
            if self.person.username:
                chat["username"] = self.person.username
        else:
            chat["title"] = self.title or ""
        return chat


@dataclass(slots=True)
class StoredMessage:
    data: dict[str, Any]  # the Telegram Message as it reads now
    from_bot: bool
    deleted: bool = False

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])

    def entry(self) -> dict[str, Any]:
        """The message as the chat history shows it."""
        return {**self.data, "deleted": True} if self.deleted else self.data


@dataclass(slots=True)
class Conversation:
    """One bot's side of one chat: its messages and what the chat's people see of the bot."""

    chat: ChatRecord
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    last_message_id: int = 0
    started: bool = False  # private: the person has written to the bot
    blocked: bool = False  # private: the person blocked the bot
    keyboard: dict[str, Any] | None = None  # the reply keyboard currently shown
    force_reply: dict[str, Any] | None = None  # {"message_id", "placeholder"} awaiting a reply

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def find(self, message_id: int | None) -> StoredMessage | None:
        if message_id is None:
            return None
        stored = self.messages.get(message_id)
        return None if stored is None or stored.deleted else stored


@dataclass(slots=True)
class CallbackQueryRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
