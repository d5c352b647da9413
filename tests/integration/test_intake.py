"""Bounded intake, in one process against the in-process emulator: at most N updates in hand,
each chat's updates in order, a chat waiting for its turn holds no slot; transient database
failures handled again; SQLite's one writer handed on with the sender's lane first."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Message
from sqlalchemy import exc

from bot.intake import BoundedPolling
from bot.retry import RetryTransient, TryLater
from emulator.config import BotConfig, EmulatorConfig, LimitsConfig
from emulator.core import Emulator
from models.db import WriteGate, delivery_lane, is_transient
from tests.harness import EmulatorSession

TOKEN = "777777:INTAKE"


def pool_timeout() -> exc.TimeoutError:
    return exc.TimeoutError("QueuePool limit of size 5 overflow 5 reached")


@pytest.fixture
async def emulator() -> Any:
    emu = Emulator(
        EmulatorConfig(bots=(BotConfig(TOKEN, "intake_bot"),), limits=LimitsConfig(enabled=False))
    )
    yield emu
    await emu.aclose()


async def test_bounded_in_hand_and_each_chat_in_order(emulator: Emulator) -> None:
    bot = Bot(TOKEN, session=EmulatorSession(emulator))
    dp = Dispatcher()
    in_hand = 0
    most = 0
    seen: dict[int, list[int]] = defaultdict(list)

    @dp.message()
    async def slow(message: Message) -> None:
        nonlocal in_hand, most
        in_hand += 1
        most = max(most, in_hand)
        await asyncio.sleep(0.02)
        seen[message.chat.id].append(int(message.text or "0"))
        in_hand -= 1

    people = [emulator.create_user(f"R{n}") for n in range(12)]
    for i in range(10):
        for person in people:
            emulator.user_send(person["id"], text=str(i))
    polling = BoundedPolling(dp, bot, concurrency=3, backlog=8, poll_seconds=0)
    stop = asyncio.Event()
    task = asyncio.create_task(polling.run(stop))
    for _ in range(600):
        if sum(len(v) for v in seen.values()) == 120:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 30)
    assert most <= 3
    assert most > 1  # several chats at once
    assert all(order == list(range(10)) for order in seen.values()), seen
    assert len(seen) == 12
    # The last batch was confirmed on stopping: nothing comes again.
    again = await emulator.call(TOKEN, "getUpdates", {"offset": polling.offset or 0})
    assert again.body["result"] == []


async def test_a_waiting_chat_holds_no_slot(emulator: Emulator) -> None:
    """One person flooding (their updates queued behind each other) does not stall others."""
    bot = Bot(TOKEN, session=EmulatorSession(emulator))
    dp = Dispatcher()
    done: list[int] = []
    flooder = emulator.create_user("Flood")
    other = emulator.create_user("Calm")

    @dp.message()
    async def handle(message: Message) -> None:
        if message.chat.id == flooder["id"]:
            await asyncio.sleep(0.3)
        done.append(message.chat.id)

    for i in range(8):
        emulator.user_send(flooder["id"], text=str(i))
    emulator.user_send(other["id"], text="hello")
    polling = BoundedPolling(dp, bot, concurrency=2, backlog=20, poll_seconds=0)
    stop = asyncio.Event()
    task = asyncio.create_task(polling.run(stop))
    for _ in range(100):
        if other["id"] in done:
            break
        await asyncio.sleep(0.02)
    assert other["id"] in done and done.count(flooder["id"]) <= 2
    stop.set()
    await asyncio.wait_for(task, 30)
    assert done.count(flooder["id"]) == 8  # stopping finished what was fetched


async def test_transient_failures_are_handled_again() -> None:
    attempts = 0

    async def flaky(event: Any, data: dict[str, Any]) -> str:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise pool_timeout()
        return "handled"

    retry = RetryTransient(pauses=(0.0, 0.0, 0.0))
    assert await retry(flaky, object(), {}) == "handled"
    assert attempts == 3


async def test_still_failing_webhook_updates_are_redelivered() -> None:
    async def down(event: Any, data: dict[str, Any]) -> None:
        raise pool_timeout()

    retry = RetryTransient(pauses=(0.0,))
    with pytest.raises(TryLater):
        await retry(down, object(), {"redeliverable": True})
    # Polling cannot be redelivered: the person is asked to send it again (no bot here).
    assert await retry(down, object(), {}) is None


async def test_other_failures_are_not_retried() -> None:
    calls = 0

    async def broken(event: Any, data: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        await RetryTransient(pauses=(0.0, 0.0))(broken, object(), {})
    assert calls == 1
    assert is_transient(pool_timeout())
    assert not is_transient(ValueError())


async def test_the_sender_lane_goes_first_on_sqlite() -> None:
    gate = WriteGate()
    order: list[str] = []
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.held():
            await release.wait()

    async def write(name: str) -> None:
        async with gate.held():
            order.append(name)

    async def send(name: str) -> None:
        with delivery_lane():
            await write(name)

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(write(f"intake{i}")) for i in range(5)]
    await asyncio.sleep(0)
    waiting.append(asyncio.create_task(send("claim")))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, *waiting)
    assert order[0] == "claim"
    assert order[1:] == [f"intake{i}" for i in range(5)]  # first come, first served


async def test_a_cancelled_writer_gives_the_gate_on() -> None:
    gate = WriteGate()
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.held():
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(gate.held().__aenter__())
    await asyncio.sleep(0)
    cancelled.cancel()
    release.set()
    await holder
    async with asyncio.timeout(1):
        async with gate.held():
            pass
