"""A crash during a notice (issue 18): ``cpbot run`` killed with SIGKILL half-way and started
again delivers the rest; nobody is left out, and only what was in flight at the kill (claimed,
outcome not recorded: still 'sending' in the database) can reach its resident twice
(bench/crash_duplicates.py does this 20 times at random moments)."""

from __future__ import annotations

from bench.crash_duplicates import one_run
from bot.sender import sending_concurrency


async def test_a_killed_notice_is_finished_and_repeats_only_what_was_in_flight() -> None:
    run = await one_run(residents=80, rate=25, kill_share=0.5, patience=180)
    assert run["reached"] == 80 and run["lost"] == 0
    assert run["in_flight_at_kill"] <= sending_concurrency(25)
    # Exactly the in-flight rows Telegram already had arrive twice; nothing else does.
    assert run["duplicates"] == run["delivered_of_in_flight"]
