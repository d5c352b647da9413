"""Visits at the service level: check-ins, time zones, past visits, policies, pairings,
reception days and compliance. Helpers here are shared by the other visits test files."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select

from models.tables import Outbox, Reminder, User
from models.visits import Visit
from services.app import Services
from services.clock import FakeClock
from services.errors import Invalid, NotAllowed, NotFound
from services.outbox import Result
from services.reminders import Reminders
from tests.factories import Person, load_points, register, resident, staff

POINTS = """code,name,region,address,lat,lon,tz
XH01,Xinhua Street,Jinghu,12 Xinhua Rd,31.3526,118.3764,Asia/Shanghai
JH02,Jinghu Lake,Jinghu,1 Lakeside,31.3400,118.3700,Asia/Shanghai
YJ03,Yijiang Village,Yijiang,Village Hall,31.3000,118.4000,Asia/Shanghai
BE01,Berlin Mitte,Berlin,Alexanderplatz 1,52.5219,13.4132,Europe/Berlin
NO04,No Map Street,Jinghu,Somewhere,,,Asia/Shanghai
"""
XH = (31.3526, 118.3764)
XH_NEAR = (31.3535, 118.3764)  # about 100 m north of the point
XH_FAR = (31.3626, 118.3764)  # about 1.1 km north: outside the 300 m radius
BE = (52.5219, 13.4132)


@pytest.fixture
def services(services_on_both: Services) -> Services:
    """Every test here runs on SQLite and, when its URL is set, on PostgreSQL."""
    return services_on_both


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


async def county(services: Services) -> None:
    await load_points(services, POINTS)


async def add_point(services: Services, person: Person, code: str) -> None:
    """Assign a staff member to one more point, as a second invite does."""
    invite = await services.staff.create_invite("cadre", point_code=code)
    await services.staff.redeem(person.user_id, invite.link.split("start=inv_", 1)[1])


def staff_id(person: Person) -> int:
    assert person.actor.staff_id is not None
    return person.actor.staff_id


async def messages(services: Services, chat_id: int | None = None) -> list[Outbox]:
    async with services.ctx.db.read() as session:
        stmt = select(Outbox).order_by(Outbox.id)
        if chat_id is not None:
            stmt = stmt.where(Outbox.chat_id == chat_id)
        rows = (await session.execute(stmt)).scalars()
        return [r for r in rows if r.payload["type"] == "text"]


async def texts_to(services: Services, person: Person) -> list[str]:
    return [m.payload["text"] for m in await messages(services, person.actor.chat_id)]


async def visits(services: Services) -> list[Visit]:
    async with services.ctx.db.read() as session:
        return list((await session.execute(select(Visit).order_by(Visit.id))).scalars())


async def reminders(services: Services, kind: str | None = None) -> list[Reminder]:
    async with services.ctx.db.read() as session:
        stmt = select(Reminder).order_by(Reminder.due_at, Reminder.id)
        if kind is not None:
            stmt = stmt.where(Reminder.kind == kind)
        return list((await session.execute(stmt)).scalars())


def runner(services: Services, name: str) -> Reminders:
    """One scheduler's reminders tick, with the visits feature's handlers."""
    tick = Reminders(services.ctx, name)
    for kind, handler in services.visits.reminder_handlers().items():
        tick.handle(kind, handler)
    return tick


async def make_admin(services: Services, name: str = "Zhou", region: str | None = None) -> Person:
    return await staff(services, name, role="admin", point=None, region=region)


# ---- checking in ---------------------------------------------------------------------------


async def test_a_check_in_within_the_radius_is_verified(
    services: Services, clock: FakeClock
) -> None:
    await county(services)
    li = await staff(services, "Li Wei")
    result = await services.visits.check_in(li.user_id, *XH_NEAR)
    assert result.outcome == "verified" and result.first_today
    assert result.point.code == "XH01"
    assert 90 <= (result.distance_m or 0) <= 110
    [visit] = await visits(services)
    assert visit.verified and visit.ended_at is None and visit.day == date(2026, 3, 2)
    # The month's figures already include today.
    assert result.progress is not None and result.progress.month.days == 1
    assert result.progress.month.verified == 1


async def test_a_check_in_outside_the_radius_writes_nothing_and_says_by_how_much(
    services: Services,
) -> None:
    await county(services)
    li = await staff(services, "Li Wei")
    result = await services.visits.check_in(li.user_id, *XH_FAR)
    assert result.outcome == "outside" and result.visit is None
    assert 1050 <= (result.distance_m or 0) <= 1150
    assert result.over_m == (result.distance_m or 0) - 300
    assert await visits(services) == []
    # The cadre logs it as unverified, with a note.
    logged = await services.visits.check_in_unverified(
        li.user_id, result.point.id, "Meeting at the hall", lat=XH_FAR[0], lon=XH_FAR[1]
    )
    assert logged.outcome == "unverified"
    [visit] = await visits(services)
    assert not visit.verified and visit.note == "Meeting at the hall"
    assert visit.distance_m == result.distance_m
    assert logged.progress is not None
    assert (logged.progress.month.days, logged.progress.month.verified) == (1, 0)


async def test_an_unverified_check_in_needs_a_note(services: Services) -> None:
    await county(services)
    li = await staff(services, "Li Wei")
    point = (await services.visits.my_points(li.user_id))[0]
    with pytest.raises(Invalid) as refused:
        await services.visits.check_in_unverified(li.user_id, point.id, "   ")
    assert refused.value.key == "visits.note_needed"
    assert await visits(services) == []


async def test_a_forwarded_location_cannot_verify(services: Services) -> None:
    await county(services)
    li = await staff(services, "Li Wei")
    result = await services.visits.check_in(li.user_id, *XH, own_position=False)
    assert result.outcome == "unverifiable" and await visits(services) == []


async def test_a_point_without_coordinates_offers_an_unverified_check_in(
    services: Services,
) -> None:
    await county(services)
    li = await staff(services, "Li Wei", point="NO04")
    result = await services.visits.check_in(li.user_id, *XH)
    assert result.outcome == "no_location" and result.point.code == "NO04"


async def test_two_check_ins_on_one_day_count_once(services: Services, clock: FakeClock) -> None:
    await county(services)
    li = await staff(services, "Li Wei")
    first = await services.visits.check_in(li.user_id, *XH_NEAR)
    clock.advance(hours=2)
    out = await services.visits.check_out(li.user_id)
    assert out.visit.minutes == 120 and out.visit.closed_by == "checkout"
    clock.advance(hours=3)
    second = await services.visits.check_in(li.user_id, *XH)
    assert first.first_today and not second.first_today
    assert second.progress is not None and second.progress.month.days == 1
    assert second.progress.year.days == 1
    assert len(await visits(services)) == 2


async def test_checking_in_again_while_on_site_opens_nothing_new(services: Services) -> None:
    await county(services)
    li = await staff(services, "Li Wei")
    point = (await services.visits.my_points(li.user_id))[0]
    await services.visits.check_in_unverified(li.user_id, point.id, "GPS is off")
    again = await services.visits.check_in(li.user_id, *XH_NEAR)
    assert again.outcome == "already"
    # Proven on site now: the open visit becomes verified.
    [visit] = await visits(services)
    assert visit.verified and again.visit is not None and again.visit.verified
    assert again.upgraded


async def test_checking_in_elsewhere_closes_the_open_visit(
    services: Services, clock: FakeClock
) -> None:
    await county(services)
    li = await staff(services, "Li Wei")
    await add_point(services, li, "JH02")
    await services.visits.check_in(li.user_id, *XH)
    clock.advance(minutes=45)
    moved = await services.visits.check_in(li.user_id, 31.3400, 118.3700)
    assert moved.outcome == "verified" and moved.point.code == "JH02"
    assert moved.moved_from is not None and moved.moved_from.code == "XH01"
    first, second = await visits(services)
    assert first.ended_at == clock.now() and first.closed_by == "moved"
    assert second.ended_at is None


async def test_only_staff_with_a_point_check_in(services: Services) -> None:
    await county(services)
    res = await resident(services, "Zhang San")
    with pytest.raises(NotAllowed):
        await services.visits.check_in(res.user_id, *XH)
    admin = await make_admin(services)
    with pytest.raises(Invalid) as refused:
        await services.visits.check_in(admin.user_id, *XH)
    assert refused.value.key == "visits.no_points"


async def test_checking_out_without_a_visit_is_refused(services: Services) -> None:
    await county(services)
    li = await staff(services, "Li Wei")
    with pytest.raises(Invalid) as refused:
        await services.visits.check_out(li.user_id)
    assert refused.value.key == "visits.not_checked_in"


# ---- time zones and the end of the day -----------------------------------------------------


async def test_the_day_is_counted_in_the_points_time_zone(
    services: Services, clock: FakeClock
) -> None:
    clock.set(utc(2026, 2, 20, 2))
    await county(services)
    li = await staff(services, "Li Wei")
    await add_point(services, li, "BE01")
    # 17:00 UTC on 31 March: 1 April, 01:00 in Shanghai.
    clock.set(utc(2026, 3, 31, 17))
    shanghai = await services.visits.check_in(li.user_id, *XH)
    assert shanghai.visit is not None and shanghai.visit.day == date(2026, 4, 1)
    await services.visits.check_out(li.user_id)
    # 21:30 UTC the same evening: still 31 March (23:30) in Berlin...
    clock.set(utc(2026, 3, 31, 21, 30))
    late = await services.visits.check_in(li.user_id, *BE)
    assert late.visit is not None and late.visit.day == date(2026, 3, 31)
    # ...and an hour later it is 1 April there: the open visit ended at Berlin's midnight.
    clock.set(utc(2026, 3, 31, 22, 30))
    early = await services.visits.check_in(li.user_id, *BE)
    assert early.visit is not None and early.visit.day == date(2026, 4, 1)
    assert early.first_today
    march = (await visits(services))[1]
    assert march.ended_at == utc(2026, 3, 31, 22) and march.closed_by == "auto"
    march_figures = await services.visits.compliance(None, 2026, 3)
    by_point = {(r.point.code, r.cadre.name if r.cadre else None): r for r in march_figures.rows}
    assert by_point[("BE01", "Li Wei")].days == 1
    assert by_point[("XH01", "Li Wei")].days == 0
    april_figures = await services.visits.compliance(None, 2026, 4)
    by_point = {(r.point.code, r.cadre.name if r.cadre else None): r for r in april_figures.rows}
    assert by_point[("BE01", "Li Wei")].days == 1 and by_point[("XH01", "Li Wei")].days == 1


async def test_a_visit_left_open_is_closed_at_the_end_of_the_local_day(
    services: Services, clock: FakeClock
) -> None:
    await county(services)
    li = await staff(services, "Li Wei", point="BE01")
    clock.set(utc(2026, 6, 10, 8))  # 10:00 in Berlin
    await services.visits.check_in(li.user_id, *BE)
    [planned] = await reminders(services, "visit_auto_checkout")
    assert planned.due_at == utc(2026, 6, 10, 22)  # midnight in Berlin (UTC+2)
    tick = runner(services, "a")
    clock.set(utc(2026, 6, 10, 21, 59))
    assert await tick.tick() == {}
    clock.set(utc(2026, 6, 10, 22, 0, 30))
    assert await tick.tick() == {"done": 1}
    [visit] = await visits(services)
    assert visit.ended_at == utc(2026, 6, 10, 22) and visit.closed_by == "auto"
    [told] = await texts_to(services, li)
    assert "Berlin Mitte" in told and "10:00" in told and "midnight" in told
    # Checked out by hand the next time: the reminder for that visit does nothing.
    clock.set(utc(2026, 6, 11, 8))
    await services.visits.check_in(li.user_id, *BE)
    clock.advance(hours=1)
    await services.visits.check_out(li.user_id)
    clock.set(utc(2026, 6, 11, 23))
    assert await tick.tick() == {"skipped": 1}
    assert len(await texts_to(services, li)) == 1


# ---- past visits and policies --------------------------------------------------------------


async def test_a_past_visit_is_logged_unverified_within_the_allowed_days(
    services: Services, clock: FakeClock
) -> None:
    await county(services)
    li = await staff(services, "Li Wei")
    point = (await services.visits.my_points(li.user_id))[0]
    progress = await services.visits.log_visit(
        li.user_id, point.id, date(2026, 2, 27), "Visited the Wang family"
    )
    assert progress.month.days == 0 and progress.year.days == 1  # a February day
    [visit] = await visits(services)
    assert visit.source == "logged" and not visit.verified and visit.ended_at is not None
    for day, key in (
        (date(2026, 3, 3), "visits.log.future"),
        (date(2026, 1, 1), "visits.log.too_old"),
    ):
        with pytest.raises(Invalid) as refused:
            await services.visits.log_visit(li.user_id, point.id, day, "x")
        assert refused.value.key == key
    other = await services.points.by_code("JH02")
    with pytest.raises(NotAllowed):
        await services.visits.log_visit(li.user_id, other.id, date(2026, 3, 1), "not mine")


async def test_policies_per_point_and_globally(services: Services) -> None:
    await county(services)
    admin = await make_admin(services)
    regional = await make_admin(services, "Qian", region="Jinghu")
    xh, yj = await services.points.by_code("XH01"), await services.points.by_code("YJ03")
    assert (await services.visits.policy(xh.id)).days_per_year == 10
    await services.visits.set_policy(admin.user_id, None, visits_per_month=2, days_per_year=24)
    await services.visits.set_policy(
        regional.user_id, xh.id, visits_per_month=1, days_per_year=12, count_unverified=False
    )
    assert (await services.visits.policy(yj.id)).days_per_year == 24
    mine = await services.visits.policy(xh.id)
    assert (mine.visits_per_month, mine.days_per_year, mine.count_unverified) == (1, 12, False)
    assert mine.source == "point"
    with pytest.raises(NotAllowed):  # a regional administrator sets only their points
        await services.visits.set_policy(
            regional.user_id, yj.id, visits_per_month=1, days_per_year=1
        )
    with pytest.raises(NotAllowed):
        await services.visits.set_policy(
            regional.user_id, None, visits_per_month=1, days_per_year=1
        )
    # Unverified days no longer count at XH01.
    li = await staff(services, "Li Wei")
    progress = await services.visits.log_visit(li.user_id, xh.id, date(2026, 3, 1), "logged")
    assert progress.month.days == 1 and progress.month_done == 0


# ---- pairing (结对帮扶) ------------------------------------------------------------------------


async def test_an_administrator_pairs_a_cadre_with_a_household(
    services: Services, clock: FakeClock
) -> None:
    await county(services)
    admin = await make_admin(services)
    li = await staff(services, "Li Wei", title="Deputy head")
    zhang = await resident(services, "Zhang San", locale="zh_Hans")
    found = await services.visits.find_households(admin.user_id, "zhang")
    assert [h.name for h in found] == ["Zhang San"]
    assert [c.name for c in found[0].cadres] == ["Li Wei"] and found[0].paired == []
    paired = await services.visits.pair(admin.user_id, staff_id(li), zhang.user_id)
    assert paired.created and paired.pairing.resident_name == "Zhang San"
    again = await services.visits.pair(admin.user_id, staff_id(li), zhang.user_id)
    assert not again.created and again.pairing.id == paired.pairing.id
    [to_cadre] = await texts_to(services, li)
    assert "Zhang San" in to_cadre and "Xinhua Street" in to_cadre
    [to_household] = await texts_to(services, zhang)
    assert "结对帮扶" in to_household and "Li Wei" in to_household
    [view] = await services.visits.pairings_of(staff_id(li))
    assert view.last_contact is None and not view.contacted_this_month
    household = await services.visits.household(admin.user_id, zhang.user_id)
    assert [c.name for c in household.paired] == ["Li Wei"]


async def test_pairing_is_checked_on_every_side(services: Services) -> None:
    await county(services)
    admin = await make_admin(services)
    yijiang_admin = await make_admin(services, "Sun", region="Yijiang")
    li = await staff(services, "Li Wei")
    wang = await staff(services, "Wang Fang", point="JH02")
    zhang = await resident(services, "Zhang San")
    with pytest.raises(NotAllowed):  # not an administrator
        await services.visits.pair(li.user_id, staff_id(li), zhang.user_id)
    with pytest.raises(NotAllowed):  # outside the administrator's region
        await services.visits.pair(yijiang_admin.user_id, staff_id(li), zhang.user_id)
    with pytest.raises(Invalid) as refused:  # the cadre serves another point
        await services.visits.pair(admin.user_id, staff_id(wang), zhang.user_id)
    assert refused.value.key == "visits.pair.not_at_point"
    with pytest.raises(NotFound):  # an administrator is not a cadre to pair
        await services.visits.pair(admin.user_id, staff_id(yijiang_admin), zhang.user_id)
    assert await services.visits.find_households(yijiang_admin.user_id, "Zhang") == []
    with pytest.raises(NotFound):
        await services.visits.unpair(admin.user_id, staff_id(li), zhang.user_id)


async def test_contacts_are_recorded_by_the_paired_cadre_and_counted_per_month(
    services: Services, clock: FakeClock
) -> None:
    await county(services)
    admin = await make_admin(services)
    li = await staff(services, "Li Wei")
    wang = await staff(services, "Wang Fang")
    zhang = await resident(services, "Zhang San")
    pairing = (await services.visits.pair(admin.user_id, staff_id(li), zhang.user_id)).pairing
    with pytest.raises(NotFound):
        await services.visits.record_contact(wang.user_id, pairing.id, "not mine")
    view = await services.visits.record_contact(li.user_id, pairing.id, "Called about the roof")
    assert view.contacted_this_month and view.last_contact == date(2026, 3, 2)
    clock.set(utc(2026, 4, 1, 1))  # April in Shanghai: a new month, a new contact owed
    [view] = await services.visits.my_households(li.user_id)
    assert not view.contacted_this_month and view.last_contact == date(2026, 3, 2)
    await services.visits.unpair(admin.user_id, staff_id(li), zhang.user_id)
    assert await services.visits.pairings_of(staff_id(li)) == []
    assert "Zhang San" in (await texts_to(services, li))[-1]
    with pytest.raises(NotFound):
        await services.visits.record_contact(li.user_id, pairing.id, None)


# ---- reception days (接待日) -------------------------------------------------------------------


async def reception_county(services: Services) -> dict[str, Person]:
    await county(services)
    people = {
        "li": await staff(services, "Li Wei", title="Deputy head"),
        "en": await resident(services, "Zhang San"),
        "zh": await resident(services, "Zhao Liu", locale="zh_Hans"),
        "blocked": await resident(services, "Gone"),
        "elsewhere": await resident(services, "Far Away", point="JH02"),
    }
    async with services.ctx.db.write() as session:
        await session.execute(
            update(User)
            .where(User.id == people["blocked"].user_id)
            .values(blocked_at=services.ctx.clock.now())
        )
    return people


async def announce(services: Services, li: Person, day: date, start: time, end: time) -> Any:
    point = (await services.visits.my_points(li.user_id))[0]
    return await services.visits.announce_reception(li.user_id, point.id, day, start, end)


async def test_residents_hear_of_a_reception_day_in_advance_and_on_the_morning(
    services: Services, clock: FakeClock
) -> None:
    people = await reception_county(services)
    li = people["li"]
    point = (await services.visits.my_points(li.user_id))[0]
    preview = await services.visits.reception_preview(
        li.user_id, point.id, date(2026, 3, 12), time(9), time(12)
    )
    assert preview.residents == 2 and preview.notice_on == date(2026, 3, 9)
    await announce(services, li, date(2026, 3, 12), time(9), time(12))
    with pytest.raises(Invalid) as refused:
        await announce(services, li, date(2026, 3, 12), time(14), time(16))
    assert refused.value.key == "visits.reception.exists"
    tick = runner(services, "a")
    clock.set(utc(2026, 3, 9, 0, 59))
    assert await tick.tick() == {}
    clock.set(utc(2026, 3, 9, 1))  # 09:00 in Shanghai, three days before
    assert await tick.tick() == {"done": 1}
    [en] = await texts_to(services, people["en"])
    assert "Reception day" in en and "Li Wei (Deputy head)" in en and "09:00–12:00" in en
    assert "Thu 12 Mar" in en and "12 Xinhua Rd" in en
    [zh] = await texts_to(services, people["zh"])
    assert "接待日通知" in zh and "3月12日" in zh
    for nobody in ("blocked", "elsewhere", "li"):
        assert await texts_to(services, people[nobody]) == []
    clock.set(utc(2026, 3, 11, 23, 30))  # 07:30 on the day
    assert await tick.tick() == {"done": 1}
    assert "Today" in (await texts_to(services, people["en"]))[-1]
    assert "今日接待" in (await texts_to(services, people["zh"]))[-1]
    assert await tick.tick() == {}
    assert len(await messages(services)) == 4


async def test_a_reception_day_tomorrow_is_announced_at_once(
    services: Services, clock: FakeClock
) -> None:
    people = await reception_county(services)
    await announce(services, people["li"], date(2026, 3, 3), time(14, 30), time(17, 30))
    # Told in the announcing transaction, which wakes the sender: no wait for the tick.
    assert "Tue 3 Mar" in (await texts_to(services, people["en"]))[0]
    assert await runner(services, "a").tick() == {}
    [morning] = await reminders(services, "visit_reception_today")
    assert morning.due_at == utc(2026, 3, 2, 23, 30)


async def test_calling_off_a_reception_day(services: Services, clock: FakeClock) -> None:
    people = await reception_county(services)
    li = people["li"]
    early = await announce(services, li, date(2026, 3, 20), time(9), time(12))
    told = await announce(services, li, date(2026, 3, 4), time(9), time(12))
    tick = runner(services, "a")
    assert await tick.tick() == {}  # the 4 March one: residents were told at once
    store = services.outbox("test")  # ... and the sender sent it
    claimed = await store.claim(100)
    await store.complete([Result(c.id, "sent", message_id=c.id, claimed=c) for c in claimed])
    before = len(await messages(services))
    # Called off before anyone heard: nothing to say, and nothing is said later either.
    await services.visits.cancel_reception(li.user_id, early.id)
    assert await tick.tick() == {}
    assert len(await messages(services)) == before
    # Called off after the notice: residents hear it at once; the morning notice is not sent.
    await services.visits.cancel_reception(li.user_id, told.id)
    assert await tick.tick() == {}
    assert len(await messages(services)) == before + 2
    assert "Called off" in (await texts_to(services, people["en"]))[-1]
    assert "取消通知" in (await texts_to(services, people["zh"]))[-1]
    clock.set(utc(2026, 3, 20, 0))
    # The 4 March morning notice and both notices of 20 March: all called off.
    assert await tick.tick() == {"skipped": 3}
    assert len(await messages(services)) == before + 2
    with pytest.raises(Invalid):
        await services.visits.cancel_reception(li.user_id, told.id)
    assert await services.visits.my_receptions(li.user_id) == []


async def test_reception_days_are_refused_in_the_past_or_too_far_ahead(
    services: Services,
) -> None:
    people = await reception_county(services)
    li = people["li"]
    for day, start, key in (
        (date(2026, 3, 2), time(8), "visits.reception.too_late"),  # 08:00 today has passed
        (date(2026, 3, 1), time(10), "visits.reception.bad_day"),
        (date(2026, 6, 1), time(10), "visits.reception.bad_day"),
    ):
        with pytest.raises(Invalid) as refused:
            await announce(services, li, day, start, time(12))
        assert refused.value.key == key


async def test_the_fan_out_streams_residents_in_chunks(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = await reception_county(services)
    for n in range(3):
        await resident(services, f"Neighbour {n}")
    import services.fanout.engine as module  # the shared fan-out queues the chunks

    sizes: list[int] = []
    original = module.enqueue_many

    async def spy(session: Any, rows: list[dict[str, Any]], now: datetime) -> None:
        sizes.append(len(rows))
        await original(session, rows, now)

    monkeypatch.setattr(module, "enqueue_many", spy)
    services.visits.fanout_chunk = 2
    await announce(services, people["li"], date(2026, 3, 3), time(9), time(12))
    # Told at once, in the announcing transaction, a chunk at a time (the cadre is left out).
    assert sum(sizes) == 5 and max(sizes) == 2
    recipients = [m.recipient_user_id for m in await messages(services)]
    assert len(recipients) == len(set(recipients)) == 5


# ---- compliance ----------------------------------------------------------------------------


async def test_compliance_per_point_and_cadre_within_a_region(
    services: Services, clock: FakeClock
) -> None:
    clock.set(utc(2026, 1, 20, 2))
    await county(services)
    admin = await make_admin(services)
    li = await staff(services, "Li Wei")
    await staff(services, "Wang Fang", point="JH02")
    await staff(services, "Zhao Yi", point="YJ03")
    zhang = await resident(services, "Zhang San")
    await services.visits.pair(admin.user_id, staff_id(li), zhang.user_id)
    clock.set(utc(2026, 3, 10, 2))  # joined in February: March is a month of duty
    newcomer = await staff(services, "Xu Ming")
    await services.visits.check_in(li.user_id, *XH)
    await services.visits.check_out(li.user_id)
    point = (await services.visits.my_points(li.user_id))[0]
    await services.visits.log_visit(li.user_id, point.id, date(2026, 3, 5), "logged")
    [pairing] = await services.visits.pairings_of(staff_id(li))
    await services.visits.record_contact(li.user_id, pairing.id, None)
    await services.visits.check_in(newcomer.user_id, *XH)
    report = await services.visits.compliance("Jinghu", 2026, 3)
    rows = {(r.point.code, r.cadre.name if r.cadre else None): r for r in report.rows}
    assert set(rows) == {
        ("XH01", "Li Wei"),
        ("XH01", "Xu Ming"),
        ("JH02", "Wang Fang"),
        ("NO04", None),
    }
    mine = rows[("XH01", "Li Wei")]
    assert (mine.days, mine.verified_days, mine.met, mine.obliged) == (2, 1, True, True)
    assert (mine.pairings, mine.pairings_contacted) == (1, 1)
    # Joined 20 January: February and March owed, so 10 days x 11/12 and 2 by March's end.
    assert (mine.year_target, mine.year_expected, mine.behind) == (10, 1, False)
    late = rows[("JH02", "Wang Fang")]
    assert not late.met and late.obliged and late.days == 0
    assert not rows[("XH01", "Xu Ming")].obliged
    assert (report.met, len(report.obliged_rows)) == (1, 2)
    everywhere = await services.visits.compliance(None, 2026, 3)
    assert {r.point.code for r in everywhere.rows} == {"XH01", "JH02", "YJ03", "BE01", "NO04"}
    assert (await services.visits.compliance("Nowhere", 2026, 3)).rows == []


async def test_the_year_target_of_a_full_year_and_its_pace(
    services: Services, clock: FakeClock
) -> None:
    clock.set(utc(2025, 12, 20, 2))
    await county(services)
    li = await staff(services, "Li Wei")
    clock.set(utc(2026, 5, 10, 2))
    [progress] = (await services.visits.progress(li.user_id)).points
    assert (progress.year_target, progress.year_expected, progress.behind) == (10, 3, True)


async def test_progress_for_someone_not_staff_is_refused(services: Services) -> None:
    await county(services)
    someone = await register(services, "Nobody")
    with pytest.raises(NotAllowed):
        await services.visits.progress(someone.user_id)
