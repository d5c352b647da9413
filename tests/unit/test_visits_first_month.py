"""Issue 18, visit figures: a cadre's first month shows what is owed and from when, /stats
never says "0 of 0 cadres" while listing one, and no summary covers a month before the
installation existed."""

from __future__ import annotations

import pytest

from services.app import Services
from services.clock import FakeClock
from services.texts import Texts
from services.visits import compliance_lines, progress_lines
from tests.factories import staff
from tests.unit.test_visits import county, make_admin, reminders, runner, texts_to, utc


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


async def test_stats_count_a_new_cadre_apart_and_say_when_duty_starts(
    services: Services, clock: FakeClock
) -> None:
    clock.set(utc(2026, 3, 10, 2))
    await county(services)
    await staff(services, "Li Wei")
    report = await services.visits.compliance("Jinghu", 2026, 3)
    en = "\n".join(compliance_lines(Texts(), "en", report))
    assert "0 of 0" not in en
    assert "not owing visits yet: 1" in en
    assert "🆕 Li Wei: visits owed from Wed 1 Apr" in en
    zh = "\n".join(compliance_lines(Texts(), "zh_Hans", report))
    assert "0/0" not in zh and "首月尚无走访要求的干部：1人" in zh


async def test_before_duty_visits_say_nothing_is_owed_yet_and_from_when(
    services: Services, clock: FakeClock
) -> None:
    clock.set(utc(2026, 12, 10, 2))
    await county(services)
    li = await staff(services, "Li Wei")
    [progress] = (await services.visits.progress(li.user_id)).points
    en = "\n".join(progress_lines(Texts(), "en", progress))
    assert "0 of 1 visit days" not in en and "of 0 stay days" not in en
    assert "December 2026: no visit owed yet, your duty starts Fri 1 Jan" in en
    assert "2026: no stay days owed this year — from Fri 1 Jan, 10 a year" in en


async def test_a_cadre_who_joined_mid_year_owes_a_share_of_the_year(
    services: Services, clock: FakeClock
) -> None:
    clock.set(utc(2026, 3, 10, 2))
    await county(services)
    li = await staff(services, "Li Wei")
    [progress] = (await services.visits.progress(li.user_id)).points
    en = "\n".join(progress_lines(Texts(), "en", progress))
    assert "your duty starts Wed 1 Apr" in en
    assert "📅 2026: 0 of 8 stay days" in en  # nine months of duty: 7.5 days, rounded up


async def test_no_summary_for_a_month_before_the_installation(
    services: Services, clock: FakeClock
) -> None:
    clock.set(utc(2026, 3, 2, 2))  # a day after February's summary was due
    await county(services)
    zhou = await make_admin(services)
    await staff(services, "Li Wei")
    await services.visits.plan_reminders()
    await runner(services, "a").tick()
    assert not [t for t in await texts_to(services, zhou) if "February 2026" in t]
    assert (await services.visits.compliance(None, 2026, 2)).rows == []
    assert {r.status for r in await reminders(services, "visit_summary")} <= {"skipped"}
