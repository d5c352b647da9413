"""Case cards the bot showed in staff chats directly (/case, a list's button), so a change of
status can redraw them; cards that went through the outbox are found from their outbox rows."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field

from models.base import TableModel


class CaseCard(TableModel, table=True):
    __tablename__ = "case_cards"
    chat_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    message_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    case_id: int = Field(foreign_key="cases.id", index=True)
    user_id: int = Field(foreign_key="users.id")
