"""A case counts in the response and on-time rates only once it was answered (resolved) or its
deadline passed: two new cases are not "0% answered"."""

from __future__ import annotations

import pytest

from services.app import Services
from services.clock import FakeClock
from services.figures import Period, percent
from tests.factories import load_points, resident, staff
from tests.unit.test_cases import file, text


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


async def test_cases_inside_their_deadlines_are_not_counted_yet(
    services: Services, clock: FakeClock
) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    res = await resident(services, "Zhang")
    first = await file(services, res, [text(1, res.tg_id, "a")], category="roads")
    await file(services, res, [text(2, res.tg_id, "b")], category="roads")
    period = Period.month(2026, 3, "Asia/Shanghai")

    rates = await services.figures.rates(period)
    assert rates.filed == 2
    assert percent(rates.response_rate) == "—" and percent(rates.on_time_rate) == "—"

    await services.lifecycle.accept(cadre.user_id, first.case.id)
    rates = await services.figures.rates(period)
    assert rates.response_rate == 1.0  # the other is still inside its deadline

    clock.advance(days=3)  # past the second one's first-answer deadline
    rates = await services.figures.rates(period)
    assert rates.response_rate == pytest.approx(1 / 2)
    assert rates.on_time_rate is None  # neither resolved nor past its resolution deadline

    await services.lifecycle.resolve(cadre.user_id, first.case.id, "done")
    clock.advance(days=30)  # the second is now open past its resolution deadline
    rates = await services.figures.rates(period)
    assert rates.on_time_rate == pytest.approx(1 / 2)
