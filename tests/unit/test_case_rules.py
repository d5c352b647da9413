"""The lifecycle table: every allowed move, and every illegal one refused with its message."""

from __future__ import annotations

import pytest

from locales import load_catalog
from models.enums import CaseStatus as S
from services.case_rules import OPEN, TRANSITIONS, transition
from services.errors import Refusal


@pytest.mark.parametrize(
    ("action", "start", "end"),
    [
        ("accept", S.NEW, S.ACCEPTED),
        ("accept", S.REOPENED, S.ACCEPTED),
        ("reply", S.NEW, S.IN_PROGRESS),
        ("reply", S.ACCEPTED, S.IN_PROGRESS),
        ("reply", S.IN_PROGRESS, S.IN_PROGRESS),
        ("reply", S.RESOLVED, S.RESOLVED),
        ("resolve", S.ACCEPTED, S.RESOLVED),
        ("resolve", S.IN_PROGRESS, S.RESOLVED),
        ("resolve", S.REOPENED, S.RESOLVED),
        ("transfer", S.IN_PROGRESS, S.NEW),
        ("close", S.NEW, S.CLOSED),
        ("close", S.REOPENED, S.CLOSED),
        ("withdraw", S.IN_PROGRESS, S.CLOSED),
        ("confirm", S.RESOLVED, S.CLOSED),
        ("reopen", S.RESOLVED, S.REOPENED),
        ("auto_close", S.RESOLVED, S.CLOSED),
        ("follow_up", S.RESOLVED, S.RESOLVED),
        ("note", S.RESOLVED, S.RESOLVED),
    ],
)
def test_allowed(action: str, start: S, end: S) -> None:
    assert transition(action, start) == end


def test_every_other_move_is_refused_with_its_own_message() -> None:
    catalog = load_catalog("bot")
    refused = 0
    for action, rule in TRANSITIONS.items():
        for status in S:
            if status in rule.sources:
                continue
            with pytest.raises(Refusal) as error:
                transition(action, status)
            assert error.value.key == f"case.refused.{action}"
            assert catalog.has(error.value.key)
            assert str(error.value.params["status"]) == f"status.{status.value}"
            refused += 1
    assert refused > 30  # the table really forbids things


def test_closed_is_final() -> None:
    for action in TRANSITIONS:
        with pytest.raises(Refusal):
            transition(action, S.CLOSED)


def test_residents_cannot_resolve_and_staff_cannot_confirm() -> None:
    assert {a for a, r in TRANSITIONS.items() if r.by == "resident"} == {
        "follow_up",
        "withdraw",
        "confirm",
        "reopen",
    }
    assert TRANSITIONS["confirm"].sources == {S.RESOLVED}
    assert TRANSITIONS["withdraw"].sources == OPEN
    assert all(TRANSITIONS[a].note for a in ("resolve", "transfer", "close", "note"))
