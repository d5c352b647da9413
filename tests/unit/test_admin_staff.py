"""Administrators and staff: invitations, assignments and primaries, suspending and removing
someone (their open cases re-routed by the normal rules, the first receiver kept)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from models.tables import Assignment, AuditLog, Case, CaseEvent, ContactPoint, Outbox, Staff
from services.admin_access import Operator
from services.administration import Administration
from services.app import Services
from services.errors import Invalid, NotAllowed
from tests.conftest import ADMIN_TG
from tests.factories import Person, file_case, load_points, register, resident, staff

REGIONS = """code,name,region,address,lat,lon,tz
XH01,Xinhua Street,Wuhu/Jinghu,12 Xinhua Rd,31.3526,118.3764,Asia/Shanghai
JH02,Jinghu Lake,Wuhu/Jinghu,1 Lakeside,31.3400,118.3700,Asia/Shanghai
YJ03,Yijiang Village,Wuhu/Yijiang,Village Hall,31.3000,118.4000,Asia/Shanghai
"""


@pytest.fixture
def services(services_on_both: Services) -> Services:
    """Every test here runs on SQLite and on PostgreSQL."""
    return services_on_both


def office(services: Services) -> Administration:
    return Administration(services.ctx)


async def sid(services: Services, person: Person) -> int:
    async with services.ctx.db.read() as session:
        found = await session.execute(select(Staff.id).where(col(Staff.user_id) == person.user_id))
        return int(found.scalar_one())


async def pid(services: Services, code: str) -> int:
    async with services.ctx.db.read() as session:
        found = await session.execute(select(ContactPoint.id).where(col(ContactPoint.code) == code))
        return int(found.scalar_one())


async def cases(services: Services) -> list[Case]:
    async with services.ctx.db.read() as session:
        return list((await session.execute(select(Case).order_by(col(Case.id)))).scalars())


async def test_the_staff_list_is_scoped_and_shows_points_and_load(services: Services) -> None:
    await load_points(services, REGIONS)
    await staff(services, "Li Wei", point="XH01")
    chen = await staff(services, "Chen Gang", point="YJ03")
    jinghu = await staff(services, "Wu Min", "admin", None, region="Wuhu/Jinghu")
    await staff(services, "Boss", "admin", None)  # everywhere: not inside a region
    await staff(services, "Qin", "inspector", None, region="Wuhu/Jinghu/Lake")
    res = await resident(services, "Zhang")
    await file_case(services, res)
    services.ctx.clock.advance(hours=25)  # type: ignore[attr-defined]
    page = await office(services).staff.page(jinghu.user_id)
    assert sorted(s.name for s in page.staff) == ["Li Wei", "Qin", "Wu Min"]
    line = next(s for s in page.staff if s.name == "Li Wei")
    assert [(p.code, p.primary) for p in line.points] == [("XH01", True)]
    assert (line.open_cases, line.overdue, line.status) == (1, 1, "active")
    assert (await office(services).staff.page(Operator())).total == 5
    with pytest.raises(NotAllowed) as refused:
        await office(services).staff.get(jinghu.user_id, await sid(services, chen))
    assert refused.value.key == "admin.out_of_scope"


async def test_invitations_follow_the_scope(services: Services) -> None:
    await load_points(services, REGIONS)
    jinghu = await staff(services, "Wu Min", "admin", None, region="Wuhu/Jinghu")
    invites = office(services).staff
    by = jinghu.user_id
    with pytest.raises(Invalid) as refused:
        await invites.invite(by, "cadre")
    assert refused.value.key == "admin.invite.point_needed"
    with pytest.raises(NotAllowed):
        await invites.invite(by, "cadre", point_id=await pid(services, "YJ03"))
    with pytest.raises(NotAllowed) as not_yours:
        await invites.invite(by, "admin", region="Wuhu")
    assert not_yours.value.key == "admin.region_outside"
    with pytest.raises(Invalid):
        await invites.invite(by, "inspector", point_code="XH01")
    with pytest.raises(Invalid):
        await invites.invite(by, "resident")
    # An administrator without a region given gets the inviting one's whole region.
    link = await invites.invite(by, "admin")
    newcomer = await register(services, "Sun")
    await services.staff.redeem(newcomer.user_id, link.link.split("start=inv_", 1)[1])
    cadre_link = await invites.invite(by, "cadre", point_code="jh02", ttl_hours=2)
    assert cadre_link.point_name == "Jinghu Lake"
    assert cadre_link.expires_at == services.ctx.clock.now() + timedelta(hours=2)
    async with services.ctx.db.read() as session:
        row = (
            await session.execute(select(Staff).where(col(Staff.user_id) == newcomer.user_id))
        ).scalar_one()
        created_by = (
            (
                await session.execute(
                    select(AuditLog.actor_user_id).where(col(AuditLog.action) == "invite:create")
                )
            )
            .scalars()
            .all()
        )
    assert (row.role, row.region) == ("admin", "Wuhu/Jinghu")
    assert created_by.count(jinghu.user_id) == 2  # refused invitations leave no trace


async def test_assign_primary_and_unassign(services: Services) -> None:
    await load_points(services, REGIONS)
    li = await staff(services, "Li Wei", point="XH01")
    wang = await staff(services, "Wang Fang", point="JH02")
    inspector = await staff(services, "Qin", "inspector", None, region="Wuhu")
    admin = office(services).staff
    xh01 = await pid(services, "XH01")
    line = await admin.assign(Operator(), await sid(services, wang), xh01)
    assert [(p.code, p.primary) for p in line.points] == [("JH02", True), ("XH01", False)]
    with pytest.raises(Invalid) as refused:
        await admin.assign(Operator(), await sid(services, wang), xh01)
    assert refused.value.key == "admin.staff.already_assigned"
    with pytest.raises(Invalid) as refused:
        await admin.assign(Operator(), await sid(services, inspector), xh01)
    assert refused.value.key == "admin.staff.not_assignable"
    line = await admin.make_primary(Operator(), await sid(services, wang), xh01)
    assert ("XH01", True) in [(p.code, p.primary) for p in line.points]
    assert not (await admin.get(Operator(), await sid(services, li))).points[0].primary
    # The primary leaves: the longest-serving other cadre becomes primary again.
    await admin.unassign(Operator(), await sid(services, wang), xh01)
    assert (await admin.get(Operator(), await sid(services, li))).points[0].primary
    with pytest.raises(Invalid) as refused:
        await admin.unassign(Operator(), await sid(services, wang), xh01)
    assert refused.value.key == "admin.staff.not_assigned"
    keys = [r.dedupe_key for r in await _outbox(services, f"staff{await sid(services, wang)}:%")]
    assert keys == [
        f"staff{await sid(services, wang)}:staff:assign:1",
        f"staff{await sid(services, wang)}:staff:primary:1",
        f"staff{await sid(services, wang)}:staff:unassign:1",
    ]


async def test_suspending_reroutes_open_cases_and_keeps_the_first_receiver(
    services: Services,
) -> None:
    await load_points(services, REGIONS)
    li = await staff(services, "Li Wei", point="XH01")
    wang = await staff(services, "Wang Fang", point="XH01")
    boss = await staff(services, "Zhou", "admin", None)
    res = await resident(services, "Zhang")
    first = await file_case(services, res, "No water")
    second = await file_case(services, res, "No light")
    await services.lifecycle.accept(li.user_id, first)
    closed = await file_case(services, res, "Old one")
    async with services.ctx.db.write() as session:
        old = await session.get(Case, closed)
        assert old is not None
        old.status = "closed"
    li_id, wang_id = await sid(services, li), await sid(services, wang)
    done = await office(services).staff.suspend(boss.user_id, li_id)
    assert (done.cases, done.unowned, done.staff.status) == (2, 0, "suspended")
    by_id = {c.id: c for c in await cases(services)}
    for case_id in (first, second):
        assert by_id[case_id].assignee_id == wang_id
        assert by_id[case_id].first_receiver_id == li_id
        assert by_id[case_id].status == "new"
    assert by_id[closed].assignee_id == li_id  # a closed case stays as it was
    cards = [r for r in await _outbox(services, "ev%:card") if r.recipient_user_id == wang.user_id]
    assert len(cards) == 2
    assert cards[-1].payload["text"].startswith("🔁 <b>Case ")
    assert "No light" in cards[-1].payload["text"]
    told = [r.payload["text"] for r in await _outbox(services, "case%:ev%:resident")]
    # Each resident hears it as what it is: their cadre no longer serves, not a transfer.
    assert sum("is now with Wang Fang" in x for x in told) == 2
    assert not any("transferred" in x for x in told)
    # Their buttons end at once: the use cases refuse them.
    with pytest.raises(NotAllowed) as refused:
        await services.lifecycle.accept(li.user_id, second)
    assert refused.value.key == "staff.only"
    actor = await services.people.actor(li.tg_id, li.tg_id, "Li Wei", None)
    assert actor.role == "resident"
    async with services.ctx.db.read() as session:
        events = (
            (await session.execute(select(CaseEvent).where(col(CaseEvent.type) == "rerouted")))
            .scalars()
            .all()
        )
        logs = (
            (
                await session.execute(
                    select(AuditLog.action).where(
                        col(AuditLog.actor_user_id) == boss.user_id,
                        col(AuditLog.action) != "invite:redeem",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert len(events) == 2 and all(e.actor_user_id is None for e in events)
    assert sorted(logs) == ["case:reroute", "case:reroute", "staff:suspend"]
    with pytest.raises(Invalid):
        await office(services).staff.suspend(boss.user_id, li_id)
    back = await office(services).staff.reinstate(boss.user_id, li_id)
    assert back.status == "active" and back.points[0].code == "XH01"


async def test_removing_the_last_cadre_hands_cases_to_the_fallback_owner(
    services: Services,
) -> None:
    await load_points(services, REGIONS)
    li = await staff(services, "Li Wei", point="XH01")
    jinghu = await staff(services, "Wu Min", "admin", None, region="Wuhu/Jinghu")
    res = await resident(services, "Zhang")
    case_id = await file_case(services, res)
    li_id = await sid(services, li)
    done = await office(services).staff.remove(jinghu.user_id, li_id)
    assert (done.cases, done.unowned, done.staff.status, done.staff.points) == (1, 0, "removed", [])
    (case,) = await cases(services)
    assert case.id == case_id and case.assignee_id == await sid(services, jinghu)
    assert case.first_receiver_id == li_id
    async with services.ctx.db.read() as session:
        current = (
            (await session.execute(select(Assignment).where(col(Assignment.until).is_(None))))
            .scalars()
            .all()
        )
    assert current == []
    with pytest.raises(Invalid) as refused:
        await office(services).staff.reinstate(Operator(), li_id)
    assert refused.value.key == "admin.staff.removed"
    # Serving no point in the region any more, they are out of the regional one's reach.
    with pytest.raises(NotAllowed):
        await office(services).staff.reinstate(jinghu.user_id, li_id)
    assert li_id not in [s.id for s in (await office(services).staff.page(Operator())).staff]
    assert li_id in [
        s.id for s in (await office(services).staff.page(Operator(), removed=True)).staff
    ]


async def test_nobody_left_to_route_to_leaves_the_case_unowned(services: Services) -> None:
    await load_points(services, REGIONS)
    li = await staff(services, "Li Wei", point="YJ03")
    res = await resident(services, "Zhang", "YJ03")
    await file_case(services, res)
    done = await office(services).staff.remove(Operator(), await sid(services, li))
    assert (done.cases, done.unowned) == (1, 1)
    assert (await cases(services))[0].assignee_id is None


async def test_what_an_administrator_may_not_end(services: Services) -> None:
    await load_points(services, REGIONS)
    jinghu = await staff(services, "Wu Min", "admin", None, region="Wuhu/Jinghu")
    chen = await staff(services, "Chen Gang", point="YJ03")
    boss = await staff(services, "Boss", "admin", None)
    settings_admin = await register(services, "Settings", tg_id=ADMIN_TG)
    staff_ = office(services).staff
    with pytest.raises(Invalid) as refused:
        await staff_.suspend(jinghu.user_id, await sid(services, jinghu))
    assert refused.value.key == "admin.staff.not_yourself"
    for target in (chen, boss):  # another region's cadre; an administrator of everything
        with pytest.raises(NotAllowed) as out_of_scope:
            await staff_.remove(jinghu.user_id, await sid(services, target))
        assert out_of_scope.value.key == "admin.out_of_scope"
    with pytest.raises(NotAllowed) as from_settings:
        await staff_.suspend(Operator(), await sid(services, settings_admin))
    assert from_settings.value.key == "admin.staff.from_settings"
    async with services.ctx.db.read() as session:
        assert all(s.active for s in (await session.execute(select(Staff))).scalars())


async def _outbox(services: Services, key_like: str) -> list[Outbox]:
    async with services.ctx.db.read() as session:
        rows = await session.execute(
            select(Outbox).where(col(Outbox.dedupe_key).like(key_like)).order_by(col(Outbox.id))
        )
        return list(rows.scalars())
