"""Contact points: importing a CSV (all or nothing), search, nearest, choosing one."""

from __future__ import annotations

import pytest

from services.app import Services
from services.points import CsvRejected, distance_m, parse_points_csv
from tests.factories import POINTS_CSV, load_points, register


def problems(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(CsvRejected) as rejected:
        parse_points_csv(text)
    return [(p.line, p.column, p.key) for p in rejected.value.problems]


def test_a_good_file_parses() -> None:
    rows = parse_points_csv("\ufeff" + POINTS_CSV)
    assert [r["code"] for r in rows] == ["XH01", "JH02", "YJ03"]
    assert rows[0]["lat"] == pytest.approx(31.3526)


def test_tz_is_optional() -> None:
    rows = parse_points_csv("code,name,region,address,lat,lon\nA1,Alpha,R,Addr,,\n")
    assert rows[0]["tz"] == "Asia/Shanghai" and rows[0]["lat"] is None


def test_every_bad_row_is_reported_with_line_and_column() -> None:
    text = (
        "code,name,region,address,lat,lon,tz\n"
        "OK1,Fine,R,A,31,118,Asia/Shanghai\n"
        "bad code,Name,R,A,31,118,Asia/Shanghai\n"
        "X2,,R,A,95,118,Mars/Olympus\n"
        "X3,Name,R,A,abc,118,\n"
        "OK1,Again,R,A,31,118,\n"
        "X4,Name,R,A,31\n"
        "X5,Name,R,A,31,,\n"
    )
    assert problems(text) == [
        (3, "code", "points.csv.bad_code"),
        (4, "name", "points.csv.bad_name"),
        (4, "lat", "points.csv.out_of_range"),
        (4, "tz", "points.csv.bad_tz"),
        (5, "lat", "points.csv.not_number"),
        (6, "code", "points.csv.duplicate"),
        (7, "", "points.csv.cells"),
        (8, "lon", "points.csv.half_location"),
    ]


def test_header_problems() -> None:
    assert problems("") == [(1, "", "points.csv.empty")]
    assert problems("code,name,lat,lon,colour\n") == [
        (1, "region", "points.csv.missing_column"),
        (1, "address", "points.csv.missing_column"),
        (1, "colour", "points.csv.unknown_column"),
    ]


async def test_a_bad_file_imports_nothing(services: Services) -> None:
    bad = POINTS_CSV + "ZZ9,Broken,R,A,1000,0,\n"
    with pytest.raises(CsvRejected):
        await services.points.import_csv(bad)
    assert await services.points.all() == []


async def test_import_upserts_by_code(services: Services) -> None:
    await load_points(services)
    report = await services.points.import_csv(
        "code,name,region,address,lat,lon\nxh01,Xinhua Street Office,Jinghu,New Rd,31.35,118.37\n"
        "NEW1,New Point,Jinghu,Somewhere,,\n"
    )
    assert (report.created, report.updated) == (1, 1)
    points = {p.code: p for p in await services.points.all()}
    assert points["XH01"].name == "Xinhua Street Office" and len(points) == 4


async def test_search_and_nearest(services: Services) -> None:
    await load_points(services)
    assert [p.code for p in await services.points.search("xinhua")] == ["XH01"]
    assert [p.code for p in await services.points.search("yj0")] == ["YJ03"]
    assert await services.points.search("   ") == []
    near = await services.points.nearest(31.3001, 118.4001)
    assert near[0][0].code == "YJ03" and near[0][1] < 50
    assert [p.code for p, _ in near] == ["YJ03", "JH02", "XH01"]


async def test_choose_sets_one_current_point(services: Services) -> None:
    await load_points(services)
    person = await register(services, "Zhang San")
    xh, jh = await services.points.by_code("XH01"), await services.points.by_code("jh02")
    await services.points.choose(person.user_id, xh.id)
    await services.points.choose(person.user_id, jh.id)
    actor = await services.people.actor(person.tg_id, person.tg_id, "Zhang San", None)
    assert actor.point_id == jh.id


def test_distance() -> None:
    # Shanghai to Beijing is about 1,067 km.
    assert distance_m(31.2304, 121.4737, 39.9042, 116.4074) == pytest.approx(1_067_000, rel=0.01)
