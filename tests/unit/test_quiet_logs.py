"""Logs are quiet (issue 18): nothing from the scheduler while idle, one line when the database
goes away and one when it is back — not a traceback on every poll — and overlapping ticks
skipped silently."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

import pytest
from aiogram import Bot
from sqlalchemy.exc import OperationalError

from bot.logs import Outage, setup_logging
from bot.sender import OutboxSender
from bot.settings import Settings
from models.db import OUTBOX_TOUCHED
from scheduler.setup import PACED_TICKS, Pace, build_scheduler, quiet
from services.app import Services
from services.outbox import Claimed, OutboxStore
from tests.statements import transactions_begun

DOWN = OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.INFO]


async def test_a_database_outage_is_one_line_and_its_end_another(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0

    async def reminders() -> None:
        nonlocal calls
        calls += 1
        if calls <= 30:  # thirty polls while the database is down
            raise DOWN

    tick = quiet(reminders, Outage(logging.getLogger("test.db"), "the database"))
    with caplog.at_level(logging.INFO):
        for _ in range(32):
            await tick()
    records = lines(caplog)
    assert [r.getMessage().split(" (")[0] for r in records] == [
        "the database is unreachable",
        "the database answers again after 0 s",
    ]
    assert not any(r.exc_info for r in records)  # no traceback


async def test_a_bug_in_a_tick_still_shows_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise KeyError("x")

    with caplog.at_level(logging.INFO):
        await quiet(broken, Outage(logging.getLogger("test.db"), "the database"))()
    assert [bool(r.exc_info) for r in lines(caplog)] == [True]


async def test_a_tick_still_running_is_skipped_silently(caplog: pytest.LogCaptureFixture) -> None:
    started = 0
    release = asyncio.Event()

    async def slow() -> None:
        nonlocal started
        started += 1
        await release.wait()

    tick = quiet(slow, Outage(logging.getLogger("test.db"), "the database"))
    with caplog.at_level(logging.INFO):
        first = asyncio.create_task(tick())
        await asyncio.sleep(0)
        for _ in range(100):
            await tick()  # APScheduler logged a warning for each of these
        release.set()
        await first
    assert started == 1
    assert lines(caplog) == []


def test_apscheduler_says_nothing_at_info() -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        setup_logging(Settings(log_level="INFO"))  # type: ignore[call-arg]
        assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
        assert not logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.INFO)
        assert logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.WARNING)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_an_idle_notices_tick_asks_the_database_every_few_seconds_only() -> None:
    now = [0.0]
    pace = Pace(idle_every=3.0, busy_for=15.0, clock=lambda: now[0])
    now[0] = 20.0  # nothing happened since the start
    runs = 0
    for _ in range(30):  # APScheduler fires it each second
        runs += pace.due()
        now[0] += 1.0
    assert runs == 10
    pace.wake()  # an outbox commit: a notice is going out
    busy = 0
    for _ in range(10):
        busy += pace.due()
        now[0] += 1.0
    assert busy == 10


async def test_idle_fan_out_ticks_each_ask_the_database_every_few_seconds_only(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notices, consultations and reception days each tick every second; idle, each asks the
    database every 3 s, and an outbox commit (a fan-out writing its rows) makes them all ask
    each second again."""
    asked: dict[str, int] = dict.fromkeys(PACED_TICKS, 0)

    def counting(job_id: str, result: Any) -> Callable[[], Any]:
        async def tick() -> Any:
            asked[job_id] += 1
            return result

        return tick

    quiet_report = type("Report", (), {"started": 0, "advanced": 0, "finished": 0})()
    monkeypatch.setattr(services.notices, "tick", counting("notices_tick", quiet_report))
    monkeypatch.setattr(services.consultations, "tick", counting("consultations_tick", 0))
    monkeypatch.setattr(
        services.visits, "advance_receptions", counting("reception_fanout_tick", None)
    )
    now = [0.0]
    jobs = {job.id: job for job in build_scheduler(services, clock=lambda: now[0]).get_jobs()}
    assert set(PACED_TICKS) <= set(jobs)

    async def fire_each_second(seconds: int) -> None:
        for _ in range(seconds):  # as APScheduler does
            for job_id in PACED_TICKS:
                await jobs[job_id].func(*jobs[job_id].args)
            now[0] += 1.0

    now[0] = 20.0  # past the attentive start, nothing happened
    await fire_each_second(30)
    assert asked == dict.fromkeys(PACED_TICKS, 10)
    async with services.ctx.db.write() as session:
        session.info[OUTBOX_TOUCHED] = True  # what a write of outbox rows marks
    await fire_each_second(10)
    assert asked == dict.fromkeys(PACED_TICKS, 20)


async def test_an_idle_fan_out_tick_is_one_short_read(services: Services) -> None:
    """With nothing scheduled or going out, each fan-out tick begins one transaction (the
    consultations tick began three, the notices tick two)."""
    with transactions_begun(services) as begun:
        for tick in (
            services.notices.tick,
            services.consultations.tick,
            services.visits.advance_receptions,
        ):
            begun.clear()
            await tick()
            assert begun == ["begin"], tick


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


class DownStore:
    """The database refuses every claim until ``up`` is set."""

    def __init__(self) -> None:
        self.up = False
        self.claims = 0
        self.ctx: Any = None

    async def claim(self, limit: int) -> list[Claimed]:
        self.claims += 1
        if not self.up:
            raise DOWN
        return []

    async def claim_due(
        self, limit: int, *, next_due: bool = True
    ) -> tuple[list[Claimed], float | None]:
        return await self.claim(limit), None

    async def next_due_in(self) -> float | None:
        return 0.0

    async def recover(self) -> int:
        return 0

    async def complete(self, results: list[Any]) -> None:
        pass

    async def release(self) -> None:
        pass


async def test_the_sender_reports_an_outage_once(caplog: pytest.LogCaptureFixture) -> None:
    store = DownStore()
    sender = OutboxSender(cast(OutboxStore, store), cast(Bot, None), poll_seconds=0.01)
    sender.outage = Outage(logging.getLogger("test.db"), "the database")
    with caplog.at_level(logging.INFO):
        task = asyncio.create_task(sender.run())
        await until(lambda: store.claims >= 20)
        store.up = True
        claims = store.claims
        await until(lambda: store.claims >= claims + 3)
        await sender.stop()
        await task
    messages = [r.getMessage().split(" (")[0] for r in lines(caplog)]
    assert messages == ["the database is unreachable", "the database answers again after 0 s"]
