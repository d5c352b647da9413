"""The audit trail of privileged actions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import AuditLog, Staff, User, pk
from services.errors import NotAllowed
from services.scope import zone_of_scope

if TYPE_CHECKING:
    from services.context import Context


# Every action the trail records. Each is shown to administrators by its label in the catalogs
# ("audit.act." and the action with "_" for ":"); tests/unit/test_audit_actions.py keeps the two
# in step with the code.
ACTIONS = frozenset(
    {
        "case:close",
        "case:reroute",
        "case:transfer",
        "category:add",
        "category:rename",
        "category:restore",
        "category:retire",
        "category:tier",
        "consult:close",
        "consult:create",
        "invite:create",
        "invite:redeem",
        "notice:cancel",
        "notice:create",
        "outbox:dismiss",
        "outbox:retry",
        "point:activate",
        "point:add",
        "point:deactivate",
        "point:edit",
        "point:link_group",
        "point:unlink_group",
        "points:import",
        "privacy:forget",
        "privacy:retention",
        "staff:assign",
        "staff:bootstrap_admin",
        "staff:primary",
        "staff:reinstate",
        "staff:remove",
        "staff:suspend",
        "staff:unassign",
        "tipoff:accept",
        "tipoff:close",
        "tipoff:route",
        "visits:log",
        "visits:pair",
        "visits:policy",
        "visits:reception",
        "visits:reception_cancel",
        "visits:unpair",
    }
)
# Tip-offs are the inspectors' business: their entries stay out of /audit (the CLI export,
# for the office's auditors, has them).
_INSPECTORS_ONLY = "tipoff:%"


def action_label_key(action: str) -> str:
    return "audit.act." + action.replace(":", "_")


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


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str | None  # the staff member's name; None for the system and the CLI
    action: str
    target: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    entries: list[Entry]
    pages: int
    zone: str  # the time zone to show times in


class AuditTrail:
    """The audit log, for administrators (in the bot) and operators (CLI export)."""

    PAGE = 15

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def page(self, user_id: int, page: int = 0) -> AuditPage:
        async with self.ctx.db.read() as session:
            staff = (
                await session.execute(
                    select(Staff).where(col(Staff.user_id) == user_id, col(Staff.active))
                )
            ).scalar()
            if staff is None or staff.role != Role.ADMIN:
                raise NotAllowed("audit.admins_only")
            if staff.region:
                # The trail is oversight from above: a regional administrator's own actions
                # are in it, so it is read by those over the whole area.
                raise NotAllowed("audit.whole_area_only")
            shown = not_(col(AuditLog.target).like(_INSPECTORS_ONLY))
            total = int(
                (
                    await session.execute(select(func.count()).select_from(AuditLog).where(shown))
                ).scalar_one()
            )
            pages = max(1, -(-total // self.PAGE))
            page = min(max(page, 0), pages - 1)
            rows = (
                await session.execute(
                    select(AuditLog, User)
                    .join(User, col(User.id) == col(AuditLog.actor_user_id), isouter=True)
                    .where(shown)
                    .order_by(col(AuditLog.id).desc())
                    .offset(page * self.PAGE)
                    .limit(self.PAGE)
                )
            ).all()
            zone = await zone_of_scope(session, staff)
        return AuditPage([_entry(log, user) for log, user in rows], pages, zone)

    async def export(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> AsyncIterator[Entry]:
        """Every entry in the window, oldest first, read in chunks."""
        last_id = 0
        while True:
            async with self.ctx.db.read() as session:
                stmt = (
                    select(AuditLog, User)
                    .join(User, col(User.id) == col(AuditLog.actor_user_id), isouter=True)
                    .where(col(AuditLog.id) > last_id)
                    .order_by(col(AuditLog.id))
                    .limit(500)
                )
                if since is not None:
                    stmt = stmt.where(col(AuditLog.at) >= since)
                if until is not None:
                    stmt = stmt.where(col(AuditLog.at) < until)
                rows = (await session.execute(stmt)).all()
            if not rows:
                return
            for log, user in rows:
                yield _entry(log, user)
            last_id = pk(rows[-1][0])


def _entry(log: AuditLog, user: User | None) -> Entry:
    return Entry(
        log.at,
        user.name if user is not None and user.name else None,
        log.action,
        log.target,
        dict(log.detail or {}),
    )
