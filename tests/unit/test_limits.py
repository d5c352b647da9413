"""The in-process limiter: the bot-wide second, a tenth of it in any tenth, one a second to a
person, and a pause for everyone."""

from __future__ import annotations

import asyncio
import time

from bot.limits import MemoryLimiter


async def stamps_of(limiter: MemoryLimiter, chats: list[int]) -> list[float]:
    stamps: list[float] = []

    async def one(chat: int) -> None:
        await limiter.acquire(chat)
        stamps.append(time.monotonic())

    await asyncio.gather(*(one(c) for c in chats))
    return sorted(stamps)


def most_in(stamps: list[float], span: float) -> int:
    return max(sum(1 for s in stamps if start <= s < start + span) for start in stamps)


async def test_a_second_and_its_tenths() -> None:
    stamps = await stamps_of(MemoryLimiter(rate=100), list(range(1, 161)))
    assert most_in(stamps, 1.0) <= 100
    assert most_in(stamps, 0.1) <= 10  # no bunch after the start
    assert stamps[-1] - stamps[0] >= 0.5


async def test_one_person_one_a_second() -> None:
    limiter = MemoryLimiter(rate=100, chat_interval=0.2)
    stamps = await stamps_of(limiter, [7, 7, 7])
    assert stamps[1] - stamps[0] >= 0.19 and stamps[2] - stamps[1] >= 0.19
    await limiter.sent(7)  # a send just finished: the next waits a full interval from now
    start = time.monotonic()
    await limiter.acquire(7)
    assert time.monotonic() - start >= 0.19


async def test_a_pause_holds_everyone() -> None:
    limiter = MemoryLimiter(rate=100)
    await limiter.pause(0.3)
    start = time.monotonic()
    await limiter.acquire(1)
    assert time.monotonic() - start >= 0.29


async def test_idle_chats_are_forgotten_now_and_then_not_on_every_message() -> None:
    now = [1000.0]
    limiter = MemoryLimiter(rate=1_000_000, clock=lambda: now[0])
    sweeps = 0
    sweep = limiter._forget_idle

    def counted() -> None:
        nonlocal sweeps
        sweeps += 1
        sweep()

    limiter._forget_idle = counted  # type: ignore[method-assign]
    for chat in range(1, 10_501):
        await limiter.acquire(chat)
        now[0] += 0.0001  # a county-wide notice: ten thousand chats, all recent
    assert sweeps == 1  # the first time past ten thousand, not on each message after
    assert len(limiter._chat_locks) == 10_500  # nobody was idle yet
    now[0] += 121  # two minutes later every chat is idle
    await limiter.acquire(99_999)
    assert sweeps == 2
    assert len(limiter._chat_locks) == 1


async def test_a_group_slot_counts_from_the_answer_with_a_margin() -> None:
    """Telegram counts a group's 20 a minute from arrival: a slot stamped when the request
    left and freed exactly 60 s later let the 21st message in at the edge (issue 18)."""
    now = [0.0]
    limiter = MemoryLimiter(rate=100, group_per_minute=2, clock=lambda: now[0])
    for _ in range(2):
        await limiter.acquire(-100)
    now[0] = 0.5  # both answers came back half a second later
    await limiter.sent(-100)
    await limiter.sent(-100)
    now[0] = 60.6  # a minute after the requests left, and after the answers too
    try:
        await asyncio.wait_for(limiter.acquire(-100), 0.2)
        waited = False
    except TimeoutError:
        waited = True
    assert waited, "the third message of the minute must wait for the margin"
    now[0] = 63.6  # past the minute and its margin, counted from the answers
    await asyncio.wait_for(limiter.acquire(-100), 1.0)
