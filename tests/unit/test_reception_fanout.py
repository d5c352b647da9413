"""Reception-day announcements on the shared fan-out: paced (only a window queued ahead of the
sender), resumed after a kill without duplicates, cancelled with the day (the cancellation told
only to those who heard of the day), started once."""

from __future__ import annotations

from collections import Counter
from datetime import date, time
from itertools import count
from typing import Any

import pytest
from sqlmodel import select

from models.enums import OutboxStatus
from models.tables import Outbox
from models.visits import ReceptionRun
from services.app import Services
from services.clock import FakeClock
from services.outbox import Result
from tests.factories import Person, resident
from tests.unit.test_visits import announce, reception_county

_ids = count(5000)
WINDOW = 3


@pytest.fixture
def services(services_on_both: Services) -> Services:
    services_on_both.visits.fanout_chunk = 2
    services_on_both.visits.reception_fanout_options = {
        "first_window": WINDOW,
        "min_window": WINDOW,
        "max_window": WINDOW,
    }
    return services_on_both


async def crowd(services: Services, n: int = 10) -> dict[str, Person]:
    """The reception county with ``n`` more residents at the cadre's point."""
    people = await reception_county(services)
    for i in range(n):
        people[f"n{i}"] = await resident(services, f"Neighbour {i}", locale="zh_Hans")
    return people


def is_announcement(row: Outbox) -> bool:
    text = row.payload.get("text", "")
    return "Reception day" in text or "接待日通知" in text or "今日接待" in text


def is_called_off(row: Outbox) -> bool:
    text = row.payload.get("text", "")
    return "Called off" in text or "取消通知" in text


async def rows(services: Services) -> list[Outbox]:
    async with services.ctx.db.read() as session:
        return list((await session.execute(select(Outbox).order_by(Outbox.id))).scalars())


async def runs(services: Services) -> list[ReceptionRun]:
    async with services.ctx.db.read() as session:
        found = await session.execute(select(ReceptionRun).order_by(ReceptionRun.id))
        return list(found.scalars())


async def deliver(services: Services) -> int:
    """What a sender does: claim every due row and record it as sent."""
    store = services.outbox("test")
    claimed = await store.claim(1000)
    await store.complete([Result(c.id, "sent", message_id=next(_ids), claimed=c) for c in claimed])
    return len(claimed)


def expected(people: dict[str, Person]) -> set[int]:
    """Everyone at the point but the cadre and the one who blocked the bot."""
    return {p.user_id for k, p in people.items() if k not in ("li", "blocked", "elsewhere")}


async def test_a_large_point_is_told_a_window_at_a_time(
    services: Services, clock: FakeClock
) -> None:
    people = await crowd(services)
    await announce(services, people["li"], date(2026, 3, 3), time(9), time(12))
    # Only the window is queued with the announcement, not the whole point (of 12).
    first = len([r for r in await rows(services) if is_announcement(r)])
    assert 0 < first <= WINDOW
    # The tick keeps no more than the window with the sender ...
    await services.visits.advance_receptions()
    assert len([r for r in await rows(services) if is_announcement(r)]) == WINDOW
    # ... and queues more as it goes.
    for _ in range(20):
        if not await deliver(services):
            clock.advance(seconds=3)
        await services.visits.advance_receptions()
        pending = [r for r in await rows(services) if r.status == OutboxStatus.PENDING]
        assert len(pending) <= WINDOW
    told = Counter(r.recipient_user_id for r in await rows(services) if is_announcement(r))
    assert set(told) == expected(people) and set(told.values()) == {1}
    [run] = await runs(services)
    assert run.finished_at is not None and run.status == "sent"
    assert run.sent == len(expected(people)) and run.skipped_blocked == 1


async def test_a_kill_between_chunks_resumes_without_duplicates(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = await crowd(services)
    await announce(services, people["li"], date(2026, 3, 3), time(9), time(12))
    await deliver(services)
    import services.fanout.engine as engine

    original, calls = engine.contacts, {"n": 0}

    async def dies_on_the_second_chunk(session: Any, wanted: list[int]) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")
        return await original(session, wanted)

    monkeypatch.setattr(engine, "contacts", dies_on_the_second_chunk)
    await services.visits.advance_receptions()  # one chunk commits, the next one dies
    monkeypatch.setattr(engine, "contacts", original)
    for _ in range(20):
        if not await deliver(services):
            clock.advance(seconds=3)
        await services.visits.advance_receptions()
    told = Counter(r.recipient_user_id for r in await rows(services) if is_announcement(r))
    assert set(told) == expected(people) and set(told.values()) == {1}


async def test_calling_the_day_off_cancels_the_announcement_not_yet_sent(
    services: Services, clock: FakeClock
) -> None:
    people = await crowd(services)
    day = await announce(services, people["li"], date(2026, 3, 3), time(9), time(12))
    await deliver(services)
    await services.visits.advance_receptions()  # the second window is queued, not yet sent
    waiting = [r.id for r in await rows(services) if r.status == OutboxStatus.PENDING]
    assert 0 < len(waiting) <= WINDOW
    await services.visits.cancel_reception(people["li"].user_id, day.id)
    after = {r.id: r for r in await rows(services)}
    assert all(after[i].status == OutboxStatus.CANCELLED for i in waiting)
    # The cancellation comes after: none of it is queued before an announcement row.
    first_off = min(i for i, r in after.items() if is_called_off(r))
    assert all(i < first_off for i, r in after.items() if is_announcement(r))
    for _ in range(20):
        if not await deliver(services):
            clock.advance(seconds=3)
        await services.visits.advance_receptions()
    everything = await rows(services)
    announced = [r for r in everything if is_announcement(r)]
    # No more of it after the day was called off.
    assert len(announced) == len([r for r in after.values() if is_announcement(r)])
    assert len(announced) < len(expected(people))
    assert {r.status for r in announced} == {OutboxStatus.SENT, OutboxStatus.CANCELLED}
    # Only those who heard of the day hear it is off, once each; the rest hear nothing of it.
    heard = {r.recipient_user_id for r in announced if r.status == OutboxStatus.SENT}
    assert 0 < len(heard) < len(expected(people))
    off = Counter(r.recipient_user_id for r in everything if is_called_off(r))
    assert set(off) == heard and set(off.values()) == {1}
    notice, called_off = await runs(services)
    assert (notice.purpose, notice.status) == ("notice", "cancelled")
    assert notice.cancelled_rows == len(waiting)
    assert notice.finished_at is not None
    assert (called_off.purpose, called_off.status) == ("cancelled", "sent")


async def test_a_refired_reminder_starts_no_second_announcement(
    services: Services, clock: FakeClock
) -> None:
    from services.reminders import Due
    from services.visits.rules import KIND_RECEPTION_TODAY

    people = await crowd(services, n=2)
    day = await announce(services, people["li"], date(2026, 3, 3), time(9), time(12))
    handler = services.visits.reception_reminder_handlers()[KIND_RECEPTION_TODAY]
    for refire in (1, 2):
        async with services.ctx.db.write() as session:
            due = Due(100 + refire, KIND_RECEPTION_TODAY, f"reception:{day.id}", "", {"id": day.id})
            assert await handler(session, due, clock.now())
    assert [r.purpose for r in await runs(services)] == ["notice", "today"]
    for _ in range(5):
        await deliver(services)
        await services.visits.advance_receptions()
    told = Counter(r.recipient_user_id for r in await rows(services) if ":today:" in r.dedupe_key)
    assert set(told) == expected(people) and set(told.values()) == {1}
