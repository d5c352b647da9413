"""The case lifecycle as one table: which action may move a case from which status to which.

Pure rules, no database: the use cases consult :func:`next_status` before changing anything and
refuse with a clear message when the move is not allowed.
"""

from __future__ import annotations

from models.enums import CaseStatus as S
from services.errors import Label, Refusal

OPEN = frozenset({S.NEW, S.ACCEPTED, S.IN_PROGRESS, S.REOPENED})
ACTIVE = OPEN | {S.RESOLVED}  # the conversation may go on until the case is closed

# action -> (statuses it may start from, status it leads to; None keeps the status)
TRANSITIONS: dict[str, tuple[frozenset[S], S | None]] = {
    "accept": (frozenset({S.NEW, S.REOPENED}), S.ACCEPTED),
    "reply": (ACTIVE, None),
    "resolve": (frozenset({S.ACCEPTED, S.IN_PROGRESS, S.REOPENED}), S.RESOLVED),
    "transfer": (OPEN, S.NEW),
    "follow_up": (ACTIVE, None),
}


def next_status(action: str, current: str) -> S:
    allowed, target = TRANSITIONS[action]
    status = S(current)
    if status not in allowed:
        raise Refusal(f"case.refused.{action}", status=Label(f"status.{status.value}"))
    if target is not None:
        return target
    if action == "reply" and status in (S.NEW, S.ACCEPTED, S.REOPENED):
        # A cadre's answer is the first response and means the work has started.
        return S.IN_PROGRESS
    return status
