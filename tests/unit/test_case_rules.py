"""The lifecycle table: every allowed move, and every illegal one refused."""

from __future__ import annotations

import pytest

from models.enums import CaseStatus as S
from services.case_rules import TRANSITIONS, next_status
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
        ("transfer", S.IN_PROGRESS, S.NEW),
        ("follow_up", S.RESOLVED, S.RESOLVED),
    ],
)
def test_allowed(action: str, start: S, end: S) -> None:
    assert next_status(action, start) == end


def test_every_other_move_is_refused_with_its_own_message() -> None:
    for action, (allowed, _) in TRANSITIONS.items():
        for status in S:
            if status in allowed:
                continue
            with pytest.raises(Refusal) as refused:
                next_status(action, status)
            assert refused.value.key == f"case.refused.{action}"
            assert str(refused.value.params["status"]) == f"status.{status.value}"


def test_closed_is_final() -> None:
    for action in TRANSITIONS:
        with pytest.raises(Refusal):
            next_status(action, S.CLOSED)
