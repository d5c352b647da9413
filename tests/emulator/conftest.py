"""Fixtures for the emulator's tests: an emulator on a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from emuhelpers import FakeClock, make_config

from emulator import Emulator, start_emulator
from emulator.runner import RunningEmulator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emu(clock: FakeClock) -> AsyncIterator[Emulator]:
    emulator = Emulator(make_config(clock))
    yield emulator
    await emulator.aclose()


@pytest.fixture
async def server(emu: Emulator) -> AsyncIterator[RunningEmulator]:
    running = await start_emulator(emu)
    yield running
    await running.stop()
