"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in, timezone-aware UTC datetimes out.

    PostgreSQL keeps ``timestamptz``; SQLite keeps naive UTC text, and the zone is put back on
    the way out so Python never sees a naive timestamp.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Telegram ids exceed 32 bits; SQLite's INTEGER is 64-bit already, so only the PK needs care.
TelegramId = BigInteger
JsonDoc: Any = JSON().with_variant(JSONB(), "postgresql")
# Primary keys of the tables that grow without bound (outbox, events): 64-bit on PostgreSQL,
# and SQLite's INTEGER so the key stays the rowid and keeps auto-incrementing.
BigId: Any = BigInteger().with_variant(Integer(), "sqlite")
