from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.clock import FakeClock
from tests.harness import World, join_staff, load_points, t


@pytest.fixture
async def world(db_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    w = await World.create(db_path, clock)
    yield w
    assert w.emulator.violations == [], "requests outside the Bot API spec"
    await w.close()


@pytest.fixture
async def county(world: World):  # type: ignore[no-untyped-def]
    """A cadre at XH01 and an inspector for the Jinghu region (tip-off tests)."""
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    inspector = world.person("Chen", "en", "Jing")
    invite = await world.app.services.staff.create_invite("inspector", region="Jinghu")
    await inspector.send("/start " + invite.link.split("start=", 1)[1])
    await inspector.press(t("en", "reg.accept"))
    await inspector.press(t("en", "btn.skip"))
    return cadre, inspector
