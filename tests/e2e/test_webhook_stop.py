"""SIGTERM to a webhook replica finishes the update in hand before the bot's session closes:
the person gets the real answer (not "something went wrong"), Telegram gets a 2xx for it, and
the process exits cleanly. The answer is slowed by the emulator so the signal lands mid-way."""

from __future__ import annotations

import asyncio
import signal

from emulator.runner import RunningEmulator
from tests.e2e.conftest import Phone, free_port
from tests.e2e.test_webhook_e2e import wait_ready

SLOW = 4.0


async def test_sigterm_finishes_the_update_in_hand(emulator: RunningEmulator, make_bot) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = make_bot(
        CPBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        CPBOT_WEBHOOK_PORT=str(port),
        CPBOT_WEBHOOK_SECRET="s3cret-token",
    )
    process.start("webhook")
    emu = emulator.emulator
    try:
        # Start-up imports aiogram, seconds of CPU on a loaded machine: wait for it patiently.
        await wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=180)
        resident = Phone(emu, emu.create_user("Zhang", "San", language_code="en"))
        slow = emu.add_fault("sendMessage", "delay", count=1, delay=SLOW)
        resident.send("/start")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while slow.fired == 0:  # the answer is on its way, slowly
            assert loop.time() < deadline, "the bot never answered"
            await asyncio.sleep(0.02)
        assert process.proc is not None
        process.proc.send_signal(signal.SIGTERM)
        answer = await resident.wait_for(lambda m: bool(m.get("reply_markup")), timeout=60)
        assert "I agree" in str(answer["reply_markup"])
        code = await asyncio.to_thread(process.proc.wait, 60)
        assert code == 0, process.output()[-3000:]
    finally:
        process.stop()
    texts = [m.get("text") or "" for m in resident.bot_messages()]
    assert not any("went wrong" in t for t in texts), texts
    log = process.output()
    assert "Server disconnected" not in log and "Session is closed" not in log, log[-3000:]
    assert "handling update" not in log, log[-3000:]
    counters = emu.counters()
    assert counters["duplicate_deliveries"] == 0
