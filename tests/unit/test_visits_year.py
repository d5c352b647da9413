"""A year of visits with a fake clock: the planning tick and the reminders tick run every day,
the cadre visits some months and not others; reminders, pace warnings, escalations and
summaries go out when — and only when — the rules say so."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.app import Services
from services.clock import FakeClock
from tests.factories import Person, resident, staff
from tests.unit.test_visits import (
    XH,
    XH_FAR,
    XH_NEAR,
    county,
    make_admin,
    reminders,
    runner,
    staff_id,
    texts_to,
    utc,
    visits,
)

Action = Callable[[], Awaitable[object]]


@pytest.fixture
def services(services_on_both: Services) -> Services:
    """Every test here runs on SQLite and, when its URL is set, on PostgreSQL."""
    return services_on_both


async def live_through(
    services: Services,
    clock: FakeClock,
    first: date,
    last: date,
    actions: dict[date, list[Action]],
    *,
    at: time = time(2, 0),
) -> None:
    """Every day at ``at`` UTC: the planning tick, the reminders tick, then that day's doings."""
    tick = runner(services, "scheduler")
    day = first
    while day <= last:
        clock.set(datetime.combine(day, at, tzinfo=UTC))
        await services.visits.plan_reminders()
        await tick.tick()
        for action in actions.get(day, []):
            await action()
        day += timedelta(days=1)


def visit(services: Services, clock: FakeClock, who: Person, hours: float = 2) -> list[Action]:
    async def check_in() -> object:
        return await services.visits.check_in(who.user_id, *XH_NEAR)

    async def check_out() -> object:
        clock.advance(hours=hours)
        return await services.visits.check_out(who.user_id)

    return [check_in, check_out]


async def outcomes(services: Services, kind: str, year: str = "") -> dict[str, str]:
    """Each period's reminder of a kind and what became of it (pending, done, skipped)."""
    return {
        r.period: r.status for r in await reminders(services, kind) if r.period.startswith(year)
    }


async def test_a_year_of_visits(services: Services, clock: FakeClock) -> None:
    clock.set(utc(2025, 12, 20, 2))
    await county(services)
    zhou = await make_admin(services)
    sun = await make_admin(services, "Sun", region="Yijiang")
    li = await staff(services, "Li Wei")  # joined in December: 2026 is a full year of duty
    point = (await services.visits.my_points(li.user_id))[0]

    async def outside() -> object:
        result = await services.visits.check_in(li.user_id, *XH_FAR)
        assert result.outcome == "outside"
        return result

    async def log_yesterday() -> object:
        return await services.visits.log_visit(li.user_id, point.id, date(2026, 9, 7), "Tea")

    async def leave_open() -> object:
        return await services.visits.check_in(li.user_id, *XH)

    plan: dict[date, list[Action]] = {
        date(2026, 1, 10): visit(services, clock, li),
        # Two check-ins on one day: it counts once.
        date(2026, 3, 5): visit(services, clock, li) + visit(services, clock, li),
        date(2026, 4, 8): visit(services, clock, li),
        date(2026, 5, 8): visit(services, clock, li),
        # No visit in February, June and July; two days in August to catch up.
        date(2026, 8, 8): visit(services, clock, li),
        date(2026, 8, 9): visit(services, clock, li),
        date(2026, 9, 8): [log_yesterday],
        date(2026, 10, 8): [outside],
        date(2026, 10, 9): [leave_open],  # closed at midnight by the scheduler
        date(2026, 11, 8): visit(services, clock, li),
        date(2026, 12, 8): visit(services, clock, li),
    }
    await live_through(services, clock, date(2025, 12, 20), date(2027, 1, 2), plan)

    months = [f"2026-{m:02d}" for m in range(1, 13)]
    missed = {"2026-02", "2026-06", "2026-07"}
    expected = {p: "done" if p in missed else "skipped" for p in months}
    assert await outcomes(services, "visit_mid_month", "2026") == expected
    assert await outcomes(services, "visit_month_end", "2026") == expected
    assert await outcomes(services, "visit_escalate", "2026") == expected  # planned from February
    # Behind the pace of 10 days a year only at the start of July and August.
    assert await outcomes(services, "visit_pace", "2026") == {
        p: "done" if p in {"2026-07", "2026-08"} else "skipped" for p in months[1:]
    }
    # Every check-in planned its end-of-day close; only the visit left open needed it.
    closes = [r.status for r in await reminders(services, "visit_auto_checkout")]
    assert sorted(closes) == ["done"] + ["skipped"] * 9  # ten check-ins in all

    to_li = await texts_to(services, li)
    assert sum("Halfway through" in t for t in to_li) == 3
    assert sum("days left in" in t for t in to_li) == 3
    assert sum("Stay days" in t for t in to_li) == 2
    assert sum("closed at midnight" in t for t in to_li) == 1
    assert any("Halfway through February 2026: 0 of 1" in t for t in to_li)
    assert any("3 days left in June 2026" in t for t in to_li)

    to_zhou = await texts_to(services, zhou)
    escalations = [t for t in to_zhou if "did not meet the visit rule" in t]
    assert len(escalations) == 3
    assert all("Li Wei" in t and "Xinhua Street (XH01)" in t for t in escalations)
    assert ["February" in escalations[0], "June" in escalations[1], "July" in escalations[2]] == [
        True,
        True,
        True,
    ]
    summaries = [t for t in to_zhou if t.startswith("📊")]
    assert len(summaries) == 13  # December 2025 to December 2026
    assert "❌ Li Wei: 0/1 visit days" in summaries[2]  # February
    assert "✅ Li Wei: 1/1 visit days (1 verified)" in summaries[3]  # March: counted once
    # The Yijiang administrator hears nothing of Xinhua Street.
    assert not any("Li Wei" in t for t in await texts_to(services, sun))

    december = await services.visits.compliance(None, 2026, 12)
    [row] = [r for r in december.rows if r.cadre is not None]
    assert (row.year_days, row.year_target, row.behind) == (10, 10, False)
    october = await services.visits.compliance(None, 2026, 10)
    [row] = [r for r in october.rows if r.cadre is not None]
    assert (row.days, row.verified_days) == (1, 1)  # the attempt outside the radius left nothing
    left_open = [v for v in await visits(services) if v.day == date(2026, 10, 9)]
    assert [v.ended_at for v in left_open] == [utc(2026, 10, 9, 16)]  # midnight in Shanghai


async def test_a_leap_february(services: Services, clock: FakeClock) -> None:
    clock.set(utc(2027, 12, 15, 2))
    await county(services)
    zhou = await make_admin(services)
    li = await staff(services, "Li Wei")
    plan = {date(2028, 2, 29): visit(services, clock, li)}
    await live_through(services, clock, date(2028, 2, 1), date(2028, 3, 2), plan)
    [month_end] = [r for r in await reminders(services, "visit_month_end") if r.period == "2028-02"]
    assert month_end.due_at == utc(2028, 2, 27, 1) and month_end.status == "done"
    assert any("3 days left in February 2028" in t for t in await texts_to(services, li))
    [visit_row] = await visits(services)
    assert visit_row.day == date(2028, 2, 29)
    # The leap day counted for February: no escalation.
    assert await outcomes(services, "visit_escalate") == {"2028-01": "done", "2028-02": "skipped"}
    escalated = [t for t in await texts_to(services, zhou) if "did not meet" in t]
    assert len(escalated) == 1 and "January 2028" in escalated[0]
    [row] = [r for r in (await services.visits.compliance(None, 2028, 2)).rows if r.cadre]
    assert row.met and row.days == 1


async def test_reminders_follow_each_points_clock(services: Services, clock: FakeClock) -> None:
    clock.set(utc(2026, 2, 10, 2))
    await county(services)
    await make_admin(services)
    await staff(services, "Li Wei")
    await staff(services, "Anna", point="BE01")
    clock.set(utc(2026, 3, 2, 2))
    await services.visits.plan_reminders()
    due = {(r.kind, r.subject.split(":")[-1]): r.due_at for r in await reminders(services)}
    xh = str((await services.points.by_code("XH01")).id)
    be = str((await services.points.by_code("BE01")).id)
    assert due[("visit_mid_month", xh)] == utc(2026, 3, 15, 1)  # 09:00 in Shanghai
    assert due[("visit_mid_month", be)] == utc(2026, 3, 15, 8)  # 09:00 in Berlin, winter
    # Summer time starts in Berlin on 29 March: 09:00 is 07:00 UTC that day.
    assert due[("visit_month_end", be)] == utc(2026, 3, 29, 7)
    # March's summary waits until March has ended at every point in scope.
    clock.set(utc(2026, 3, 31, 17))  # already April in Shanghai, not in Berlin
    await services.visits.plan_reminders()
    assert "2026-03" not in await outcomes(services, "visit_summary")
    clock.set(utc(2026, 4, 1, 0, 30))
    await services.visits.plan_reminders()
    [summary] = [r for r in await reminders(services, "visit_summary") if r.period == "2026-03"]
    assert summary.due_at == utc(2026, 4, 1, 6)  # 08:00 in Berlin


async def test_a_cadre_who_joins_late_is_not_reminded_of_a_month_already_gone(
    services: Services, clock: FakeClock
) -> None:
    clock.set(utc(2026, 3, 28, 2))
    await county(services)
    await staff(services, "Li Wei")
    await live_through(services, clock, date(2026, 3, 28), date(2026, 4, 16), {})
    assert set(await outcomes(services, "visit_mid_month")) == {"2026-04"}
    assert await outcomes(services, "visit_escalate") == {}
    assert await outcomes(services, "visit_pace") == {}  # no full month behind them yet


async def test_pairings_without_a_contact_this_month_are_reminded(
    services: Services, clock: FakeClock
) -> None:
    clock.set(utc(2026, 2, 10, 2))
    await county(services)
    zhou = await make_admin(services)
    li = await staff(services, "Li Wei")
    households = [await resident(services, name) for name in ("Zhang San", "Wang Wu", "Liu Qi")]
    for h in households:
        await services.visits.pair(zhou.user_id, staff_id(li), h.user_id)
    [first, *_] = await services.visits.my_households(li.user_id)

    async def contact() -> object:
        return await services.visits.record_contact(li.user_id, first.id, "visited")

    await live_through(
        services, clock, date(2026, 3, 1), date(2026, 4, 21), {date(2026, 3, 3): [contact]}
    )
    reminded = [t for t in await texts_to(services, li) if "Not yet contacted" in t]
    assert len(reminded) == 2  # March and April, once each
    march, april = reminded
    assert "(2)" in march and first.resident_name not in march
    assert "(3)" in april and first.resident_name in april
