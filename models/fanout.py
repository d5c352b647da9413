"""The columns every fan-out keeps on its run's row (a notice, a consultation's invitation):
its bookmark, its tallies and its author's progress message. See services/fanout/ledger.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field

from models.base import TableModel
from models.types import UtcDateTime


def _ts(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable)


def _big(default: int | None = 0, *, nullable: bool = False) -> Any:
    return Field(default=default, sa_type=BigInteger, nullable=nullable)


class FanoutLedger(TableModel):
    """Not a table: the fan-out's columns, shared by the tables that run one."""

    started_at: datetime | None = _ts(nullable=True)
    fanout_done_at: datetime | None = _ts(nullable=True)
    finished_at: datetime | None = _ts(nullable=True)
    # Fan-out bookmark and tallies.
    cursor: int = _big()
    audience_size: int = 0  # an estimate until the fan-out is done, then exact
    queued: int = 0
    skipped_blocked: int = 0
    groups: int = 0
    outbox_after_id: int = _big()
    outbox_upto_id: int = _big()
    # Progress ledger (rows below settled_id).
    settled_id: int = _big()
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    cancelled_rows: int = 0
    # The author's progress message, edited in place through the outbox.
    progress_message_id: int | None = _big(None, nullable=True)
    progress_seq: int = 0
    progress_text: str | None = None
    progress_at: datetime | None = _ts(nullable=True)
    # Observed delivery rate (rows a second), for the time left and for pacing the fan-out.
    measured_at: datetime | None = _ts(nullable=True)
    measured_done: int = 0
    rate: float = 0.0
