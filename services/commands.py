"""The command list each role sees in its chat's menu, per language."""

from __future__ import annotations

from typing import Any

from models.enums import Role
from services.texts import Texts

COMMANDS: dict[Role, tuple[str, ...]] = {
    Role.RESIDENT: ("start", "new", "cases", "point", "language", "help", "cancel"),
    Role.CADRE: ("cases", "case", "language", "help", "cancel"),
    Role.ADMIN: ("cases", "case", "language", "help", "cancel"),
    Role.INSPECTOR: ("language", "help", "cancel"),
}


def command_list(texts: Texts, locale: str, role: Role) -> list[tuple[str, str]]:
    return [(name, texts(locale, f"cmd.{name}")) for name in COMMANDS[role]]


def commands_payload(texts: Texts, locale: str, role: Role) -> dict[str, Any]:
    """An outbox payload that sets one chat's command menu (sent when a role changes)."""
    return {"type": "commands", "commands": command_list(texts, locale, role)}
