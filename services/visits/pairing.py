"""Pairing cadres with households (结对帮扶) and the contacts cadres record with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, ContactPoint, Residency, Staff, User, pk
from models.visits import Pairing, PairingContact
from services.audit import audit
from services.cards import staff_name
from services.errors import Invalid, NotAllowed, NotFound
from services.outbox import enqueue, text_message
from services.staff import covers_region, label_of
from services.texts import esc
from services.visits.rules import (
    clean_note,
    local_day,
)
from services.visits.shared import (
    CadreRef,
    PointRef,
    VisitCases,
    admin_member,
    is_assigned,
    region_filter,
    staff_member,
    tell_staff,
)


@dataclass(frozen=True)
class PairingView:
    id: int
    staff_id: int
    cadre_name: str
    resident_user_id: int
    resident_name: str
    resident_phone: str | None
    point: PointRef
    since: datetime
    last_contact: date | None
    contacted_this_month: bool


@dataclass(frozen=True)
class Paired:
    pairing: PairingView
    created: bool  # False: they were paired already


@dataclass(frozen=True)
class Household:
    """A resident as an administrator pairs them: where they live and who may be paired."""

    user_id: int
    name: str
    phone: str | None
    point: PointRef
    paired: list[CadreRef]
    cadres: list[CadreRef]  # the point's cadres, paired or not


class Pairings(VisitCases):
    # ---- pairing (结对帮扶) --------------------------------------------------------------------

    async def find_households(
        self, admin_user_id: int, query: str, limit: int = 8
    ) -> list[Household]:
        """Residents in the administrator's scope whose name or phone matches ``query``."""
        query = " ".join(query.split())[:60]
        if not query:
            return []
        async with self.ctx.db.read() as session:
            admin = await admin_member(session, admin_user_id)
            digits = "".join(ch for ch in query if ch.isdigit())
            match = [func.lower(col(User.name)).contains(query.lower(), autoescape=True)]
            if len(digits) >= 4:
                match.append(col(User.phone).contains(digits, autoescape=True))
            is_staff = exists().where(col(Staff.user_id) == col(User.id), col(Staff.active))
            stmt = (
                select(col(User.id))
                .join(Residency, col(Residency.user_id) == col(User.id))
                .join(ContactPoint, col(ContactPoint.id) == col(Residency.contact_point_id))
                .where(or_(*match), ~is_staff, *region_filter(admin.region))
                .order_by(col(User.name), col(User.id))
                .limit(limit)
            )
            ids = [int(i) for i in (await session.execute(stmt)).scalars() if i is not None]
            return [await household_of(session, user_id, self.ctx.clock.now()) for user_id in ids]

    async def household(self, admin_user_id: int, resident_user_id: int) -> Household:
        async with self.ctx.db.read() as session:
            admin = await admin_member(session, admin_user_id)
            found = await household_of(session, resident_user_id, self.ctx.clock.now())
            if not covers_region(admin.region, found.point.region):
                raise NotAllowed("visits.pair.out_of_scope")
            return found

    async def pair(self, admin_user_id: int, cadre_staff_id: int, resident_user_id: int) -> Paired:
        """Pair a cadre with a household at the household's contact point (结对帮扶)."""
        for attempt in range(2):
            try:
                return await self._pair(admin_user_id, cadre_staff_id, resident_user_id)
            except IntegrityError:
                if attempt:  # paired at the same moment by another administrator: it stands
                    raise
        raise AssertionError("unreachable")

    async def _pair(self, admin_user_id: int, cadre_staff_id: int, resident_user_id: int) -> Paired:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            admin = await admin_member(session, admin_user_id)
            point = await home_point(session, resident_user_id)
            if not covers_region(admin.region, point.region):
                raise NotAllowed("visits.pair.out_of_scope")
            cadre = await session.get(Staff, cadre_staff_id)
            if cadre is None or not cadre.active or cadre.role != Role.CADRE:
                raise NotFound("visits.pair.no_cadre")
            if not await is_assigned(session, cadre_staff_id, pk(point)):
                raise Invalid("visits.pair.not_at_point", point=esc(point.name))
            existing = await current_pairing(session, cadre_staff_id, resident_user_id)
            if existing is not None:
                views = await pairing_views(session, now, pairing_id=pk(existing))
                return Paired(views[0], created=False)
            pairing = Pairing(
                staff_id=cadre_staff_id,
                resident_user_id=resident_user_id,
                contact_point_id=pk(point),
                created_at=now,
                created_by_user_id=admin_user_id,
            )
            session.add(pairing)
            await session.flush()
            audit(
                session,
                now,
                admin_user_id,
                "visits:pair",
                f"pairing:{pk(pairing)}",
                staff=cadre_staff_id,
                resident=resident_user_id,
            )
            view = (await pairing_views(session, now, pairing_id=pk(pairing)))[0]
            await self._tell_pairing(session, view, now)
            return Paired(view, created=True)

    async def unpair(self, admin_user_id: int, cadre_staff_id: int, resident_user_id: int) -> None:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            admin = await admin_member(session, admin_user_id)
            pairing = await current_pairing(session, cadre_staff_id, resident_user_id)
            if pairing is None:
                raise NotFound("visits.pair.not_paired")
            point = await session.get(ContactPoint, pairing.contact_point_id)
            assert point is not None
            if not covers_region(admin.region, point.region):
                raise NotAllowed("visits.pair.out_of_scope")
            view = (await pairing_views(session, now, pairing_id=pk(pairing)))[0]
            pairing.ended_at, pairing.ended_by_user_id = now, admin_user_id
            audit(session, now, admin_user_id, "visits:unpair", f"pairing:{pk(pairing)}")
            await tell_staff(
                self.texts,
                session,
                cadre_staff_id,
                f"pairing{pk(pairing)}:ended",
                now,
                "visits.pair.ended_cadre",
                name=esc(view.resident_name),
                point=esc(view.point.name),
            )

    async def pairings_of(self, cadre_staff_id: int) -> list[PairingView]:
        """A cadre's current households, with their last contact and this month's status."""
        async with self.ctx.db.read() as session:
            return await pairing_views(session, self.ctx.clock.now(), staff_id=cadre_staff_id)

    async def my_households(self, user_id: int) -> list[PairingView]:
        async with self.ctx.db.read() as session:
            staff = await staff_member(session, user_id)
            return await pairing_views(session, self.ctx.clock.now(), staff_id=pk(staff))

    async def record_contact(self, user_id: int, pairing_id: int, note: str | None) -> PairingView:
        """The cadre was in touch with a paired household (a visit, a call); kept with a note."""
        text = clean_note(note, required=False)
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            staff = await staff_member(session, user_id)
            pairing = await session.get(Pairing, pairing_id)
            if pairing is None or pairing.staff_id != pk(staff) or pairing.ended_at is not None:
                raise NotFound("visits.pair.not_yours")
            point = await session.get(ContactPoint, pairing.contact_point_id)
            assert point is not None
            session.add(
                PairingContact(
                    pairing_id=pairing_id,
                    day=local_day(now, point.tz),
                    at=now,
                    note=text,
                    created_by_user_id=user_id,
                )
            )
            await session.flush()
            return (await pairing_views(session, now, pairing_id=pairing_id))[0]

    async def _tell_pairing(self, session: AsyncSession, view: PairingView, now: datetime) -> None:
        cadre = await tell_staff(
            self.texts,
            session,
            view.staff_id,
            f"pairing{view.id}:cadre",
            now,
            "visits.pair.told_cadre",
            (("visits.btn.households", "visit_households"),),
            name=esc(view.resident_name),
            point=esc(view.point.name),
        )
        resident = await session.get(User, view.resident_user_id)
        if resident is None or resident.blocked_at is not None:
            return
        await enqueue(
            session,
            now,
            key=f"pairing{view.id}:resident",
            chat_id=resident.chat_id,
            payload=text_message(
                self.texts(
                    resident.locale,
                    "visits.pair.told_resident",
                    name=staff_name(self.texts, resident.locale, cadre.name, cadre.title),
                    point=esc(view.point.name),
                )
            ),
            recipient_user_id=pk(resident),
        )


async def home_point(session: AsyncSession, resident_user_id: int) -> ContactPoint:
    point = (
        await session.execute(
            select(ContactPoint)
            .join(Residency, col(Residency.contact_point_id) == col(ContactPoint.id))
            .where(col(Residency.user_id) == resident_user_id)
        )
    ).scalar()
    if point is None:
        raise Invalid("visits.pair.no_point")
    return point


async def current_pairing(
    session: AsyncSession, staff_id: int, resident_user_id: int
) -> Pairing | None:
    return (
        await session.execute(
            select(Pairing).where(
                col(Pairing.staff_id) == staff_id,
                col(Pairing.resident_user_id) == resident_user_id,
                col(Pairing.ended_at).is_(None),
            )
        )
    ).scalar()


async def cadres_at(session: AsyncSession, point_id: int) -> list[CadreRef]:
    rows = (
        await session.execute(
            select(col(Staff.id), col(User.name), col(Staff.title))
            .join(User, col(User.id) == col(Staff.user_id))
            .join(Assignment, col(Assignment.staff_id) == col(Staff.id))
            .where(
                col(Assignment.contact_point_id) == point_id,
                col(Assignment.until).is_(None),
                col(Staff.active),
                col(Staff.role) == Role.CADRE,
            )
            .order_by(col(Assignment.is_primary).desc(), col(User.name))
        )
    ).all()
    cadres: dict[int, CadreRef] = {}
    for i, name, title in rows:  # one current assignment per cadre and point, but be sure
        cadres.setdefault(int(i or 0), CadreRef(int(i or 0), str(name), str(title)))
    return list(cadres.values())


async def household_of(session: AsyncSession, user_id: int, now: datetime) -> Household:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("visits.pair.no_household")
    point = await home_point(session, user_id)
    paired_ids = {p.staff_id for p in await pairing_views(session, now, resident_id=user_id)}
    cadres = await cadres_at(session, pk(point))
    paired = [c for c in cadres if c.staff_id in paired_ids]
    # Paired with someone who no longer serves the point: still shown, so it can be ended.
    known = {c.staff_id for c in cadres}
    for staff_id in sorted(paired_ids - known):
        label = await label_of(session, staff_id)
        paired.append(CadreRef(staff_id, label.name, label.title))
    return Household(pk(user), user.name, user.phone, PointRef.of(point), paired, cadres)


async def pairing_views(
    session: AsyncSession,
    now: datetime,
    *,
    staff_id: int | None = None,
    resident_id: int | None = None,
    pairing_id: int | None = None,
) -> list[PairingView]:
    cadre = aliased(User)
    stmt = (
        select(Pairing, User, ContactPoint, col(cadre.name))
        .join(User, col(User.id) == col(Pairing.resident_user_id))
        .join(ContactPoint, col(ContactPoint.id) == col(Pairing.contact_point_id))
        .join(Staff, col(Staff.id) == col(Pairing.staff_id))
        .join(cadre, col(cadre.id) == col(Staff.user_id))
        .order_by(col(User.name), col(Pairing.id))
    )
    if pairing_id is not None:
        stmt = stmt.where(col(Pairing.id) == pairing_id)
    else:
        stmt = stmt.where(col(Pairing.ended_at).is_(None))
    if staff_id is not None:
        stmt = stmt.where(col(Pairing.staff_id) == staff_id)
    if resident_id is not None:
        stmt = stmt.where(col(Pairing.resident_user_id) == resident_id)
    rows = (await session.execute(stmt)).all()
    if not rows:
        return []
    latest = (
        await session.execute(
            select(col(PairingContact.pairing_id), func.max(col(PairingContact.day)))
            .where(col(PairingContact.pairing_id).in_([pk(r[0]) for r in rows]))
            .group_by(col(PairingContact.pairing_id))
        )
    ).all()
    last: dict[int, date] = {int(i): d for i, d in latest}
    views = []
    for pairing, user, point, cadre_name in rows:
        today = local_day(now, point.tz)
        last_day: date | None = last.get(pk(pairing))
        views.append(
            PairingView(
                pk(pairing),
                pairing.staff_id,
                str(cadre_name or ""),
                pk(user),
                user.name,
                user.phone,
                PointRef.of(point),
                pairing.created_at,
                last_day,
                last_day is not None and last_day >= today.replace(day=1),
            )
        )
    return views
