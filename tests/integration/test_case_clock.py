"""Every case has a clock and an ending: the resident's verdict and rating, withdrawal,
closing without a fix, internal notes, reminders and escalation, and /stats."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from bot.callbacks import Act
from models.tables import Case, CaseEvent
from services.clock import FakeClock
from tests.harness import (
    World,
    file_case,
    join_staff,
    load_points,
    register_resident,
    t,
)


@pytest.fixture
async def county(world: World):  # type: ignore[no-untyped-def]
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    colleague = world.person("Wang", "en", "Fang")
    await join_staff(world, colleague)
    admin = world.admin
    await admin.send("/start")
    await admin.press(t("en", "reg.accept"))
    return cadre, colleague, admin


async def case_row(world: World) -> Case:
    async with world.app.db.read() as session:
        return (await session.execute(select(Case))).scalar_one()


async def resolve(cadre, note: str = "Fixed the pipe") -> None:  # type: ignore[no-untyped-def]
    await cadre.press(t("en", "btn.accept"))
    await cadre.press(t("en", "btn.resolve"))
    await cadre.send(note)


async def test_resolved_and_confirmed_with_a_rating(world: World, county) -> None:
    cadre, _, _ = county
    res = world.person("Zhang", "zh")
    await register_resident(res)
    await file_case(res, "没有水")
    await resolve(cadre)
    assert "Fixed the pipe" in res.last_text()
    await res.press(t("zh_Hans", "btn.verdict_yes"))
    assert res.last_text() == t("zh_Hans", "verdict.thanks_rate", no="2026-0001")
    assert t("en", "staff.case_confirmed", no="2026-0001", name="Zhang") in cadre.texts()
    await res.press("⭐⭐⭐⭐")
    assert res.last_text() == t("zh_Hans", "verdict.rated_stars", no="2026-0001", stars="⭐" * 4)
    assert "★★★★☆" in cadre.last_text()
    await res.press(t("zh_Hans", "btn.rating_comment"))
    await res.send("很及时，谢谢")
    assert res.last_text() == t("zh_Hans", "verdict.comment_saved", no="2026-0001")
    assert "很及时" in cadre.last_text()
    case = await case_row(world)
    assert (case.status, case.close_reason, case.verdict, case.satisfaction) == (
        "closed",
        "resolved",
        "resolved",
        4,
    )
    # A second rating is refused, even with a forged press of the stars.
    await res.press_data(res.last()["message_id"], Act(do="rate2", ref=case.id).pack())
    assert res.toasts()[-1] == t("zh_Hans", "rating.done", no="2026-0001")
    assert (await case_row(world)).satisfaction == 4


async def test_not_resolved_reopens_to_the_same_cadre_flagged(
    world: World, county, clock: FakeClock
) -> None:
    cadre, _, _ = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "Leaking roof", category="housing")
    old_due = (await case_row(world)).due_resolve_at
    await resolve(cadre, "Patched it")
    clock.advance(days=1)
    await res.press(t("en", "btn.verdict_no"))
    assert "is back with Li Wei" in res.last_text()
    card = cadre.bot_messages()[-1]
    assert "not resolved" in card["text"] and "Reopened 1 time" in card["text"]
    await res.send("Still dripping in the kitchen")
    assert "Still dripping in the kitchen" in cadre.last_text()
    await res.press(t("en", "btn.done"))
    case = await case_row(world)
    assert (case.status, case.verdict, case.reopened_count) == ("reopened", "not_resolved", 1)
    assert case.due_resolve_at > old_due  # a fresh resolution window
    await cadre.press(t("en", "btn.accept"), message=card)
    assert (await case_row(world)).status == "accepted"


async def test_no_verdict_in_time_closes_as_unconfirmed(
    world: World, county, clock: FakeClock
) -> None:
    cadre, _, _ = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "Broken bench", category="roads")
    await resolve(cadre)
    clock.advance(days=6, hours=23)
    await world.app.services.reminders.tick()
    await world.settle()
    assert (await case_row(world)).status == "resolved"
    clock.advance(hours=2)
    await world.app.services.reminders.tick()
    await world.settle()
    case = await case_row(world)
    assert (case.status, case.close_reason, case.verdict) == ("closed", "no_answer", None)
    assert res.last_text() == t("en", "notify.closed_no_answer", no="2026-0001")
    # The old verdict buttons no longer do anything but say why.
    await res.press(t("en", "btn.verdict_yes"))
    assert res.toasts()[-1] == t("en", "case.refused.confirm", status=t("en", "status.closed"))


async def test_withdraw(world: World, county) -> None:
    cadre, _, _ = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "Never mind")
    await res.send("/cases")
    await res.press("2026-0001")
    await res.press(t("en", "btn.withdraw"))
    await res.press(t("en", "btn.withdraw_yes"))
    assert res.last_text() == t("en", "withdraw.done", no="2026-0001")
    assert t("en", "staff.case_withdrawn", no="2026-0001", name="Zhang") in cadre.texts()
    case = await case_row(world)
    assert (case.status, case.close_reason) == ("closed", "withdrawn")
    await res.send("/cases")
    assert "closed (withdrawn)" in res.last_text()


async def test_close_without_a_fix_and_internal_notes(world: World, county) -> None:
    cadre, _, _ = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "Noise from the factory", category="sanitation")
    card = cadre.bot_messages()[-1]
    await cadre.press(t("en", "btn.note"), message=card)
    await cadre.send("Checked: factory belongs to the next district")
    assert cadre.last_text() == t("en", "note.saved", no="2026-0001")
    await cadre.press(t("en", "btn.close"), message=card)
    await cadre.press(t("en", "close.referred"))
    await cadre.send("Please call the district environment bureau at 12345")
    assert cadre.last_text() == t("en", "close.done", no="2026-0001")
    notice = res.last_text()
    assert "referred elsewhere" in notice and "12345" in notice
    assert not any("next district" in text for text in res.texts())  # the note stays internal
    await res.send("/cases")
    await res.press("2026-0001")
    assert "next district" not in res.last_text()
    await cadre.send("/case 2026-0001")
    assert "next district" in cadre.texts()[-2]  # staff see it in the history
    async with world.app.db.read() as session:
        note = (
            await session.execute(select(CaseEvent).where(CaseEvent.type == "note"))
        ).scalar_one()
    assert note.internal


async def test_reminders_then_colleagues_then_administrators(
    world: World, county, clock: FakeClock
) -> None:
    cadre, colleague, admin = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "Water off", category="water")  # utilities: 24 h, first answer 24 h
    ticks = world.app.services.reminders

    async def at(hours: float) -> None:
        clock.advance(hours=hours)
        await ticks.tick()
        await world.settle()

    await at(17)
    assert not cadre.saw("needs a first answer")
    await at(2)  # 19 h: a quarter of 24 h before the deadline is 18 h
    assert cadre.last_text().startswith("⏰ Case 2026-0001")
    buttons = cadre.last()["reply_markup"]["inline_keyboard"]
    assert buttons, "the assignee's reminder carries the case's buttons"
    assert not colleague.saw("2026-0001")
    await at(6)  # 25 h: overdue
    assert colleague.saw("is overdue") or colleague.saw("got no first answer")
    assert not admin.saw("Escalation")
    await at(24)  # 49 h: a day past the deadline
    assert admin.saw("Escalation: case 2026-0001")
    before = len(admin.texts())
    await at(24)
    assert len(admin.texts()) == before  # each reminder once


async def test_answering_in_time_cancels_the_warnings(
    world: World, county, clock: FakeClock
) -> None:
    cadre, colleague, admin = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "Water off", category="water")
    await cadre.press(t("en", "btn.accept"))
    await cadre.press(t("en", "btn.resolve"))
    await cadre.send("Done within the hour")
    clock.advance(days=3)
    await world.app.services.reminders.tick()
    await world.settle()
    assert not cadre.saw("needs a first answer")
    assert not cadre.saw("is due to be resolved")
    assert not colleague.saw("2026-0001")
    assert not admin.saw("Escalation")


async def test_menu_buttons_leave_a_step_and_never_become_content(world: World, county) -> None:
    cadre, _, _ = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "First")
    await res.send(t("en", "menu.new_case"))
    await res.press(t("en", "kind.complaint"))
    await res.press("Water supply")
    await res.send("Half a complaint")
    await res.send(t("en", "menu.my_cases"))
    assert "2026-0001" in res.last_text()
    assert not cadre.saw(t("en", "menu.my_cases"))
    card = cadre.bot_messages()[-1]
    await cadre.press(t("en", "btn.reply"), message=card)
    await cadre.send(t("en", "menu.open_cases"))
    assert not res.saw(t("en", "menu.open_cases"))
    assert "2026-0001" in cadre.last_text()


async def test_a_native_reply_goes_to_its_own_case_even_in_reply_mode(world: World, county) -> None:
    cadre, _, _ = county
    first, second = world.person("Zhang"), world.person("Zhao")
    await register_resident(first)
    await register_resident(second)
    await file_case(first, "Case A")
    card_a = cadre.bot_messages()[-1]
    await file_case(second, "Case B")
    card_b = cadre.bot_messages()[-1]
    await cadre.press(t("en", "btn.reply"), message=card_a)  # reply mode for A…
    await cadre.reply(card_b, "This is for B")  # …but a swipe-reply to B's card
    assert second.saw("This is for B")
    assert not first.saw("This is for B")


async def test_stats_for_a_cadre_and_an_administrator(
    world: World, county, clock: FakeClock
) -> None:
    cadre, _, admin = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "One")
    await resolve(cadre)
    await res.press(t("en", "btn.verdict_yes"))
    await res.press("⭐⭐⭐⭐⭐")
    await file_case(res, "Two", category="roads")
    await cadre.send(t("en", "menu.stats"))
    text = cadre.last_text()
    assert "Cases: 2" in text
    # The second is not answered yet but still inside its deadline: not counted as missed.
    assert "Response rate: 100%" in text
    assert "Resolution rate: 100%" in text and "Satisfaction: 100%" in text
    await admin.send("/stats")
    text = admin.last_text()
    assert "all contact points" in text and "新华街道联系点" in text and "Li Wei" in text
    await admin.press(t("en", "stats.last_month"))
    assert "Cases: 0" in admin.last_text()
    assert re.search(r"2026-02", admin.last_text())
    # One contact point by its code; the period buttons keep to it.
    await admin.send("/stats XH01")
    text = admin.last_text()
    assert "新华街道联系点 Xinhua Street (XH01)" in text and "Cases: 2" in text and "Li Wei" in text
    await admin.press(t("en", "stats.last_month"))
    assert "(XH01)" in admin.last_text() and "Cases: 0" in admin.last_text()
    await admin.send("/stats Atlantis")
    assert admin.last_text() == t("en", "stats.no_such_scope", scope="Atlantis")
