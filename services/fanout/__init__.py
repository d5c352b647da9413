"""One fan-out, shared by notices and consultations: an audience becomes recipients, recipients
become outbox rows — paced, resumable after a kill, with progress edited in place and cancel."""

from services.fanout.audience import (
    Audience,
    Rights,
    count_residents,
    pick,
    rights_of,
    scope_points,
)
from services.fanout.engine import ChunkResult, Fanout
from services.fanout.ledger import (
    CANCELLED,
    SCHEDULED,
    SENDING,
    SENT,
    Ledger,
    Progress,
    Tally,
)
from services.fanout.wording import bar, duration_text

__all__ = [
    "CANCELLED",
    "SCHEDULED",
    "SENDING",
    "SENT",
    "Audience",
    "ChunkResult",
    "Fanout",
    "Ledger",
    "Progress",
    "Rights",
    "Tally",
    "bar",
    "count_residents",
    "duration_text",
    "pick",
    "rights_of",
    "scope_points",
]
