"""Every action the code records is a known audit action, with a label in both languages."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from locales import LOCALES, load_catalog
from services.app import Services
from services.audit import ACTIONS, action_label_key

ROOT = Path(__file__).resolve().parents[2]
# "case:close", "visits:log": the shape audit actions and reminder kinds share.
CODE_LIKE = re.compile(r"^[a-z_]+:[a-z_]+$")


def _colon_codes() -> set[str]:
    found = set()
    for path in (ROOT / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            literal = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if literal and CODE_LIKE.match(node.value):
                found.add(node.value)
    return found


def test_every_code_in_the_services_is_an_audit_action_or_a_reminder_kind(
    services: Services,
) -> None:
    kinds = {k for f in services.features_with_reminders() for k in f.reminder_handlers()}
    prefixes = {"case:ack"}  # case_clock tells the two first-answer reminders by it
    unknown = sorted(_colon_codes() - ACTIONS - kinds - prefixes)
    assert unknown == [], "add them to services.audit.ACTIONS (and label them) or register them"
    recorded = _colon_codes()
    assert not ACTIONS - recorded, "an action nothing records any more"


def test_every_action_has_a_label_in_both_languages() -> None:
    catalog = load_catalog("bot")
    for action in ACTIONS:
        for locale in LOCALES:
            assert catalog.has(action_label_key(action)), (locale, action)
