"""Administrators and contact points: scope, the import's rules, deactivation's fan-out."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from models.tables import AuditLog, Case, ContactPoint, Outbox, Staff, User
from services.admin_access import Operator
from services.admin_points import NewPoint
from services.administration import Administration
from services.app import Services
from services.errors import Invalid, NotAllowed, NotFound
from tests.factories import file_case, load_points, resident, staff

NESTED = """code,name,region,address,lat,lon,tz
XH01,Xinhua Street,Wuhu/Jinghu,12 Xinhua Rd,31.3526,118.3764,Asia/Shanghai
JH02,Jinghu Lake,Wuhu/Jinghu/Lake,1 Lakeside,31.3400,118.3700,Asia/Shanghai
YJ03,Yijiang Village,Wuhu/Yijiang,Village Hall,31.3000,118.4000,Asia/Shanghai
JX04,Jinghu Extra,Wuhu/Jinghuxi,Far away,,,Asia/Shanghai
"""


@pytest.fixture
def services(services_on_both: Services) -> Services:
    """Every test here runs on SQLite and on PostgreSQL."""
    return services_on_both


def admin_of(services: Services) -> Administration:
    return Administration(services.ctx)


async def point(services: Services, code: str) -> ContactPoint:
    async with services.ctx.db.read() as session:
        return (
            await session.execute(select(ContactPoint).where(col(ContactPoint.code) == code))
        ).scalar_one()


async def test_a_regional_administrator_lists_and_searches_their_points_only(
    services: Services,
) -> None:
    await load_points(services, NESTED)
    jinghu = await staff(services, "Wu Min", "admin", None, region="Wuhu/Jinghu")
    admin = admin_of(services)
    listed = await admin.points.page(jinghu.user_id)
    # Sub-regions are inside; a sibling whose name merely starts the same is not.
    assert sorted(p.code for p in listed.points) == ["JH02", "XH01"]
    assert (await admin.points.page(jinghu.user_id, query="lake")).points[0].code == "JH02"
    assert (await admin.points.page(jinghu.user_id, query="village")).points == []
    everything = await admin.points.page(Operator())
    assert everything.total == 4
    # A page past the end shows the last one.
    assert (await admin.points.page(Operator(), page=9)).page == 0


async def test_only_active_administrators_manage_points(services: Services) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    other = await staff(services, "Wu Min", "admin", None)
    admin = admin_of(services)
    xh01 = await point(services, "XH01")
    assert xh01.id is not None
    with pytest.raises(NotAllowed) as refused:
        await admin.points.card(cadre.user_id, xh01.id)
    assert refused.value.key == "admin.only"
    await admin.staff.suspend(Operator(), (await _staff_id(services, other.user_id)))
    with pytest.raises(NotAllowed):
        await admin.points.deactivate(other.user_id, xh01.id)
    assert (await point(services, "XH01")).active


async def test_out_of_scope_points_are_refused_in_every_use_case(services: Services) -> None:
    await load_points(services, NESTED)
    jinghu = await staff(services, "Wu Min", "admin", None, region="Wuhu/Jinghu")
    admin, by = admin_of(services), jinghu.user_id
    yj03 = (await point(services, "YJ03")).id
    assert yj03 is not None
    attempts = [
        admin.points.card(by, yj03),
        admin.points.edit(by, yj03, {"name": "Mine now"}),
        admin.points.set_location(by, yj03, 1.0, 2.0),
        admin.points.deactivate(by, yj03),
        admin.points.poster(by, yj03),
        admin.points.by_code(by, "YJ03"),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed) as refused:
            await attempt
        assert refused.value.key == "admin.out_of_scope"
    unchanged = await point(services, "YJ03")
    assert (unchanged.name, unchanged.lat, unchanged.active) == ("Yijiang Village", 31.3, True)
    # Nor can a point be moved out of their reach, or added outside it.
    xh01 = (await point(services, "XH01")).id
    assert xh01 is not None
    with pytest.raises(NotAllowed) as refused:
        await admin.points.edit(by, xh01, {"region": "Wuhu/Yijiang"})
    assert refused.value.key == "admin.region_outside"
    with pytest.raises(NotAllowed):
        await admin.points.add(by, NewPoint("ZZ09", "Elsewhere", region="Wuhu"))
    assert (await point(services, "XH01")).region == "Wuhu/Jinghu"


async def test_adding_checks_every_field_like_the_import(services: Services) -> None:
    await load_points(services)
    admin = admin_of(services)
    bad = [
        (NewPoint("XH 01", "A name"), "points.csv.bad_code"),
        (NewPoint("OK01", ""), "points.csv.bad_name"),
        (NewPoint("OK01", "A name", lat=31.0), "points.csv.half_location"),
        (NewPoint("OK01", "A name", lat=91.0, lon=10.0), "points.csv.out_of_range"),
        (NewPoint("OK01", "A name", tz="Mars/Olympus"), "points.csv.bad_tz"),
        (NewPoint("xh01", "A name"), "admin.point.code_taken"),  # codes ignore case
    ]
    for new, key in bad:
        with pytest.raises(Invalid) as refused:
            await admin.points.add(Operator(), new)
        assert refused.value.key == key
    card = await admin.points.add(
        Operator(), NewPoint(" RS05 ", " Riverside ", "/Wuhu/Jinghu/", "", 31.2, 118.1, "UTC")
    )
    assert (card.code, card.name, card.region, card.lat, card.tz, card.active) == (
        "RS05",
        "Riverside",
        "Wuhu/Jinghu",
        31.2,
        "UTC",
        True,
    )
    async with services.ctx.db.read() as session:
        log = (
            await session.execute(select(AuditLog).where(col(AuditLog.action) == "point:add"))
        ).scalar_one()
    assert (log.actor_user_id, log.target, log.detail) == (
        None,
        f"point:{card.id}",
        {"code": "RS05"},
    )


async def test_editing_is_all_or_nothing_and_keeps_the_code(services: Services) -> None:
    await load_points(services)
    boss = await staff(services, "Zhou", "admin", None)
    admin = admin_of(services)
    xh01 = (await point(services, "XH01")).id
    assert xh01 is not None
    with pytest.raises(Invalid) as refused:
        await admin.points.edit(boss.user_id, xh01, {"name": "New name", "radius": "5"})
    assert refused.value.key == "admin.point.bad_radius"
    assert (await point(services, "XH01")).name == "Xinhua Street"
    with pytest.raises(Invalid):
        await admin.points.edit(boss.user_id, xh01, {"code": "NEW1"})
    card = await admin.points.edit(
        boss.user_id, xh01, {"name": "New name", "radius": "800", "tz": "Asia/Urumqi"}
    )
    assert (card.code, card.name, card.radius_m, card.tz) == (
        "XH01",
        "New name",
        800,
        "Asia/Urumqi",
    )
    card = await admin.points.set_location(boss.user_id, xh01, None, None)
    assert not card.has_location
    async with services.ctx.db.read() as session:
        details = [
            log.detail
            for log in (
                await session.execute(
                    select(AuditLog)
                    .where(col(AuditLog.action) == "point:edit")
                    .order_by(col(AuditLog.id))
                )
            ).scalars()
        ]
    assert details == [{"fields": ["name", "radius", "tz"]}, {"fields": ["location"]}]


async def test_a_point_card_counts_residents_open_and_overdue_cases(services: Services) -> None:
    await load_points(services)
    await staff(services, "Li Wei")
    await staff(services, "Wang Fang")
    first = await resident(services, "Zhang")
    second = await resident(services, "Zhao")
    await resident(services, "Qian", "JH02")
    await file_case(services, first)
    done = await file_case(services, second)
    admin = admin_of(services)
    xh01 = (await point(services, "XH01")).id
    assert xh01 is not None
    async with services.ctx.db.write() as session:
        closed = await session.get(Case, done)
        assert closed is not None
        closed.status = "closed"
    card = await admin.points.card(Operator(), xh01)
    assert [(c.name, c.primary) for c in card.cadres] == [("Li Wei", True), ("Wang Fang", False)]
    assert (card.residents, card.open_cases, card.overdue) == (2, 1, 0)
    services.ctx.clock.advance(hours=25)  # type: ignore[attr-defined]
    assert (await admin.points.card(Operator(), xh01)).overdue == 1
    assert await admin.points.visit_compliance(xh01, "en") is None


async def test_deactivating_tells_each_resident_once_and_keeps_open_cases(
    services: Services,
) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    zh = await resident(services, "Zhang", locale="zh_Hans")
    en = await resident(services, "Zhao")
    blocked = await resident(services, "Sun")
    elsewhere = await resident(services, "Qian", "JH02")
    # A staff member registered at the point is not told: they have no point to choose.
    admin_res = await staff(services, "Zhou", "admin", None)
    xh01 = await point(services, "XH01")
    assert xh01.id is not None
    await services.points.choose(admin_res.user_id, xh01.id)
    case_id = await file_case(services, en)
    async with services.ctx.db.write() as session:
        user = await session.get(User, blocked.user_id)
        assert user is not None
        user.blocked_at = services.ctx.clock.now()
    admin = admin_of(services)
    done = await admin.points.deactivate(admin_res.user_id, xh01.id)
    assert done.residents_told == 2 and not done.point.active
    rows = await _outbox(services, "point%")
    assert {r.recipient_user_id for r in rows} == {zh.user_id, en.user_id}
    by_user = {r.recipient_user_id: r.payload for r in rows}
    assert by_user[zh.user_id]["text"].startswith("📍 <b>Xinhua Street</b> 已停止受理新诉求")
    assert by_user[en.user_id]["buttons"] == [
        [{"label": "Change contact point", "action": "point_change", "ref": 0}]
    ]
    assert elsewhere.user_id not in by_user
    async with services.ctx.db.read() as session:
        case = await session.get(Case, case_id)
        assert case is not None
    assert case.assignee_id == await _staff_id(services, cadre.user_id)
    assert case.status == "new"
    with pytest.raises(Invalid) as refused:
        await admin.points.deactivate(admin_res.user_id, xh01.id)
    assert refused.value.key == "admin.point.already_inactive"
    with pytest.raises(Invalid):
        await admin.points.poster(admin_res.user_id, xh01.id)
    # Reactivated and deactivated again later: told again, not mistaken for a repeat.
    await admin.points.reactivate(admin_res.user_id, xh01.id)
    again = await admin.points.deactivate(admin_res.user_id, xh01.id)
    assert again.residents_told == 2
    assert len(await _outbox(services, "point%")) == 4


async def test_the_poster_is_a_png_with_the_registration_link(services: Services) -> None:
    await load_points(services)
    jh02 = (await point(services, "JH02")).id
    assert jh02 is not None
    poster = await admin_of(services).points.poster(Operator(), jh02)
    assert poster.png.startswith(b"\x89PNG")
    assert poster.link == "https://t.me/cp_test_bot?start=cp_JH02"
    with pytest.raises(NotFound):
        await admin_of(services).points.card(Operator(), 9999)


async def _outbox(services: Services, key_like: str) -> list[Outbox]:
    async with services.ctx.db.read() as session:
        rows = await session.execute(
            select(Outbox).where(col(Outbox.dedupe_key).like(key_like)).order_by(col(Outbox.id))
        )
        return list(rows.scalars())


async def _staff_id(services: Services, user_id: int) -> int:
    async with services.ctx.db.read() as session:
        found = await session.execute(select(Staff.id).where(col(Staff.user_id) == user_id))
        return int(found.scalar_one())
