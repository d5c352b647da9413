"""The command list each role sees in its chat's menu, per language."""

from __future__ import annotations

from typing import Any

from models.enums import Role
from services.texts import Texts

# command -> the catalog key of its description, per role (staff read "cases" as their queue).
_COMMON = (
    ("mydata", "cmd.mydata"),
    ("language", "cmd.language"),
    ("help", "cmd.help"),
    ("cancel", "cmd.cancel"),
)
_RESIDENT = (
    ("start", "cmd.start"),
    ("new", "cmd.new"),
    ("cases", "cmd.cases"),
    ("point", "cmd.point"),
    ("notices", "cmd.notices"),
    ("consultations", "cmd.consultations"),
    ("report", "cmd.report"),
    ("tipoff", "cmd.tipoff"),
    ("forget", "cmd.forget"),
    *_COMMON,
)
_STAFF = (
    ("cases", "cmd.open_cases"),
    ("case", "cmd.case"),
    ("stats", "cmd.stats"),
    ("report", "cmd.staff_report"),
    ("digest", "cmd.digest"),
    ("notice", "cmd.notice"),
    ("notices", "cmd.notices"),
    ("consult", "cmd.consult"),
    ("consults", "cmd.consults"),
)
_VISITS = (
    ("checkin", "cmd.checkin"),
    ("visits", "cmd.visits"),
    ("households", "cmd.households"),
    ("reception", "cmd.reception"),
)
COMMANDS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.RESIDENT: _RESIDENT,
    Role.CADRE: (*_STAFF, *_VISITS, *_COMMON),
    Role.ADMIN: (
        *_STAFF,
        ("admin", "cmd.admin"),
        ("pair", "cmd.pair"),
        ("audit", "cmd.audit"),
        *_COMMON,
    ),
    Role.INSPECTOR: (("tipoffs", "cmd.tipoffs"), *_COMMON),
}


def command_list(texts: Texts, locale: str, role: Role) -> list[tuple[str, str]]:
    return [(name, texts(locale, key)) for name, key in COMMANDS[role]]


def commands_payload(texts: Texts, locale: str, role: Role) -> dict[str, Any]:
    """An outbox payload that sets one chat's command menu (sent when a role changes)."""
    return {"type": "commands", "commands": command_list(texts, locale, role)}
