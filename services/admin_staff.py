"""Administrators manage staff: invitations, who serves which point (and who is its primary
cadre), and suspending, reinstating or removing someone.

Suspending or removing someone ends their access at once (``Staff.active`` is False; removal
also sets ``removed_at`` and ends their assignments), and their open cases are re-routed by
the normal routing rules (``services.staff.choose_assignee``), each with a card to its new
owner. The first receiver stays on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import EventType, Role
from models.tables import Assignment, Case, CaseEvent, ContactPoint, Staff, User, pk
from services.admin_access import (
    PAGE_SIZE,
    By,
    Scope,
    acting,
    audit_round,
    case_load,
    check_point,
    check_staff,
    open_clause,
    pages_of,
    staff_clause,
)
from services.audit import audit
from services.case_mail import CaseMail
from services.case_rules import transition
from services.cases import content_parts
from services.context import Context
from services.errors import Invalid, NotAllowed, NotFound
from services.outbox import enqueue, text_message
from services.points import find_by_code
from services.staff import (
    INVITABLE,
    InviteLink,
    StaffService,
    assign,
    choose_assignee,
    refresh_commands,
)
from services.texts import esc
from services.tipoffs import TipOffs
from services.views import must_view

ACTIVE, SUSPENDED, REMOVED = "active", "suspended", "removed"
ASSIGNABLE = (Role.CADRE, Role.ADMIN)


@dataclass(frozen=True)
class StaffPoint:
    point_id: int
    code: str
    name: str
    primary: bool


@dataclass(frozen=True)
class StaffLine:
    """A staff member as an administrator sees them: role, points and load."""

    id: int
    user_id: int
    name: str
    title: str
    role: str
    region: str | None
    status: str  # ACTIVE, SUSPENDED or REMOVED
    points: list[StaffPoint]
    open_cases: int
    overdue: int


@dataclass(frozen=True)
class StaffPage:
    staff: list[StaffLine]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class Rerouted:
    """Someone's access ended: who, and where their open cases went."""

    staff: StaffLine
    cases: int  # open cases re-routed
    unowned: int  # of which nobody could take (they wait in the administrators' /cases)


def status_of(staff: Staff) -> str:
    if staff.removed_at is not None:
        return REMOVED
    return ACTIVE if staff.active else SUSPENDED


class AdminStaff:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.texts = ctx.texts
        self.mail = CaseMail(ctx)
        self.staff = StaffService(ctx)
        self.tipoffs = TipOffs(ctx)

    # ---- reading -----------------------------------------------------------------------

    async def page(
        self, by: By, page: int = 0, *, removed: bool = False, size: int = PAGE_SIZE
    ) -> StaffPage:
        """Staff in the scope, active first; removed people only when asked for."""
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            where: list[Any] = [staff_clause(scope)]
            if not removed:
                where.append(col(Staff.removed_at).is_(None))
            total = int(
                (
                    await session.execute(select(func.count()).select_from(Staff).where(*where))
                ).scalar_one()
            )
            pages, page = pages_of(total, page, size)
            rows = (
                await session.execute(
                    select(Staff, User)
                    .join(User, col(User.id) == col(Staff.user_id))
                    .where(*where)
                    .order_by(col(Staff.active).desc(), col(User.name), col(Staff.id))
                    .offset(page * size)
                    .limit(size)
                )
            ).all()
            lines = await self._lines(session, [(s, u) for s, u in rows])
        return StaffPage(lines, page, pages, total)

    async def get(self, by: By, staff_id: int) -> StaffLine:
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            staff = await check_staff(session, scope, staff_id)
            return await self._line(session, staff)

    # ---- invitations -------------------------------------------------------------------

    async def invite(
        self,
        by: By,
        role: str,
        *,
        point_id: int | None = None,
        point_code: str | None = None,
        region: str | None = None,
        ttl_hours: int | None = None,
    ) -> InviteLink:
        """A single-use link for a new cadre (for a point), inspector or administrator (for a
        region; by default the inviting administrator's own)."""
        if role not in {r.value for r in INVITABLE}:
            raise Invalid("invite.bad_role", role=esc(role))
        if region is not None:
            region = region.strip().strip("/").strip() or None
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            point = None
            if point_id is not None:
                point = check_point(scope, await session.get(ContactPoint, point_id))
            elif point_code:
                point = await find_by_code(session, point_code)
                if point is None:
                    raise NotFound("point.not_found", code=esc(point_code))
                check_point(scope, point)
        if role == Role.CADRE:
            if point is None:
                raise Invalid("admin.invite.point_needed")
            region = None  # a cadre's reach is their points
        elif role == Role.INSPECTOR and point is not None:
            raise Invalid("admin.invite.inspector_point")
        else:
            region = region if region is not None else scope.region
            if not scope.covers(region):
                raise NotAllowed(
                    "admin.region_outside", region=esc(region or ""), scope=esc(scope.region or "")
                )
        if point is not None and not point.active:
            raise Invalid("admin.point.inactive", point=point.name)
        return await self.staff.create_invite(
            role,
            point_code=point.code if point is not None else None,
            region=region,
            ttl_hours=ttl_hours,
            created_by=scope.user_id,
        )

    # ---- points ------------------------------------------------------------------------

    async def assign(
        self, by: By, staff_id: int, point_id: int, *, primary: bool = False
    ) -> StaffLine:
        """Someone serves a point from now on (its primary cadre if asked, or if it has none)."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope, staff, point = await self._at_point(session, by, staff_id, point_id)
            if staff.removed_at is not None:
                raise Invalid("admin.staff.removed")
            if staff.role not in ASSIGNABLE:
                raise Invalid("admin.staff.not_assignable")
            if not point.active:
                raise Invalid("admin.point.inactive", point=point.name)
            if await self._current(session, staff_id, point_id) is not None:
                raise Invalid("admin.staff.already_assigned", point=point.name)
            made_primary = await assign(session, staff, point_id, now, primary=primary or None)
            return await self._point_changed(
                session,
                scope,
                staff,
                point,
                "staff:assign",
                "admin.staff.told_assigned",
                now,
                primary=made_primary,
            )

    async def unassign(self, by: By, staff_id: int, point_id: int) -> StaffLine:
        """Someone no longer serves a point; if they were its primary cadre, its longest-serving
        other cadre becomes primary. Their open cases stay with them until handed on."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope, staff, point = await self._at_point(session, by, staff_id, point_id)
            current = await self._serving(session, staff_id, point)
            was_primary = current.is_primary
            current.until, current.is_primary = now, False
            await session.flush()
            if was_primary:
                await self._promote_next(session, point_id)
            return await self._point_changed(
                session, scope, staff, point, "staff:unassign", "admin.staff.told_unassigned", now
            )

    async def make_primary(self, by: By, staff_id: int, point_id: int) -> StaffLine:
        """Someone becomes the point's primary cadre: new cases there go to them first."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope, staff, point = await self._at_point(session, by, staff_id, point_id)
            current = await self._serving(session, staff_id, point)
            if not staff.active:
                raise Invalid("admin.staff.not_active")
            if current.is_primary:
                return await self._line(session, staff)
            await assign(session, staff, point_id, now, primary=True)
            return await self._point_changed(
                session, scope, staff, point, "staff:primary", "admin.staff.told_primary", now
            )

    # ---- access ------------------------------------------------------------------------

    async def suspend(self, by: By, staff_id: int) -> Rerouted:
        """Access ends now and can be given back (:meth:`reinstate`); assignments are kept."""
        return await self._end_access(by, staff_id, remove=False)

    async def remove(self, by: By, staff_id: int) -> Rerouted:
        """Access ends for good and their assignments end; a new invitation brings them back."""
        return await self._end_access(by, staff_id, remove=True)

    async def reinstate(self, by: By, staff_id: int) -> StaffLine:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            staff = await check_staff(session, scope, staff_id)
            if staff.removed_at is not None:
                raise Invalid("admin.staff.removed")
            if staff.active:
                raise Invalid("admin.staff.already_active")
            staff.active = True
            await session.flush()
            audit(session, now, scope.user_id, "staff:reinstate", f"staff:{staff_id}")
            await self._tell(session, staff, "staff:reinstate", "admin.staff.told_reinstated", now)
            await refresh_commands(session, self.ctx, staff.user_id)
            return await self._line(session, staff)

    async def _end_access(self, by: By, staff_id: int, *, remove: bool) -> Rerouted:
        now = self.ctx.clock.now()
        action = "staff:remove" if remove else "staff:suspend"
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            staff = await check_staff(session, scope, staff_id)
            await self._may_end(session, scope, staff)
            if remove:
                if staff.removed_at is not None:
                    raise Invalid("admin.staff.removed")
                staff.removed_at = now
                for current in await self._assignments(session, staff_id):
                    current.until, current.is_primary = now, False
                    await session.flush()
                    await self._promote_next(session, current.contact_point_id)
            elif not staff.active:
                raise Invalid("admin.staff.already_suspended")
            staff.active = False
            await session.flush()
            moved, unowned = await self._reroute(session, scope, staff, now)
            await self.tipoffs.route_waiting_in(session, now)  # an inspector's open reports
            audit(session, now, scope.user_id, action, f"staff:{staff_id}", cases=moved)
            key = "admin.staff.told_removed" if remove else "admin.staff.told_suspended"
            await self._tell(session, staff, action, key, now)
            await refresh_commands(session, self.ctx, staff.user_id)
            return Rerouted(await self._line(session, staff), moved, unowned)

    async def _may_end(self, session: AsyncSession, scope: Scope, staff: Staff) -> None:
        if scope.staff_id is not None and staff.id == scope.staff_id:
            raise Invalid("admin.staff.not_yourself")
        user = await session.get(User, staff.user_id)
        if user is not None and user.tg_id in self.ctx.config.admin_tg_ids:
            # The settings make them an administrator again at their next message.
            raise NotAllowed("admin.staff.from_settings")

    async def _reroute(
        self, session: AsyncSession, scope: Scope, staff: Staff, now: datetime
    ) -> tuple[int, int]:
        """Hand each open case of ``staff`` to whoever routing picks now, with a card."""
        cases = (
            (
                await session.execute(
                    select(Case)
                    .where(col(Case.assignee_id) == staff.id, open_clause())
                    .order_by(col(Case.id))
                )
            )
            .scalars()
            .all()
        )
        unowned = 0
        for case in cases:
            point = await session.get(ContactPoint, case.contact_point_id)
            assert point is not None
            new = await choose_assignee(session, point, exclude_staff_id=staff.id)
            case.assignee_id = new  # the first receiver stays on record
            case.status = transition("transfer", case.status)  # the new owner accepts it
            # Recorded as what it is: handed on because its cadre no longer serves, by the
            # system (the administrator's suspension is in the audit log), not as a transfer.
            event = CaseEvent(
                case_id=pk(case),
                actor_user_id=None,
                type=EventType.REROUTED,
                at=now,
            )
            session.add(event)
            await session.flush()  # the next case's routing sees this one's load
            audit(
                session,
                now,
                scope.user_id,
                "case:reroute",
                f"case:{pk(case)}",
                from_staff=staff.id,
                to_staff=new,
            )
            if new is None:
                unowned += 1
                continue
            view = await must_view(session, pk(case))
            parts = await content_parts(session, pk(case))
            await self.mail.card(
                session, view, pk(event), parts, now, headline="admin.card.rerouted"
            )
            # The resident hears who has their case now, and why.
            notice = self.mail.for_resident(view, "notify.rerouted")
            await self.mail.to_resident(session, view, f"ev{pk(event)}", notice, now)
            await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        return len(cases), unowned

    # ---- helpers -----------------------------------------------------------------------

    @staticmethod
    async def _at_point(
        session: AsyncSession, by: By, staff_id: int, point_id: int
    ) -> tuple[Scope, Staff, ContactPoint]:
        """The acting administrator's scope, and the staff member and point, both within it."""
        scope = await acting(session, by)
        staff = await check_staff(session, scope, staff_id)
        point = check_point(scope, await session.get(ContactPoint, point_id))
        return scope, staff, point

    async def _point_changed(
        self,
        session: AsyncSession,
        scope: Scope,
        staff: Staff,
        point: ContactPoint,
        action: str,
        key: str,
        now: datetime,
        **details: Any,
    ) -> StaffLine:
        """Who serves ``point`` changed: audit it, tell the staff member, show them again."""
        audit(
            session, now, scope.user_id, action, f"staff:{pk(staff)}", point=point.code, **details
        )
        await self._tell(session, staff, action, key, now, point=esc(point.name))
        await session.flush()
        return await self._line(session, staff)

    async def _tell(
        self,
        session: AsyncSession,
        staff: Staff,
        action: str,
        key: str,
        now: datetime,
        **params: Any,
    ) -> None:
        """A word to the staff member about what changed for them, in their language (after
        the change's audit row, which keys each time apart)."""
        user = await session.get(User, staff.user_id)
        if user is None or user.blocked_at is not None:
            return
        await session.flush()
        round_ = await audit_round(session, action, f"staff:{pk(staff)}")
        await enqueue(
            session,
            now,
            key=f"staff{pk(staff)}:{action}:{round_}",
            chat_id=user.chat_id,
            payload=text_message(self.texts(user.locale, key, **params)),
            recipient_user_id=pk(user),
        )

    @staticmethod
    async def _current(session: AsyncSession, staff_id: int, point_id: int) -> Assignment | None:
        return (
            await session.execute(
                select(Assignment).where(
                    col(Assignment.staff_id) == staff_id,
                    col(Assignment.contact_point_id) == point_id,
                    col(Assignment.until).is_(None),
                )
            )
        ).scalar()

    async def _serving(
        self, session: AsyncSession, staff_id: int, point: ContactPoint
    ) -> Assignment:
        """Their current assignment to ``point``; refused if they do not serve there."""
        current = await self._current(session, staff_id, pk(point))
        if current is None:
            raise Invalid("admin.staff.not_assigned", point=point.name)
        return current

    @staticmethod
    async def _assignments(session: AsyncSession, staff_id: int) -> list[Assignment]:
        rows = await session.execute(
            select(Assignment).where(
                col(Assignment.staff_id) == staff_id, col(Assignment.until).is_(None)
            )
        )
        return list(rows.scalars().all())

    @staticmethod
    async def _promote_next(session: AsyncSession, point_id: int) -> None:
        """A point whose primary cadre left gets its longest-serving active cadre as primary."""
        current = (
            (
                await session.execute(
                    select(Assignment)
                    .join(Staff, col(Staff.id) == col(Assignment.staff_id))
                    .where(
                        col(Assignment.contact_point_id) == point_id,
                        col(Assignment.until).is_(None),
                        col(Staff.active),
                        col(Staff.role).in_(ASSIGNABLE),
                    )
                    .order_by(col(Assignment.is_primary).desc(), col(Assignment.since))
                )
            )
            .scalars()
            .first()
        )
        if current is not None and not current.is_primary:
            current.is_primary = True
            await session.flush()

    async def _line(self, session: AsyncSession, staff: Staff) -> StaffLine:
        user = await session.get(User, staff.user_id)
        assert user is not None
        return (await self._lines(session, [(staff, user)]))[0]

    async def _lines(
        self, session: AsyncSession, rows: list[tuple[Staff, User]]
    ) -> list[StaffLine]:
        ids = [pk(staff) for staff, _ in rows]
        if not ids:
            return []
        assigned = (
            await session.execute(
                select(
                    col(Assignment.staff_id),
                    col(ContactPoint.id),
                    col(ContactPoint.code),
                    col(ContactPoint.name),
                    col(Assignment.is_primary),
                )
                .join(ContactPoint, col(ContactPoint.id) == col(Assignment.contact_point_id))
                .where(col(Assignment.staff_id).in_(ids), col(Assignment.until).is_(None))
                .order_by(col(Assignment.is_primary).desc(), col(ContactPoint.name))
            )
        ).all()
        points: dict[int, list[StaffPoint]] = {}
        for staff_id, point_id, code, name, primary in assigned:
            if point_id is not None:
                points.setdefault(int(staff_id), []).append(
                    StaffPoint(point_id, str(code), str(name), bool(primary))
                )
        load = await case_load(
            session, self.ctx.clock.now(), col(Case.assignee_id), col(Case.assignee_id).in_(ids)
        )
        return [
            StaffLine(
                id=pk(staff),
                user_id=pk(user),
                name=user.name,
                title=staff.title,
                role=staff.role,
                region=staff.region,
                status=status_of(staff),
                points=points.get(pk(staff), []),
                open_cases=load.get(pk(staff), (0, 0))[0],
                overdue=load.get(pk(staff), (0, 0))[1],
            )
            for staff, user in rows
        ]
