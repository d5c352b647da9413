"""A cadre's phone at the contact point: checking in by location and out, /visits, the paired
households' card, reception days — and the residents hearing of them, in their language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlmodel import func, select

from models.visits import Visit
from services.clock import FakeClock
from services.texts import Texts
from services.visits import day_text
from tests.harness import (
    Person,
    World,
    file_case,
    join_staff,
    load_points,
    locale_of,
    register_resident,
    t,
)

XH_NEAR = (31.3535, 118.3764)  # about 100 m from Xinhua Street (XH01), inside its 300 m
XH_FAR = (31.3626, 118.3764)  # about 1.1 km away
POINT = "新华街道联系点 Xinhua Street (XH01)"


def april_1st(loc: str) -> str:
    """The day duty starts for a cadre who joined in March 2026, as the bot writes it."""
    return day_text(Texts(), loc, date(2026, 4, 1))


@pytest.fixture
async def county(world: World) -> World:
    await load_points(world)
    return world


def location_button(person: Person) -> dict[str, object]:
    board = person.world.emulator.keyboard(person.id)["keyboard"] or {}
    return board["keyboard"][0][0]  # type: ignore[no-any-return]


async def visits_in_db(world: World) -> int:
    async with world.app.db.read() as session:
        return int((await session.execute(select(func.count()).select_from(Visit))).scalar_one())


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_check_in_and_out_with_a_shared_location(
    county: World, clock: FakeClock, language: str
) -> None:
    world = county
    cadre = world.person("Li", language, "Wei")
    loc = locale_of(cadre)
    await join_staff(world, cadre)
    await cadre.send("/checkin")
    assert cadre.last_text() == t(loc, "visits.ask_location")
    button = location_button(cadre)
    assert button["text"] == t(loc, "visits.btn.send_location")
    assert button["request_location"] is True
    await cadre.send_other(location=XH_NEAR)
    lines = cadre.last_text().split("\n")
    assert lines[0] == t(
        loc,
        "visits.checked_in",
        point=POINT,
        time="09:00",  # in Shanghai
        distance=t(loc, "visits.metres", n=100),
    )
    march = "March 2026" if loc == "en" else "2026年3月"
    # Joined this month: duty starts with April, and the line says so (issue 18).
    assert lines[1] == t(
        loc,
        "visits.progress.month_before_duty",
        month=march,
        start=april_1st(loc),
        done=1,
        verified=1,
    )
    # On site, the keyboard offers checking out first, with the main menu below.
    keyboard = cadre.keyboard()
    assert keyboard[0] == t(loc, "visits.btn.check_out")
    assert t(loc, "menu.open_cases") in keyboard
    clock.advance(hours=2, minutes=15)
    await cadre.send(t(loc, "visits.btn.check_out"))
    out = cadre.last_text()
    assert "11:15" in out and t(loc, "visits.hours_minutes", h=2, m=15) in out
    assert t(loc, "visits.btn.check_out") not in cadre.keyboard()
    assert t(loc, "menu.open_cases") in cadre.keyboard()
    await cadre.send("/checkout")
    assert cadre.last_text() == t(loc, "visits.not_checked_in")


async def test_outside_the_radius_the_cadre_logs_an_unverified_visit(county: World) -> None:
    world = county
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    await cadre.send(t("en", "menu.check_in"))
    await cadre.send_other(location=XH_FAR)
    answer = cadre.last_text()
    assert "outside its 300 m radius by" in answer and "Xinhua Street" in answer
    assert re.search(r"You are 1\.\d km from", answer)
    assert await visits_in_db(world) == 0
    # Still the location keyboard: moving closer and sending again is one tap.
    assert location_button(cadre)["request_location"] is True
    await cadre.press(t("en", "visits.btn.log_unverified"))
    assert cadre.last_text() == t("en", "visits.ask_unverified_note")
    await cadre.send_photo()
    assert cadre.last_text() == t("en", "flow.text_needed")
    await cadre.send("Meeting at the village hall, GPS is off")
    text = cadre.last_text()
    assert "unverified" in text and "(0 verified)" in text
    assert await visits_in_db(world) == 1
    await cadre.send("/visits")
    assert "🟢" in cadre.last_text() and "(0 verified)" in cadre.last_text()
    # Walking up to the point and sharing the location again verifies the same visit.
    await cadre.send_other(location=XH_NEAR)
    assert cadre.last_text().startswith(t("en", "visits.now_verified", point=POINT, since="09:00"))
    assert "(1 verified)" in cadre.last_text()
    assert await visits_in_db(world) == 1


async def test_a_location_shared_anytime_checks_in_but_a_reply_to_a_case_does_not(
    county: World,
) -> None:
    world = county
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "Where is the pipe?")
    card = cadre.bot_messages()[-1]
    world.emulator.user_send(cadre.id, location=XH_NEAR, reply_to_message_id=card["message_id"])
    await world.settle()
    assert "location" in res.last()  # relayed to the resident as a reply on the case
    assert await visits_in_db(world) == 0
    await cadre.send_other(location=XH_NEAR)
    assert "Checked in at" in cadre.last_text()
    assert await visits_in_db(world) == 1


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_my_visits_shows_the_month_and_the_year(county: World, language: str) -> None:
    world = county
    cadre = world.person("Li", language, "Wei")
    loc = locale_of(cadre)
    await join_staff(world, cadre)
    await cadre.send("/visits")
    card = cadre.last_text()
    assert t(loc, "visits.card.title") in card and "XH01" in card
    march = "March 2026" if loc == "en" else "2026年3月"
    before_duty = t(
        loc,
        "visits.progress.month_before_duty",
        month=march,
        start=april_1st(loc),
        done=0,
        verified=0,
    )
    assert before_duty in card
    # Joined this month: the year's target counts the months of duty from April.
    assert t(loc, "visits.progress.year", year=2026, done=0, target=8, expected=0) in card
    await cadre.press(t(loc, "visits.btn.log"))
    await cadre.press(re.compile(r"27|周五"))  # Friday 27 February
    await cadre.send("Visited the Wang family")
    logged = cadre.last_text()
    assert "27" in logged and ("unverified" in logged or "未核验" in logged)
    await cadre.send(t(loc, "menu.visits"))
    assert t(loc, "visits.progress.year", year=2026, done=1, target=8, expected=0) in (
        cadre.last_text()
    )


async def test_pairing_and_recording_a_contact(county: World) -> None:
    world = county
    admin = world.admin
    await admin.send("/start")
    await admin.press(t("en", "reg.accept"))
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    household = world.person("Zhang", "zh", "San")
    await register_resident(household)
    await admin.send("/pair")
    await admin.send("nobody-like-this")
    assert "nobody-like-this" in admin.last_text()
    await admin.send("Zhang")
    await admin.press(re.compile("Zhang San"))
    assert "Zhang San" in admin.last_text() and "XH01" in admin.last_text()
    await admin.press(t("en", "visits.btn.pair", name="Li Wei"))
    assert admin.toasts()[-1] == t("en", "visits.pair.done", name="Li Wei")
    assert t("en", "visits.btn.unpair", name="Li Wei") in str(admin.last()["reply_markup"])
    assert "Zhang San" in cadre.last_text() and "Households" in cadre.last_text()
    assert "结对帮扶" in household.last_text() and "Li Wei" in household.last_text()
    await cadre.press(t("en", "visits.btn.households"))
    assert "⏳ Zhang San" in cadre.last_text() and "no contact yet" in cadre.last_text()
    await cadre.press(t("en", "visits.btn.record_contact", name="Zhang San"))
    await cadre.send("Talked about the roof repair")
    assert cadre.last_text() == t("en", "visits.contact.done", name="Zhang San")
    await cadre.send("/households")
    assert "✅ Zhang San" in cadre.last_text()
    await cadre.send("/visits")
    assert t("en", "visits.card.households", total=1, contacted=1) in cadre.last_text()
    # Ending the pairing from the same card.
    await admin.press(t("en", "visits.btn.unpair", name="Li Wei"))
    assert admin.toasts()[-1] == t("en", "visits.pair.ended")
    assert t(
        "en", "visits.pair.ended_cadre", name="Zhang San", point="新华街道联系点 Xinhua Street"
    ) == (cadre.last_text())


async def test_a_cadre_cannot_pair(county: World) -> None:
    cadre = county.person("Li", "en", "Wei")
    await join_staff(county, cadre)
    await cadre.send("/pair")
    assert cadre.last_text() == t("en", "command.unknown")


async def test_announcing_a_reception_day_and_residents_hear_it(
    county: World, clock: FakeClock
) -> None:
    world = county
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre, title="Deputy head")
    english, chinese = world.person("Zhang"), world.person("Zhao", "zh")
    await register_resident(english)
    await register_resident(chinese)
    elsewhere = world.person("Far")
    await register_resident(elsewhere, "JH02")
    await cadre.send("/reception")
    assert t("en", "visits.reception.none") in cadre.last_text()
    await cadre.press(t("en", "visits.btn.announce_new"))
    await cadre.press("Thu 12 Mar")
    await cadre.send("9:30-11:30")
    preview = cadre.last_text()
    assert "09:30–11:30" in preview and "2 residents" in preview and "Mon 9 Mar" in preview
    await cadre.press(t("en", "visits.btn.announce"))
    assert cadre.last_text().startswith("📣")
    before = len(english.texts())
    clock.set(datetime(2026, 3, 9, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai, three days ahead
    await world.app.services.reminders.tick()
    await world.settle()
    assert "Reception day" in english.last_text() and "Li Wei (Deputy head)" in english.last_text()
    assert "09:30–11:30" in english.last_text() and "Thu 12 Mar" in english.last_text()
    assert "接待日通知" in chinese.last_text() and "3月12日" in chinese.last_text()
    assert not any("Reception" in x or "接待" in x for x in elsewhere.texts())
    clock.set(datetime(2026, 3, 11, 23, 30, tzinfo=UTC))  # 07:30 on the day
    await world.app.services.reminders.tick()
    await world.settle()
    assert english.last_text().startswith("📅 Today")
    assert len(english.texts()) == before + 2
    await cadre.send("/reception")
    assert "Thu 12 Mar" in cadre.last_text()
