"""Injected faults: 5xx answers, delays, dropped connections, every Nth call."""

from __future__ import annotations

import time

import aiohttp
from emuhelpers import TOKEN, api, result, started_user

from emulator import Emulator
from emulator.runner import RunningEmulator


async def test_errors_n_times_then_normal(emu: Emulator) -> None:
    emu.add_fault("getMe", "error", count=2)
    answers = [(await api(emu, "getMe"))["ok"] for _ in range(3)]
    assert answers == [False, False, True]


async def test_error_has_telegrams_shape(emu: Emulator) -> None:
    emu.add_fault("*", "error", count=1, status=502)
    response = await emu.call(TOKEN, "getMe", {})
    assert (response.status, response.body) == (
        502,
        {"ok": False, "error_code": 502, "description": "Bad Gateway"},
    )


async def test_every_nth_call(emu: Emulator) -> None:
    emu.add_fault("getme", "error", every=3)
    answers = [(await api(emu, "getMe"))["ok"] for _ in range(6)]
    assert answers == [True, True, False, True, True, False]


async def test_delay(emu: Emulator) -> None:
    emu.add_fault("getMe", "delay", count=1, delay=0.2)
    started = time.monotonic()
    await result(emu, "getMe")
    assert time.monotonic() - started >= 0.2


async def test_drop_before_and_after_over_http(emu: Emulator, server: RunningEmulator) -> None:
    user = started_user(emu)
    emu.set_limits(enabled=False)
    async with aiohttp.ClientSession(server.url) as http:
        faults = [
            {"method": "sendMessage", "kind": "drop", "count": 1},
            {"method": "sendMessage", "kind": "drop", "count": 1, "after": True},
        ]
        for fault in faults:
            async with http.post("/control/faults", json=fault) as response:
                assert response.status == 201
            try:
                await http.post(
                    f"/bot{TOKEN}/sendMessage", json={"chat_id": user["id"], "text": "x"}
                )
            except aiohttp.ClientError:
                pass
            else:
                raise AssertionError("the connection should have been dropped")
            async with http.delete("/control/faults") as response:
                assert response.status == 200

    # Dropped before: nothing sent. Dropped after: sent, but the bot never heard back.
    texts = [m.get("text") for m in emu.history(user["id"])]
    assert texts == ["/start", "x"]
    assert emu.counters()["connections_dropped"] == 2
