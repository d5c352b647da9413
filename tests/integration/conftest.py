from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.clock import FakeClock
from tests.harness import World


@pytest.fixture
async def world(db_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    w = await World.create(db_path, clock)
    yield w
    assert w.emulator.violations == [], "requests outside the Bot API spec"
    await w.close()
