"""Tables of consultations and surveys (征求意见 / 调研); see services/consultations/.

Anonymity is a property of the tables, not of the code that reads them:

- ``consult_roll`` records *that* a resident answered (one row per resident: the unique key
  that allows one submission each, and the list the outcome goes to). It holds no answer.
- ``consult_submissions`` holds the answers. It has no person, no time and a random id, so
  nothing in it, or in the order of its ids, points back to the roll.
- ``consult_named`` links a submission to its resident, and is written only for named
  consultations (so they can change their answers until the deadline). An anonymous
  submission has no row there and cannot be traced back to anyone; it cannot be changed
  either, and the author is told so before sending.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field

from models.base import TableModel
from models.fanout import FanoutLedger
from models.types import JsonDoc, UtcDateTime


def _ts(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable)


def _big(default: int | None = 0, *, nullable: bool = False) -> Any:
    return Field(default=default, sa_type=BigInteger, nullable=nullable)


def _key(foreign_key: str) -> Any:
    return Field(
        foreign_key=foreign_key, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )


class Consultation(TableModel, table=True):
    __tablename__ = "consultations"
    __table_args__ = (
        UniqueConstraint("origin", name="uq_consultations_origin"),
        Index("ix_consultations_status", "status", "opens_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    origin: str | None = Field(default=None, max_length=80)
    author_user_id: int | None = Field(default=None, foreign_key="users.id")
    author_chat_id: int | None = _big(None, nullable=True)
    author_name: str = Field(default="", max_length=128)
    author_title: str = Field(default="", max_length=60)
    fallback_locale: str = Field(max_length=10)
    # locale -> text; the introduction is HTML. Questions: see services/consultations/form.py.
    title: dict[str, str] = Field(default_factory=dict, sa_type=JsonDoc)
    intro: dict[str, str] = Field(default_factory=dict, sa_type=JsonDoc)
    questions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JsonDoc)
    audience: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    anonymous: bool = False
    # The draft as a document sent with the invitation ({"file_id", "name"}), if any.
    document: dict[str, Any] | None = Field(default=None, sa_type=JsonDoc, nullable=True)
    # Single-choice questions also posted as native polls in the points' linked groups.
    group_polls: bool = False
    status: str = Field(max_length=20)  # scheduled, open, closed, cancelled
    opens_at: datetime = _ts()
    closes_at: datetime = _ts()
    created_at: datetime = _ts()
    closed_at: datetime | None = _ts(nullable=True)
    outcome: dict[str, str] | None = Field(default=None, sa_type=JsonDoc, nullable=True)
    adopted: int = 0
    outcome_at: datetime | None = _ts(nullable=True)


class ConsultationPoint(TableModel, table=True):
    """The contact points a consultation asks, fixed when it opens."""

    __tablename__ = "consultation_points"
    __table_args__ = (Index("ix_consultation_points_point", "contact_point_id", "consultation_id"),)
    consultation_id: int = _key("consultations.id")
    contact_point_id: int = _key("contact_points.id")


class ConsultRun(FanoutLedger, table=True):
    """One fan-out of a consultation (``invite``, ``remind``, ``outcome``): the bookmark and
    the ledger of services/fanout, as on a notice."""

    __tablename__ = "consult_runs"
    __table_args__ = (
        UniqueConstraint("consultation_id", "purpose", name="uq_consult_runs_purpose"),
        Index("ix_consult_runs_open", "finished_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(foreign_key="consultations.id")
    purpose: str = Field(max_length=10)
    status: str = Field(max_length=20)
    send_at: datetime = _ts()
    author_user_id: int | None = Field(default=None, foreign_key="users.id")
    author_chat_id: int | None = _big(None, nullable=True)


class ConsultRoll(TableModel, table=True):
    """A resident answered (no answer here): one submission each; the outcome's recipients."""

    __tablename__ = "consult_roll"
    consultation_id: int = _key("consultations.id")
    user_id: int = _key("users.id")


class ConsultSubmission(TableModel, table=True):
    """One resident's answers, with no person and no time (random id)."""

    __tablename__ = "consult_submissions"
    __table_args__ = (Index("ix_consult_submissions_consultation", "consultation_id"),)
    id: str = Field(primary_key=True, max_length=32)
    consultation_id: int = Field(foreign_key="consultations.id")
    # question number (as text) -> the answer: option index, list of indexes, 1-5, number, text
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)


class ConsultNamed(TableModel, table=True):
    """Whose a named submission is (never written for an anonymous consultation)."""

    __tablename__ = "consult_named"
    __table_args__ = (UniqueConstraint("consultation_id", "user_id", name="uq_consult_named_user"),)
    submission_id: str = Field(
        foreign_key="consult_submissions.id", primary_key=True, max_length=32
    )
    consultation_id: int = Field(foreign_key="consultations.id")
    user_id: int = Field(foreign_key="users.id")
    submitted_at: datetime = _ts()
    changed_at: datetime | None = _ts(nullable=True)


class ConsultPoll(TableModel, table=True):
    """A native poll asking one single-choice question in a linked group: recorded when the
    outbox has sent it (Telegram gives the poll's id then), with its latest totals from poll
    updates. Anonymous consultations post anonymous polls: totals only, never a voter."""

    __tablename__ = "consult_polls"
    __table_args__ = (Index("ix_consult_polls_question", "consultation_id", "question"),)
    poll_id: str = Field(primary_key=True, max_length=64)
    consultation_id: int = Field(foreign_key="consultations.id")
    question: int
    chat_id: int = _big()
    message_id: int = _big()
    anonymous: bool = True
    counts: list[int] = Field(default_factory=list, sa_type=JsonDoc)
    voters: int = 0
    created_at: datetime = _ts()
    updated_at: datetime | None = _ts(nullable=True)


class ConsultPollVote(TableModel, table=True):
    """One person's vote in a named consultation's polls (non-anonymous polls only): one per
    question whatever group they voted in, the resident when registered — so a resident who
    also answered in private is counted once (the private answer)."""

    __tablename__ = "consult_poll_votes"
    consultation_id: int = _key("consultations.id")
    question: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    voter_tg_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    user_id: int | None = Field(default=None, foreign_key="users.id")
    options: list[int] = Field(default_factory=list, sa_type=JsonDoc)
    voted_at: datetime = _ts()
