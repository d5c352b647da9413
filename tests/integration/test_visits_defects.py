"""Issue 18: logging a past visit checks the day when it is typed (a refusal never leaves
the cadre stuck in a step), and a reception day announced at once reaches residents at once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from services.clock import FakeClock
from services.texts import Texts
from services.visits import day_text
from tests.harness import World, join_staff, locale_of, register_resident, t
from tests.integration.test_visits_flow import county, visits_in_db

__all__ = ["county"]  # the fixture, shared with the flow tests


async def test_a_day_out_of_range_is_refused_when_typed_and_another_may_be_typed(
    county: World, clock: FakeClock
) -> None:
    cadre = county.person("Li", "en", "Wei")
    loc = locale_of(cadre)
    await join_staff(county, cadre)
    today = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    await cadre.send("/visits")
    await cadre.press(t(loc, "visits.btn.log"))
    await cadre.send((today - timedelta(days=40)).isoformat())
    assert cadre.last_text() == t(loc, "visits.log.too_old", days=31)
    await cadre.send((today + timedelta(days=1)).isoformat())
    assert cadre.last_text() == t(loc, "visits.log.future")
    # Still at the day: a good one moves on to the note, and the visit is logged.
    good = today - timedelta(days=2)
    await cadre.send(good.isoformat())
    assert cadre.last_text() == t(loc, "visits.log.ask_note", day=day_text(Texts(), loc, good))
    await cadre.send("Visited the Wang family")
    assert await visits_in_db(county) == 1
    assert str(good.day) in cadre.last_text()


async def test_a_day_that_passed_out_of_range_at_the_note_goes_back_to_the_day(
    county: World, clock: FakeClock
) -> None:
    cadre = county.person("Li", "en", "Wei")
    loc = locale_of(cadre)
    await join_staff(county, cadre)
    today = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    await cadre.send("/visits")
    await cadre.press(t(loc, "visits.btn.log"))
    await cadre.send((today - timedelta(days=31)).isoformat())  # the last day allowed
    clock.advance(days=1)  # the note is written the next day: the day is now too old
    await cadre.send("Visited the Wang family")
    assert cadre.last_text() == t(loc, "visits.log.too_old", days=31)
    await cadre.send((today - timedelta(days=1)).isoformat())  # a day again, not a note
    await cadre.send("Visited the Wang family")
    assert await visits_in_db(county) == 1


async def test_a_reception_day_announced_at_once_reaches_residents_without_the_tick(
    county: World, clock: FakeClock
) -> None:
    cadre = county.person("Li", "en", "Wei")
    await join_staff(county, cadre)
    resident = county.person("Zhang")
    await register_resident(resident)
    tomorrow = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    await cadre.send("/reception")
    await cadre.press(t("en", "visits.btn.announce_new"))
    await cadre.press(day_text(Texts(), "en", tomorrow))
    await cadre.send("9:30-11:30")
    await cadre.press(t("en", "visits.btn.announce"))
    await county.settle()  # the sender drains; no reminders tick runs
    assert "Reception day" in resident.last_text() and "09:30–11:30" in resident.last_text()
