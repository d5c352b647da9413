"""The case clock on the services: reminders planned once and sent once — after a restart and
with two schedulers — on SQLite and PostgreSQL; figures as defined."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from models.tables import Outbox, Reminder
from services.app import Services
from services.clock import FakeClock
from services.figures import Period
from services.reminders import Reminders
from tests.factories import load_points, resident, staff
from tests.unit.test_cases import file, text


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


async def texts_to(services: Services, chat_id: int) -> list[str]:
    async with services.ctx.db.read() as session:
        rows = (
            await session.execute(
                select(Outbox).where(Outbox.chat_id == chat_id).order_by(Outbox.id)
            )
        ).scalars()
        return [r.payload.get("text", "") for r in rows if r.payload["type"] == "text"]


def scheduler(services: Services, name: str) -> Reminders:
    """A second scheduler process: same database, same handlers, its own worker id."""
    other = Reminders(services.ctx, name)
    for kind, handler in services.case_clock.reminder_handlers().items():
        other.handle(kind, handler)
    return other


async def test_planned_with_unique_keys_per_round(services: Services) -> None:
    await load_points(services)
    await staff(services, "Li Wei")
    res = await resident(services, "Zhang")
    await file(services, res, [text(1, res.tg_id, "x")], category="roads")
    async with services.ctx.db.read() as session:
        kinds = sorted(r.kind for r in (await session.execute(select(Reminder))).scalars())
    assert kinds == [
        "case:ack_overdue",
        "case:ack_soon",
        "case:escalate",
        "case:overdue",
        "case:resolve_soon",
    ]


async def test_urgent_cases_get_one_set_of_reminders(services: Services) -> None:
    await load_points(services)
    await staff(services, "Li Wei")
    res = await resident(services, "Zhang")
    await file(services, res, [text(1, res.tg_id, "Fight in the street")], category="safety")
    async with services.ctx.db.read() as session:
        rows = (await session.execute(select(Reminder))).scalars().all()
    assert sorted(r.kind for r in rows) == ["case:escalate", "case:overdue", "case:resolve_soon"]
    soon = next(r for r in rows if r.kind == "case:resolve_soon")
    overdue = next(r for r in rows if r.kind == "case:overdue")
    assert overdue.due_at - soon.due_at == timedelta(minutes=30)  # a quarter of 2 hours


async def test_a_restart_and_two_schedulers_send_each_reminder_once(
    services: Services, clock: FakeClock
) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    colleague = await staff(services, "Wang Fang")
    res = await resident(services, "Zhang")
    await file(services, res, [text(1, res.tg_id, "No water")], category="water")
    first = scheduler(services, "first")
    clock.advance(hours=19)  # 24 h to resolve water: a reminder a quarter before, at 18 h
    claimed = await first.claim()
    assert [d.kind for d in claimed] == ["case:resolve_soon"]
    # The first scheduler dies holding the lease; two fresh ones run at once.
    a, b = scheduler(services, "a"), scheduler(services, "b")
    clock.advance(minutes=1)
    assert await asyncio.gather(a.tick(), b.tick()) == [{}, {}]  # the lease still holds
    clock.advance(minutes=2)
    results = await asyncio.gather(a.tick(), b.tick())
    assert sum(r.get("done", 0) for r in results) == 1
    assert await first.fire(claimed[0]) == "lost"  # if it wakes, it stands down
    reminders = [m for m in await texts_to(services, cadre.tg_id) if "is due to be" in m]
    assert len(reminders) == 1
    clock.advance(hours=6)  # past the deadline: the colleague hears, once
    await asyncio.gather(a.tick(), b.tick(), a.tick())
    assert len([m for m in await texts_to(services, colleague.tg_id) if "overdue" in m]) == 1


async def test_a_transferred_case_warns_its_new_assignee(
    services: Services, clock: FakeClock
) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    other = await staff(services, "Wang Fang", point="JH02")
    res = await resident(services, "Zhang")
    filed = await file(services, res, [text(1, res.tg_id, "x")], category="water")
    targets = await services.lifecycle.transfer_targets(cadre.user_id, filed.case.id)
    to_point = next(x for x in targets if x.kind == "point" and x.detail == "JH02")
    await services.lifecycle.transfer(cadre.user_id, filed.case.id, to_point, "theirs")
    clock.advance(hours=19)
    await services.reminders.tick()
    assert not any("is due to be" in m for m in await texts_to(services, cadre.tg_id))
    assert any("is due to be" in m for m in await texts_to(services, other.tg_id))


async def test_figures(services: Services, clock: FakeClock) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    res = await resident(services, "Zhang")
    answered = await file(services, res, [text(1, res.tg_id, "a")], category="roads")
    await services.lifecycle.accept(cadre.user_id, answered.case.id)
    await services.lifecycle.resolve(cadre.user_id, answered.case.id, "done")
    await services.lifecycle.confirm(res.user_id, answered.case.id)
    await services.lifecycle.rate(res.user_id, answered.case.id, 3)
    disputed = await file(services, res, [text(2, res.tg_id, "b")], category="roads")
    await services.lifecycle.accept(cadre.user_id, disputed.case.id)
    await services.lifecycle.resolve(cadre.user_id, disputed.case.id, "done")
    await services.lifecycle.reopen(res.user_id, disputed.case.id)
    late = await file(services, res, [text(3, res.tg_id, "c")], category="water")
    withdrawn = await file(services, res, [text(4, res.tg_id, "d")])
    await services.lifecycle.withdraw(res.user_id, withdrawn.case.id)
    clock.advance(days=2)
    await services.lifecycle.accept(cadre.user_id, late.case.id)  # after its 24 h
    period = Period.month(2026, 3, "Asia/Shanghai")
    rates = await services.figures.rates(period)
    assert rates.filed == 3  # the withdrawn one does not count
    assert rates.response_rate == pytest.approx(2 / 3)
    assert rates.resolution_rate == pytest.approx(1 / 2)  # one yes, one no
    assert rates.satisfaction_rate == 0.0 and rates.average_rating == 3
    assert (rates.open, rates.overdue) == (2, 1)
    assert (await services.figures.rates(Period.month(2026, 2, "Asia/Shanghai"))).filed == 0
    report = await services.figures.report(cadre.user_id)
    assert report.scope == "own" and report.total.filed == 3


TWO_REGIONS = """code,name,region,address,lat,lon,tz
XH01,Xinhua Street,Wuhu/Jinghu,12 Xinhua Rd,31.3526,118.3764,Asia/Shanghai
KS01,Kashgar Bazaar,Kashi/Old Town,1 Bazaar Rd,39.47,75.99,Asia/Urumqi
"""


async def test_a_regional_report_shows_its_region_in_its_time_zone(
    services: Services, clock: FakeClock
) -> None:
    await load_points(services, TWO_REGIONS)
    home = await staff(services, "Li Wei", point="XH01")
    away = await staff(services, "Aziz", point="KS01")
    kashi = await staff(services, "Ma Lin", "admin", None, region="Kashi")
    wuhu_resident = await resident(services, "Zhang", "XH01")
    kashi_resident = await resident(services, "Ayxam", "KS01")
    # 31 March, 23:30 in Urumqi — already 1 April in Shanghai.
    clock.set(datetime(2026, 3, 31, 17, 30, tzinfo=UTC))
    await file(services, wuhu_resident, [text(1, wuhu_resident.tg_id, "a")], category="roads")
    await file(services, kashi_resident, [text(2, kashi_resident.tg_id, "b")], category="roads")

    report = await services.figures.report(kashi.user_id)

    assert report.period.key == "2026-03"  # Kashgar's March, not Shanghai's April
    assert report.total.filed == 1
    assert [line.label for line in report.points] == ["Kashgar Bazaar"]
    assert [line.label for line in report.cadres] == ["Aziz"]
    assert (await services.figures.report(home.user_id)).period.key == "2026-04"
    assert (await services.figures.report(away.user_id)).period.key == "2026-03"


def test_periods_follow_local_calendar() -> None:
    now = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)  # 1 April 01:00 in Shanghai
    assert Period.choose(0, now, "Asia/Shanghai").key == "2026-04"
    assert Period.choose(1, now, "Asia/Shanghai").key == "2026-03"
    assert Period.choose(2, now, "Asia/Shanghai").key == "2026"
    january = Period.choose(1, datetime(2026, 1, 15, tzinfo=UTC), "Asia/Shanghai")
    assert january.key == "2025-12" and january.days() == 31
    assert Period.month(2028, 2, "UTC").days() == 29


async def test_an_administrator_looks_at_one_point_or_region_of_their_own(
    services: Services, clock: FakeClock
) -> None:
    from services.errors import NotFound

    await load_points(services, TWO_REGIONS)
    await staff(services, "Li Wei", point="XH01")
    await staff(services, "Aziz", point="KS01")
    everywhere = await staff(services, "Wang", "admin", None)
    kashi = await staff(services, "Ma Lin", "admin", None, region="Kashi")
    for n, (name, point) in enumerate((("Zhang", "XH01"), ("Ayxam", "KS01"), ("Bek", "KS01"))):
        who = await resident(services, name, point)
        await file(services, who, [text(n + 1, who.tg_id, "a")], category="roads")

    one_point = await services.figures.report(everywhere.user_id, scope="ks01")
    assert one_point.scope == "Kashgar Bazaar (KS01)" and one_point.total.filed == 2
    assert one_point.points == [] and [c.label for c in one_point.cadres] == ["Aziz"]
    region = await services.figures.report(everywhere.user_id, scope=" Kashi / Old Town ")
    assert region.scope == "Kashi/Old Town" and region.total.filed == 2
    for outside in ("XH01", "Wuhu", "Kashi/Nowhere", "Kash"):
        with pytest.raises(NotFound):
            await services.figures.report(kashi.user_id, scope=outside)
