"""Overload: residents' follow-ups offered all at once, several times what the bot takes in
the time, against the real ``cpbot run`` and the emulator (``bench/overload.py`` at a CI size).
0 lost, 0 duplicated, each cadre's in order, every follow-up stored and acknowledged — as
"sent" only after its relay reached the cadre, "queued" otherwise; on
SQLite, and on PostgreSQL when CPBOT_TEST_POSTGRES_URL is set. The bot takes 4 updates at a
time here, so 240 follow-ups are sixty times what it has in hand."""

from __future__ import annotations

import os

import pytest

from bench.overload import overload


@pytest.mark.parametrize("target", ["sqlite", "postgres"])
async def test_many_residents_at_once_nothing_lost_nothing_twice(target: str) -> None:
    if target == "postgres" and not os.environ.get("CPBOT_TEST_POSTGRES_URL"):
        pytest.skip("CPBOT_TEST_POSTGRES_URL is not set")
    outcome = await overload(target, residents=40, each=6, concurrency=4, patience=400)
    assert outcome.offered == 240
    assert outcome.problems == [], outcome
    assert outcome.relayed_once == outcome.offered
    assert outcome.acknowledged == outcome.offered
    assert outcome.told_sent + outcome.told_queued == outcome.offered
    assert outcome.told_sent_before_relay == 0
    assert outcome.stored["events"] == outcome.offered
