"""Administrators manage contact points: list and search, open one, add, edit, deactivate and
reactivate, and print the registration poster.

Fields are checked with the same rules as the CSV import (``services.points``), so a point
added from the phone is one the import would have accepted. Deactivating a point tells its
residents, in their language, to choose another one; its open cases keep their owner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import (
    Assignment,
    Case,
    ContactPoint,
    Residency,
    Staff,
    User,
    pk,
)
from services.admin_access import (
    PAGE_SIZE,
    By,
    Scope,
    acting,
    audit_round,
    case_load,
    check_point,
    pages_of,
    point_clause,
)
from services.audit import audit
from services.context import Context
from services.errors import Invalid, NotAllowed, NotFound
from services.outbox import Button, enqueue_many, text_message
from services.points import Points, PointView, RowProblem, _validate_row, find_by_code
from services.texts import esc

DEFAULT_TZ = "Asia/Shanghai"
# Time zones offered as buttons; any other IANA name may be typed.
TIME_ZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau")
RADIUS_RANGE = (20, 5000)
EDITABLE = ("name", "address", "region", "tz", "radius")
TOLD_CHUNK = 500
# A valid value for every column, so one column can be checked on its own.
_FILLER = {
    "code": "X",
    "name": "X",
    "region": "",
    "address": "",
    "lat": "",
    "lon": "",
    "tz": DEFAULT_TZ,
}


@dataclass(frozen=True)
class PointLine:
    id: int
    code: str
    name: str
    region: str
    active: bool


@dataclass(frozen=True)
class PointPage:
    points: list[PointLine]
    page: int
    pages: int
    total: int
    query: str


@dataclass(frozen=True)
class PointCadre:
    staff_id: int
    name: str
    title: str
    primary: bool
    active: bool


@dataclass(frozen=True)
class PointCard:
    """A contact point as an administrator sees it."""

    id: int
    code: str
    name: str
    region: str
    address: str
    lat: float | None
    lon: float | None
    radius_m: int
    tz: str
    active: bool
    cadres: list[PointCadre]
    residents: int
    open_cases: int
    overdue: int

    @property
    def has_location(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class NewPoint:
    code: str
    name: str
    region: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    tz: str = DEFAULT_TZ


@dataclass(frozen=True)
class Deactivated:
    point: PointCard
    residents_told: int


@dataclass(frozen=True)
class Poster:
    code: str
    name: str
    link: str
    png: bytes


def clean_field(column: str, value: str) -> Any:
    """One column checked with the import's rules (``services.points``): the clean value, or
    a refusal naming the problem."""
    row, problems = _validate_row({**_FILLER, column: value.strip()}, 1, DEFAULT_TZ)
    if problems or row is None:
        _refuse(problems[0])
    return row[column]


def clean_location(lat: float | None, lon: float | None) -> tuple[float | None, float | None]:
    """A location checked with the import's rules: both or neither, within range."""
    cells = {
        **_FILLER,
        "lat": "" if lat is None else repr(float(lat)),
        "lon": "" if lon is None else repr(float(lon)),
    }
    row, problems = _validate_row(cells, 1, DEFAULT_TZ)
    if problems or row is None:
        _refuse(problems[0])
    return row["lat"], row["lon"]


def _refuse(problem: RowProblem) -> NoReturn:
    """The import's message for the problem; what the person typed is escaped (HTML)."""
    params = {k: esc(v) if isinstance(v, str) else v for k, v in problem.params.items()}
    raise Invalid(problem.key, **params)


def clean_region(value: str) -> str:
    """A region path as the import keeps it, without stray slashes at either end."""
    return str(clean_field("region", value.strip().strip("/").strip()))


def clean_radius(value: str) -> int:
    low, high = RADIUS_RANGE
    try:
        radius = int(value.strip())
    except ValueError:
        raise Invalid("admin.point.bad_radius", low=low, high=high) from None
    if not low <= radius <= high:
        raise Invalid("admin.point.bad_radius", low=low, high=high)
    return radius


class AdminPoints:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.points = Points(ctx)

    # ---- reading -----------------------------------------------------------------------

    async def page(
        self, by: By, page: int = 0, query: str = "", *, active_only: bool = False
    ) -> PointPage:
        """The contact points in the scope, active first, by name; ``query`` searches name,
        code, address and region."""
        query = query.strip()[:60]
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            where: list[Any] = [point_clause(scope)]
            if active_only:
                where.append(col(ContactPoint.active))
            if query:
                like = f"%{query.lower()}%"
                where.append(
                    or_(
                        func.lower(col(ContactPoint.name)).like(like),
                        func.lower(col(ContactPoint.code)).like(like),
                        func.lower(col(ContactPoint.address)).like(like),
                        func.lower(col(ContactPoint.region)).like(like),
                    )
                )
            total = int(
                (
                    await session.execute(
                        select(func.count()).select_from(ContactPoint).where(*where)
                    )
                ).scalar_one()
            )
            pages, page = pages_of(total, page)
            rows = (
                await session.execute(
                    select(ContactPoint)
                    .where(*where)
                    .order_by(
                        col(ContactPoint.active).desc(),
                        col(ContactPoint.name),
                        col(ContactPoint.id),
                    )
                    .offset(page * PAGE_SIZE)
                    .limit(PAGE_SIZE)
                )
            ).scalars()
            lines = [PointLine(pk(p), p.code, p.name, p.region, p.active) for p in rows]
        return PointPage(lines, page, pages, total, query)

    async def card(self, by: By, point_id: int) -> PointCard:
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            point = check_point(scope, await session.get(ContactPoint, point_id))
            return await self._card(session, point)

    async def visit_compliance(self, point_id: int, locale: str) -> list[str] | None:
        """Hook for the visits feature: the point's visit compliance this month, as lines of
        text in ``locale`` (e.g. ``services.visits.compliance_lines`` for this point).
        None shows nothing; it is not wired yet."""
        return None

    async def check_code(self, by: By, code: str) -> str:
        """A code for a new point: valid, and not taken (codes are printed on posters)."""
        code = str(clean_field("code", code))
        async with self.ctx.db.read() as session:
            await acting(session, by)
            if await find_by_code(session, code) is not None:
                raise Invalid("admin.point.code_taken", code=code)
        return code

    async def check_region(self, by: By, region: str) -> str:
        """A region the acting administrator may put a point in."""
        region = clean_region(region)
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
        _inside(scope, region)
        return region

    # ---- changes -----------------------------------------------------------------------

    async def add(self, by: By, new: NewPoint) -> PointCard:
        code = str(clean_field("code", new.code))
        name = str(clean_field("name", new.name))
        region = clean_region(new.region)
        address = str(clean_field("address", new.address))
        lat, lon = clean_location(new.lat, new.lon)
        tz = str(clean_field("tz", new.tz))
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            _inside(scope, region)
            if await find_by_code(session, code) is not None:
                raise Invalid("admin.point.code_taken", code=code)
            point = ContactPoint(
                code=code,
                name=name,
                region=region,
                address=address,
                lat=lat,
                lon=lon,
                tz=tz,
                created_at=now,
            )
            session.add(point)
            await session.flush()
            audit(session, now, scope.user_id, "point:add", f"point:{pk(point)}", code=code)
            return await self._card(session, point)

    async def edit(
        self,
        by: By,
        point_id: int,
        changes: Mapping[str, str],
        *,
        location: tuple[float | None, float | None] | None = None,
    ) -> PointCard:
        """Change any of ``EDITABLE`` (and the location), all or nothing; the code stays as
        first given (it is printed on the posters)."""
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise Invalid("admin.point.bad_field", field=esc(unknown[0]))
        clean: dict[str, Any] = {}
        for field, value in changes.items():
            if field == "radius":
                clean["radius_m"] = clean_radius(value)
            elif field == "region":
                clean["region"] = clean_region(value)
            else:
                clean[field] = clean_field(field, value)
        if location is not None:
            clean["lat"], clean["lon"] = clean_location(*location)
        if not clean:
            raise Invalid("admin.point.nothing_to_change")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            point = check_point(scope, await session.get(ContactPoint, point_id))
            if "region" in clean:
                _inside(scope, clean["region"])  # moving it out of reach would lose it
            for name, value in clean.items():
                setattr(point, name, value)
            fields = sorted(changes) + (["location"] if location is not None else [])
            audit(session, now, scope.user_id, "point:edit", f"point:{point_id}", fields=fields)
            return await self._card(session, point)

    async def set_location(
        self, by: By, point_id: int, lat: float | None, lon: float | None
    ) -> PointCard:
        """Where the point is (shared from the map), or None for no location."""
        return await self.edit(by, point_id, {}, location=(lat, lon))

    async def deactivate(self, by: By, point_id: int) -> Deactivated:
        """The point stops taking cases and is no longer offered; its residents are asked to
        choose another point. Open cases stay with whoever handles them."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            point = check_point(scope, await session.get(ContactPoint, point_id))
            if not point.active:
                raise Invalid("admin.point.already_inactive", point=point.name)
            point.active = False
            round_ = await audit_round(session, "point:deactivate", f"point:{point_id}")
            told = await self._tell_residents(session, point, round_, now)
            audit(
                session,
                now,
                scope.user_id,
                "point:deactivate",
                f"point:{point_id}",
                residents_told=told,
            )
            return Deactivated(await self._card(session, point), told)

    async def reactivate(self, by: By, point_id: int) -> PointCard:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            point = check_point(scope, await session.get(ContactPoint, point_id))
            if point.active:
                raise Invalid("admin.point.already_active", point=point.name)
            point.active = True
            audit(session, now, scope.user_id, "point:activate", f"point:{point_id}")
            return await self._card(session, point)

    async def poster(self, by: By, point_id: int) -> Poster:
        """The printable registration poster (PNG, both languages) and its link."""
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            point = check_point(scope, await session.get(ContactPoint, point_id))
            view = PointView.of(point)
        if not view.active:
            raise Invalid("admin.point.poster_inactive", point=view.name)
        png = await self.points.poster(view)
        return Poster(view.code, view.name, self.points.registration_link(view.code), png)

    async def by_code(self, by: By, code: str) -> PointCard:
        """A point by its code (the CLI names points by code)."""
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            point = await find_by_code(session, code)
            if point is None:
                raise NotFound("point.not_found", code=esc(code))
            check_point(scope, point)
            return await self._card(session, point)

    # ---- helpers -----------------------------------------------------------------------

    async def _card(self, session: AsyncSession, point: ContactPoint) -> PointCard:
        point_id = pk(point)
        cadres = (
            await session.execute(
                select(Staff, User, col(Assignment.is_primary))
                .join(User, col(User.id) == col(Staff.user_id))
                .join(Assignment, col(Assignment.staff_id) == col(Staff.id))
                .where(
                    col(Assignment.contact_point_id) == point_id,
                    col(Assignment.until).is_(None),
                    col(Staff.role).in_((Role.CADRE, Role.ADMIN)),
                )
                .order_by(col(Assignment.is_primary).desc(), col(User.name))
            )
        ).all()
        residents = int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(Residency)
                    .where(col(Residency.contact_point_id) == point_id)
                )
            ).scalar_one()
        )
        load = await case_load(
            session,
            self.ctx.clock.now(),
            col(Case.contact_point_id),
            col(Case.contact_point_id) == point_id,
        )
        open_cases, overdue = load.get(point_id, (0, 0))
        return PointCard(
            id=point_id,
            code=point.code,
            name=point.name,
            region=point.region,
            address=point.address,
            lat=point.lat,
            lon=point.lon,
            radius_m=point.radius_m,
            tz=point.tz,
            active=point.active,
            cadres=[
                PointCadre(pk(staff), user.name, staff.title, bool(primary), staff.active)
                for staff, user, primary in cadres
            ],
            residents=residents,
            open_cases=open_cases,
            overdue=overdue,
        )

    async def _tell_residents(
        self, session: AsyncSession, point: ContactPoint, round_: int, now: Any
    ) -> int:
        """Queue the notice to every reachable resident of the point, a chunk at a time."""
        point_id = pk(point)
        staff_users = select(col(Staff.user_id)).where(col(Staff.active))
        told, cursor = 0, 0
        while True:
            rows = (
                await session.execute(
                    select(col(User.id), col(User.chat_id), col(User.locale))
                    .join(Residency, col(Residency.user_id) == col(User.id))
                    .where(
                        col(Residency.contact_point_id) == point_id,
                        col(User.blocked_at).is_(None),
                        col(User.id).not_in(staff_users),
                        col(User.id) > cursor,
                    )
                    .order_by(col(User.id))
                    .limit(TOLD_CHUNK)
                )
            ).all()
            if not rows:
                return told
            batch = []
            for user_id, chat_id, locale in rows:
                text = self.ctx.texts(locale, "admin.point.closed_notice", point=esc(point.name))
                button = Button(self.ctx.texts(locale, "btn.change_point"), "point_change")
                batch.append(
                    dict(
                        dedupe_key=f"point{point_id}:off{round_}:u{user_id}",
                        chat_id=chat_id,
                        payload=text_message(text, [[button]]),
                        recipient_user_id=user_id,
                    )
                )
            await enqueue_many(session, batch, now)
            told += len(rows)
            cursor = int(rows[-1][0] or 0)


def _inside(scope: Scope, region: str) -> None:
    if not scope.covers(region):
        raise NotAllowed("admin.region_outside", region=esc(region), scope=esc(scope.region or ""))
