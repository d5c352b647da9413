"""The command list each role sees in its chat's menu, per language."""

from __future__ import annotations

from typing import Any

from models.enums import Role
from services.texts import Texts

# command -> the catalog key of its description, per role (staff read "cases" as their queue).
_RESIDENT = (
    ("start", "cmd.start"),
    ("new", "cmd.new"),
    ("cases", "cmd.cases"),
    ("point", "cmd.point"),
    ("language", "cmd.language"),
    ("help", "cmd.help"),
    ("cancel", "cmd.cancel"),
)
_STAFF = (
    ("cases", "cmd.open_cases"),
    ("case", "cmd.case"),
    ("stats", "cmd.stats"),
    ("language", "cmd.language"),
    ("help", "cmd.help"),
    ("cancel", "cmd.cancel"),
)
COMMANDS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.RESIDENT: _RESIDENT,
    Role.CADRE: _STAFF,
    Role.ADMIN: _STAFF,
    Role.INSPECTOR: (("language", "cmd.language"), ("help", "cmd.help"), ("cancel", "cmd.cancel")),
}


def command_list(texts: Texts, locale: str, role: Role) -> list[tuple[str, str]]:
    return [(name, texts(locale, key)) for name, key in COMMANDS[role]]


def commands_payload(texts: Texts, locale: str, role: Role) -> dict[str, Any]:
    """An outbox payload that sets one chat's command menu (sent when a role changes)."""
    return {"type": "commands", "commands": command_list(texts, locale, role)}
