"""The case lifecycle as one table: which action may move a case from which status to which,
who may take it, and whether it needs a note.

Pure rules, no database: use cases consult :func:`transition` before changing anything and
refuse with a clear message when the move is not allowed.

    new ──accept──▶ accepted ──reply──▶ in progress ──resolve──▶ resolved ──confirm──▶ closed
     ▲                  │                                            │
     └────transfer──────┘ (any open status)              not resolved│──▶ reopened ──accept…
    any open status ──close (duplicate, referred, rejected)──▶ closed
    any open status ──withdraw (the resident)──▶ closed
    resolved ──no verdict within N days──▶ closed
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.enums import CaseStatus as S
from services.errors import Label, Refusal


class CloseReason(StrEnum):
    """Why a case ended. Only ``resolved`` means the resident said it was fixed."""

    RESOLVED = "resolved"  # the resident confirmed it
    NO_ANSWER = "no_answer"  # resolved by the cadre; the resident never answered
    DUPLICATE = "duplicate"
    REFERRED = "referred"  # belongs to another authority; the resident was told where
    REJECTED = "rejected"  # not something the contact point can act on
    WITHDRAWN = "withdrawn"  # the resident withdrew it


STAFF_CLOSE_REASONS = (CloseReason.DUPLICATE, CloseReason.REFERRED, CloseReason.REJECTED)

OPEN = frozenset({S.NEW, S.ACCEPTED, S.IN_PROGRESS, S.REOPENED})
ACTIVE = OPEN | {S.RESOLVED}  # the conversation may go on until the case is closed


@dataclass(frozen=True)
class Rule:
    sources: frozenset[S]
    target: S | None  # None keeps the status
    by: str  # "staff", "resident" or "system"
    note: bool  # a note is required


TRANSITIONS: dict[str, Rule] = {
    "accept": Rule(frozenset({S.NEW, S.REOPENED}), S.ACCEPTED, "staff", False),
    "reply": Rule(ACTIVE, None, "staff", False),
    "note": Rule(frozenset(S) - {S.CLOSED}, None, "staff", True),
    "resolve": Rule(frozenset({S.ACCEPTED, S.IN_PROGRESS, S.REOPENED}), S.RESOLVED, "staff", True),
    "transfer": Rule(OPEN, S.NEW, "staff", True),
    "close": Rule(OPEN, S.CLOSED, "staff", True),
    "follow_up": Rule(ACTIVE, None, "resident", False),
    "withdraw": Rule(OPEN, S.CLOSED, "resident", False),
    "confirm": Rule(frozenset({S.RESOLVED}), S.CLOSED, "resident", False),
    "reopen": Rule(frozenset({S.RESOLVED}), S.REOPENED, "resident", False),
    "auto_close": Rule(frozenset({S.RESOLVED}), S.CLOSED, "system", False),
}


def transition(action: str, current: str) -> S:
    """The status ``action`` leads to from ``current``, or a refusal saying why not."""
    rule = TRANSITIONS[action]
    status = S(current)
    if status not in rule.sources:
        raise Refusal(f"case.refused.{action}", status=Label(f"status.{status.value}"))
    if rule.target is not None:
        return rule.target
    if action == "reply" and status in (S.NEW, S.ACCEPTED, S.REOPENED):
        # A cadre's answer is the first response: the work has started.
        return S.IN_PROGRESS
    return status
