"""Contact points: loading them, finding them, and choosing one as a resident."""

from __future__ import annotations

import asyncio
import csv
import io
import math
import re
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Role
from models.tables import Assignment, ContactPoint, Residency, Staff, User
from services.audit import audit
from services.context import Context
from services.errors import Invalid, NotFound

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
COLUMNS = ("code", "name", "region", "address", "lat", "lon")
OPTIONAL_COLUMNS = ("tz",)
# A point is read by most steps of a filing and changes rarely: ``Points.get`` keeps what it
# read per process, like the people and the offered categories. A change committed in this
# process drops it at once (``Database.people_version``: contact points count among what it
# tracks); with Redis, one committed in any process does (``bot/people_signal.py``); one made
# by another process without Redis (the command line) is seen within this many seconds.
# Filing checks the point in its own transaction, so a point kept too long never takes a case
# after it was closed.
POINTS_TTL = 30.0


@dataclass(frozen=True)
class PointView:
    id: int
    code: str
    name: str
    region: str
    address: str
    lat: float | None
    lon: float | None
    tz: str
    active: bool

    @classmethod
    def of(cls, p: ContactPoint) -> PointView:
        assert p.id is not None
        return cls(p.id, p.code, p.name, p.region, p.address, p.lat, p.lon, p.tz, p.active)


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong in an imported file: where, and the catalog message saying what."""

    line: int
    column: str
    key: str
    params: dict[str, Any]


class CsvRejected(Invalid):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("points.csv.rejected", count=len(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def parse_points_csv(text: str, default_tz: str = "Asia/Shanghai") -> list[dict[str, Any]]:
    """Validate a whole file; raise :class:`CsvRejected` listing every problem, or return rows."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text))
    problems: list[RowProblem] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise CsvRejected([RowProblem(1, "", "points.csv.empty", {})]) from None
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        for col in missing:
            problems.append(RowProblem(1, col, "points.csv.missing_column", {"column": col}))
        for col in unknown:
            problems.append(RowProblem(1, col, "points.csv.unknown_column", {"column": col}))
        raise CsvRejected(problems)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(header):
            problems.append(
                RowProblem(line, "", "points.csv.cells", {"expected": len(header), "got": len(raw)})
            )
            continue
        cells = {h: v.strip() for h, v in zip(header, raw, strict=True)}
        row, row_problems = _validate_row(cells, line, default_tz)
        problems.extend(row_problems)
        # Every problem of every row: a repeated code is said even when the row has others.
        code = cells["code"].lower()
        if code and code in seen:
            problems.append(
                RowProblem(
                    line,
                    "code",
                    "points.csv.duplicate",
                    {"code": cells["code"], "other": seen[code]},
                )
            )
            continue
        if code:
            seen[code] = line
        if row is not None:
            rows.append(row)
    if problems:
        raise CsvRejected(problems)
    return rows


def _number(
    cells: dict[str, str], col: str, low: float, high: float, line: int, problems: list[RowProblem]
) -> float | None:
    value = cells[col]
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        problems.append(RowProblem(line, col, "points.csv.not_number", {"value": value}))
        return None
    if not (low <= number <= high) or math.isnan(number):
        problems.append(
            RowProblem(
                line, col, "points.csv.out_of_range", {"value": value, "low": low, "high": high}
            )
        )
        return None
    return number


def _validate_row(
    cells: dict[str, str], line: int, default_tz: str
) -> tuple[dict[str, Any] | None, list[RowProblem]]:
    problems: list[RowProblem] = []
    code, name = cells["code"], cells["name"]
    if not CODE_RE.match(code):
        problems.append(RowProblem(line, "code", "points.csv.bad_code", {"value": code}))
    if not name or len(name) > 100:
        problems.append(RowProblem(line, "name", "points.csv.bad_name", {}))
    lat = _number(cells, "lat", -90, 90, line, problems)
    lon = _number(cells, "lon", -180, 180, line, problems)
    if bool(cells["lat"]) != bool(cells["lon"]):  # said whatever else is wrong in the row
        col = "lon" if cells["lat"] else "lat"
        problems.append(RowProblem(line, col, "points.csv.half_location", {}))
    tz = cells.get("tz") or default_tz
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(RowProblem(line, "tz", "points.csv.bad_tz", {"value": tz}))
    if problems:
        return None, problems
    return {
        "code": code,
        "name": name,
        "region": cells["region"][:100],
        "address": cells["address"][:200],
        "lat": lat,
        "lon": lon,
        "tz": tz,
    }, []


class Points:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # (people_version when first read, time.monotonic() then, the points read since)
        self._kept: tuple[int, float, dict[int, PointView]] = (-1, 0.0, {})

    def registration_link(self, code: str) -> str:
        return f"https://t.me/{self.ctx.config.bot_username}?start=cp_{code}"

    async def poster(self, point: PointView, link: str | None = None) -> bytes:
        """The printable registration poster, in both languages whatever the reader's; its QR
        code is Telegram's deep link, or ``link`` (the WeChat account's code for the point)."""
        texts = self.ctx.texts
        lines = [texts(locale, "poster.scan") for locale in texts.locales]
        lines += [texts(locale, "poster.then") for locale in texts.locales]
        footer = " · ".join(part for part in (point.code, point.address) if part)
        # Rendering takes a good fraction of a second: keep it off the event loop. Pillow and
        # qrcode are imported here, not by every command that lists points.
        from services.posters import render_poster

        return await asyncio.to_thread(
            render_poster,
            title=point.name,
            lines=lines,
            link=link or self.registration_link(point.code),
            footer=footer,
        )

    async def import_csv(self, text: str, actor_user_id: int | None = None) -> ImportReport:
        """Upsert points by code; a file with any bad row imports nothing."""
        rows = parse_points_csv(text)
        now = self.ctx.clock.now()
        created = updated = 0
        async with self.ctx.db.write() as session:
            existing = {
                p.code.lower(): p for p in (await session.execute(select(ContactPoint))).scalars()
            }
            for row in rows:
                point = existing.get(row["code"].lower())
                if point is None:
                    session.add(ContactPoint(**row, created_at=now))
                    created += 1
                else:
                    for key, value in row.items():
                        if key != "code":  # printed posters carry the code as first stored
                            setattr(point, key, value)
                    updated += 1
            audit(
                session, now, actor_user_id, "points:import", "", created=created, updated=updated
            )
        return ImportReport(created, updated)

    async def all(self, *, active_only: bool = False) -> list[PointView]:
        async with self.ctx.db.read() as session:
            stmt = select(ContactPoint).order_by(col(ContactPoint.region), col(ContactPoint.code))
            if active_only:
                stmt = stmt.where(col(ContactPoint.active))
            return [PointView.of(p) for p in (await session.execute(stmt)).scalars()]

    async def by_code(self, code: str) -> PointView:
        async with self.ctx.db.read() as session:
            point = await find_by_code(session, code)
        if point is None:
            raise NotFound("point.not_found", code=code)
        return PointView.of(point)

    async def get(self, point_id: int) -> PointView:
        """A point by id (kept: see ``POINTS_TTL``)."""
        db = self.ctx.db
        version, since, kept = self._kept
        if version != db.people_version or time.monotonic() - since >= POINTS_TTL:
            version, kept = db.people_version, {}  # read before loading: a change during it wins
            self._kept = (version, time.monotonic(), kept)
        view = kept.get(point_id)
        if view is not None:
            return view
        # A session of its own, not the update's: the update's read snapshot may predate a
        # change this process has just committed (and counted).
        async with db.sessions() as session:
            point = await session.get(ContactPoint, point_id)
        if point is None:
            raise NotFound("point.not_found", code=str(point_id))
        view = PointView.of(point)
        if self._kept[0] == version:
            kept[point_id] = view
        return view

    async def search(self, query: str, limit: int = 8) -> list[PointView]:
        query = query.strip()[:60]
        if not query:
            return []
        like = f"%{query.lower()}%"
        async with self.ctx.db.read() as session:
            stmt = (
                select(ContactPoint)
                .where(col(ContactPoint.active))
                .where(
                    or_(
                        func.lower(col(ContactPoint.name)).like(like),
                        func.lower(col(ContactPoint.code)).like(like),
                        func.lower(col(ContactPoint.address)).like(like),
                        func.lower(col(ContactPoint.region)).like(like),
                    )
                )
                .order_by(col(ContactPoint.name))
                .limit(limit)
            )
            return [PointView.of(p) for p in (await session.execute(stmt)).scalars()]

    async def nearest(
        self, lat: float, lon: float, limit: int = 5
    ) -> list[tuple[PointView, float]]:
        ranked = [
            (p, distance_m(lat, lon, p.lat, p.lon))
            for p in await self.all(active_only=True)
            if p.lat is not None and p.lon is not None
        ]
        ranked.sort(key=lambda pair: pair[1])
        return ranked[:limit]

    async def choose(self, user_id: int, point_id: int) -> PointView:
        """Make ``point_id`` the resident's one current contact point."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            point = await session.get(ContactPoint, point_id)
            if point is None or not point.active:
                raise NotFound("point.not_found", code=str(point_id))
            residency = await residency_of(session, user_id)
            if residency is None:
                session.add(Residency(user_id=user_id, contact_point_id=point_id, since=now))
            elif residency.contact_point_id != point_id:
                residency.contact_point_id, residency.since = point_id, now
            return PointView.of(point)

    async def served_by(self, user_id: int) -> list[PointView]:
        """The contact points a staff member is currently assigned to."""
        async with self.ctx.db.read() as session:
            rows = await session.execute(
                select(ContactPoint)
                .join(Assignment, col(Assignment.contact_point_id) == col(ContactPoint.id))
                .join(Staff, col(Staff.id) == col(Assignment.staff_id))
                .where(col(Staff.user_id) == user_id, col(Assignment.until).is_(None))
                .order_by(col(ContactPoint.name))
            )
            return [PointView.of(p) for p in rows.scalars()]

    async def cadre_names(self, point_id: int) -> list[str]:
        async with self.ctx.db.read() as session:
            stmt = (
                select(col(User.name))
                .join(Staff, col(Staff.user_id) == col(User.id))
                .join(Assignment, col(Assignment.staff_id) == col(Staff.id))
                .where(
                    col(Assignment.contact_point_id) == point_id,
                    col(Assignment.until).is_(None),
                    col(Staff.active),
                    col(Staff.role).in_((Role.CADRE, Role.ADMIN)),
                )
                .order_by(col(Assignment.is_primary).desc())
            )
            return [str(n) for n in (await session.execute(stmt)).scalars()]


async def residency_of(session: AsyncSession, user_id: int) -> Residency | None:
    """Where the resident lives now (their one current contact point), if they chose one."""
    stmt = select(Residency).where(col(Residency.user_id) == user_id)
    return (await session.execute(stmt)).scalar()


async def point_of_resident(session: AsyncSession, user_id: int) -> ContactPoint:
    """The resident's contact point; one who has not chosen it yet is asked to first."""
    residency = await residency_of(session, user_id)
    if residency is None:
        raise Invalid("filing.no_point")
    point = await session.get(ContactPoint, residency.contact_point_id)
    assert point is not None
    return point


async def find_by_code(session: AsyncSession, code: str) -> ContactPoint | None:
    stmt = select(ContactPoint).where(func.lower(col(ContactPoint.code)) == code.strip().lower())
    return (await session.execute(stmt)).scalar()
