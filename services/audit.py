"""The audit trail of privileged actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import AuditLog


def audit(
    session: AsyncSession,
    now: datetime,
    actor_user_id: int | None,
    action: str,
    target: str = "",
    **detail: Any,
) -> None:
    """Record a privileged action in the caller's transaction. Never put personal data here."""
    session.add(
        AuditLog(actor_user_id=actor_user_id, action=action, target=target, detail=detail, at=now)
    )
