"""A crash during a notice (issue 18): ``cpbot run`` killed with SIGKILL half-way and started
again delivers the rest; nobody is left out, and only what was in flight at the kill can
reach its resident twice (bench/crash_duplicates.py does this 20 times at random moments)."""

from __future__ import annotations

from bench.crash_duplicates import one_run
from bot.sender import sending_concurrency


async def test_a_killed_notice_is_finished_and_repeats_only_what_was_in_flight() -> None:
    run = await one_run(residents=80, rate=25, kill_share=0.5, patience=180)
    assert run["reached"] == 80 and run["lost"] == 0
    assert run["duplicates"] <= sending_concurrency(25)
