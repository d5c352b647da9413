"""Staff: invitations, joining, titles, and who serves which contact point."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.direct import Direct
from models.enums import Role
from models.tables import Assignment, Case, ContactPoint, Invite, Staff, User, table_of
from services.audit import audit
from services.case_rules import OPEN
from services.commands import commands_payload
from services.context import Context
from services.errors import Invalid, NotFound
from services.outbox import enqueue
from services.points import find_by_code

INVITE_PREFIX = "inv_"
INVITABLE = (Role.CADRE, Role.INSPECTOR, Role.ADMIN)
_CaseT = table_of(Case)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class InviteLink:
    role: Role
    link: str
    expires_at: datetime
    point_name: str | None


@dataclass(frozen=True)
class Joined:
    role: Role
    point_name: str | None
    primary: bool


@dataclass(frozen=True)
class StaffLabel:
    """How a staff member is named to residents."""

    staff_id: int
    user_id: int
    chat_id: int
    name: str
    title: str
    locale: str


class StaffService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def create_invite(
        self,
        role: str,
        *,
        point_code: str | None = None,
        region: str | None = None,
        ttl_hours: float | None = None,
        created_by: int | None = None,
    ) -> InviteLink:
        """A single-use deep link; only the token's hash is stored."""
        try:
            role_ = Role(role)
        except ValueError:
            raise Invalid("invite.bad_role", role=role) from None
        if role_ not in INVITABLE:
            raise Invalid("invite.bad_role", role=role)
        now = self.ctx.clock.now()
        ttl = ttl_hours or self.ctx.config.invite_ttl_hours
        token = secrets.token_urlsafe(18)
        async with self.ctx.db.write() as session:
            point = None
            if point_code:
                point = await find_by_code(session, point_code)
                if point is None:
                    raise NotFound("point.not_found", code=point_code)
            invite = Invite(
                token_hash=hash_token(token),
                role=role_,
                contact_point_id=point.id if point else None,
                region=region,
                created_by_user_id=created_by,
                created_at=now,
                expires_at=now + timedelta(hours=ttl),
            )
            session.add(invite)
            audit(
                session,
                now,
                created_by,
                "invite:create",
                f"role:{role_}",
                point=point.code if point else None,
                region=region,
                hours=ttl,
            )
        link = f"https://t.me/{self.ctx.config.bot_username}?start={INVITE_PREFIX}{token}"
        return InviteLink(role_, link, invite.expires_at, point.name if point else None)

    async def redeem(self, user_id: int, token: str) -> Joined:
        """Turn an invite into a staff role; refuse one that is unknown, used or expired."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            invite = (
                await session.execute(
                    select(Invite).where(col(Invite.token_hash) == hash_token(token))
                )
            ).scalar()
            if invite is None:
                raise Invalid("invite.invalid")
            if invite.used_at is not None:
                raise Invalid("invite.used")
            if invite.expires_at <= now:
                raise Invalid("invite.expired")
            invite.used_at, invite.used_by_user_id = now, user_id
            staff = (
                await session.execute(select(Staff).where(col(Staff.user_id) == user_id))
            ).scalar()
            if staff is None:
                staff = Staff(
                    user_id=user_id, role=invite.role, region=invite.region, created_at=now
                )
                session.add(staff)
            elif staff.role == Role.ADMIN and staff.active:
                pass  # an invitation never demotes an administrator; it may add a point
            else:
                staff.role, staff.active, staff.removed_at = invite.role, True, None
                staff.region = invite.region
            await session.flush()
            point, primary = None, False
            # Cadres (and administrators who also serve a point) are assigned; inspectors
            # never are: they must not appear as a point's cadre.
            if invite.contact_point_id is not None and staff.role in (Role.CADRE, Role.ADMIN):
                point = await session.get(ContactPoint, invite.contact_point_id)
                primary = await assign(session, staff, invite.contact_point_id, now)
            audit(
                session,
                now,
                user_id,
                "invite:redeem",
                f"staff:{staff.id}",
                role=invite.role,
                point=point.code if point else None,
            )
            await refresh_commands(session, self.ctx, user_id)
        return Joined(Role(staff.role), point.name if point else None, primary)

    async def set_title(self, user_id: int, title: str) -> None:
        title = " ".join(title.split())[:60]
        async with self.ctx.db.write() as session:
            staff = (
                await session.execute(select(Staff).where(col(Staff.user_id) == user_id))
            ).scalar()
            if staff is None:
                raise NotFound("staff.not_found")
            staff.title = title


async def assign(
    session: AsyncSession,
    staff: Staff,
    point_id: int,
    now: datetime,
    *,
    primary: bool | None = None,
) -> bool:
    """Assign staff to a point; they become primary when asked to or when nobody else is."""
    current = (
        (
            await session.execute(
                select(Assignment).where(
                    col(Assignment.contact_point_id) == point_id,
                    col(Assignment.until).is_(None),
                )
            )
        )
        .scalars()
        .all()
    )
    mine = next((a for a in current if a.staff_id == staff.id), None)
    has_primary = any(a.is_primary and a.staff_id != staff.id for a in current)
    make_primary = primary if primary is not None else not has_primary
    if make_primary:
        for other in current:
            if other.is_primary and other.staff_id != staff.id:
                other.is_primary = False
    if mine is None:
        assert staff.id is not None
        session.add(
            Assignment(
                staff_id=staff.id, contact_point_id=point_id, is_primary=make_primary, since=now
            )
        )
    else:
        mine.is_primary = make_primary or mine.is_primary
    return make_primary


async def label_of(session: AsyncSession, staff_id: int) -> StaffLabel:
    row = await _LABEL.first(session, {"staff": staff_id})
    if row is None:
        raise NotFound("staff.not_found")
    return StaffLabel(*row)


def covers_region(region: str | None, point_region: str) -> bool:
    return region is None or point_region == region or point_region.startswith(region + "/")


def _constants(values: Any) -> list[Any]:
    """Fixed strings inlined in an IN (…): no list to expand on every execution."""
    return [literal_column(f"'{value}'") for value in sorted(values)]


def _choosing() -> tuple[Any, Any]:
    """choose_assignee's two statements, built once: building them cost more than running them
    (every filing, reopening and transfer chooses)."""
    staff, assignment = table_of(Staff), table_of(Assignment)
    open_load = (
        select(func.count())
        .select_from(_CaseT)
        .where(_CaseT.c.assignee_id == staff.c.id, _CaseT.c.status.in_(_constants(OPEN)))
        .scalar_subquery()
    )
    at_point = (
        select(staff.c.id)
        .join(assignment, assignment.c.staff_id == staff.c.id)
        .where(
            assignment.c.contact_point_id == bindparam("point"),
            assignment.c.until.is_(None),
            staff.c.active,
            staff.c.role.in_(_constants((Role.CADRE, Role.ADMIN))),
        )
        .order_by(assignment.c.is_primary.desc(), open_load, assignment.c.since)
    )
    admins = (
        select(staff.c.id, staff.c.region)
        .where(staff.c.active, staff.c.role == literal_column(f"'{Role.ADMIN}'"))
        .order_by(open_load, staff.c.id)
    )
    return at_point, admins


_AT_POINT, _ADMINS = (Direct(statement) for statement in _choosing())
_USERS = table_of(User)
_STAFF = table_of(Staff)
_LABEL = Direct(
    select(
        _STAFF.c.id, _USERS.c.id, _USERS.c.chat_id, _USERS.c.name, _STAFF.c.title, _USERS.c.locale
    )
    .join(_USERS, _USERS.c.id == _STAFF.c.user_id)
    .where(_STAFF.c.id == bindparam("staff"))
)


async def choose_assignee(
    session: AsyncSession, point: ContactPoint, exclude_staff_id: int | None = None
) -> int | None:
    """Who a case at ``point`` goes to.

    The point's primary cadre; else another active cadre there, the least loaded first; else an
    administrator whose scope covers the point — the fallback owner of what nobody else owns.
    """
    for (staff_id,) in await _AT_POINT.all(session, {"point": point.id}):
        if staff_id is not None and staff_id != exclude_staff_id:
            return int(staff_id)
    admins = await _ADMINS.all(session, {})
    candidates = [
        (sid, region) for sid, region in admins if sid is not None and sid != exclude_staff_id
    ]
    for staff_id, region in candidates:
        if covers_region(region, point.region):
            return int(staff_id)
    # No administrator covers this region: any administrator rather than nobody.
    return int(candidates[0][0]) if candidates else None


async def refresh_commands(session: AsyncSession, ctx: Context, user_id: int) -> None:
    """Queue the command menu for this person's role and language (their chat only)."""
    user = await session.get(User, user_id)
    if user is None:
        return
    staff = (
        await session.execute(select(Staff).where(col(Staff.user_id) == user_id, col(Staff.active)))
    ).scalar()
    role = Role(staff.role) if staff else Role.RESIDENT
    now = ctx.clock.now()
    await enqueue(
        session,
        now,
        key=f"commands:{user_id}:{role}:{user.locale}:{now.isoformat()}",
        chat_id=user.chat_id,
        payload=commands_payload(ctx.texts, user.locale, role),
        recipient_user_id=user_id,
    )
