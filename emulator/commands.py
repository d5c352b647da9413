"""The bot's command lists, stored per scope and language, and resolved the way clients do."""

from __future__ import annotations

import re
from typing import Any

from emulator.errors import bad_request

ScopeKey = tuple[str | int, ...]
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


def scope_key(scope: dict[str, Any] | None) -> ScopeKey:
    if not scope:
        return ("default",)
    kind = scope.get("type")
    if kind in {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}:
        return (kind,)
    if kind in {"chat", "chat_administrators"}:
        return (kind, _chat(scope))
    if kind == "chat_member":
        user_id = scope.get("user_id")
        if not isinstance(user_id, int):
            raise bad_request("user not found")
        return (kind, _chat(scope), user_id)
    raise bad_request("wrong bot command scope type specified")


def _chat(scope: dict[str, Any]) -> int | str:
    chat_id = scope.get("chat_id")
    if isinstance(chat_id, int | str) and chat_id != "":
        return chat_id
    raise bad_request("chat not found")


def language(code: str | None) -> str:
    """Commands are stored per two-letter language; a user's "zh-hans" matches "zh"."""
    return (code or "")[:2].lower()


class CommandStore:
    def __init__(self) -> None:
        self._lists: dict[tuple[ScopeKey, str], list[dict[str, str]]] = {}

    def set(self, scope: ScopeKey, lang: str, commands: list[Any]) -> None:
        self._lists[(scope, lang)] = _validated(commands)

    def get(self, scope: ScopeKey, lang: str) -> list[dict[str, str]]:
        return list(self._lists.get((scope, lang), []))

    def delete(self, scope: ScopeKey, lang: str) -> None:
        self._lists.pop((scope, lang), None)

    def clear(self) -> None:
        self._lists.clear()

    def resolve(
        self, chat_id: int, *, private: bool, user_id: int, is_admin: bool, lang: str
    ) -> list[dict[str, str]]:
        """The commands a user sees in a chat: Telegram's scope order, each scope first in the
        user's language and then without one."""
        if private:
            scopes: list[ScopeKey] = [("chat", chat_id), ("all_private_chats",), ("default",)]
        else:
            scopes = [("chat_member", chat_id, user_id)]
            if is_admin:
                scopes.append(("chat_administrators", chat_id))
            scopes.append(("chat", chat_id))
            if is_admin:
                scopes.append(("all_chat_administrators",))
            scopes += [("all_group_chats",), ("default",)]
        for scope in scopes:
            for candidate in (lang, ""):
                found = self._lists.get((scope, candidate))
                if found:
                    return list(found)
        return []


def _validated(commands: list[Any]) -> list[dict[str, str]]:
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    result = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not _COMMAND.match(name.lstrip("/")):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": name.lstrip("/"), "description": description})
    return result
