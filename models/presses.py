"""Button presses the bot has answered or handled, so that a press Telegram delivers again —
after a restart, or to another replica — is neither answered twice nor acted on twice."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from models.base import TableModel
from models.types import UtcDateTime


class AnsweredPress(TableModel, table=True):
    __tablename__ = "answered_presses"
    # Telegram's callback query id (a decimal string of a 64-bit number).
    query_id: str = Field(primary_key=True, max_length=64)
    # When it was first recorded; rows are pruned a while after Telegram stops redelivering.
    at: datetime = Field(sa_type=UtcDateTime, index=True)
    # The press was answered (answerCallbackQuery sent): never answer it again.
    answered: bool = False
    # Its handler finished: a redelivery is skipped altogether.
    handled: bool = False
