"""/consults for an administrator lists the consultations of their region's cadres too (the
administrators' guide: "see, export and close the consultations of any cadre inside their
region"); a cadre still sees only their own."""

from __future__ import annotations

import re

import pytest

from tests.guide_walk import CASTS, consult_form, start_admin
from tests.harness import World, join_staff, load_points, t
from tests.integration.test_admin_points import wire


@pytest.fixture(autouse=True)
def _wired(monkeypatch: pytest.MonkeyPatch) -> None:
    wire(monkeypatch)


async def test_an_administrator_sees_a_cadres_consultation(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    other = world.person("Wang", "en")
    await join_staff(world, other, point="JH02")
    await cadre.send("/consult")
    await cadre.send(consult_form(world.app.services.ctx.clock.now()))
    await cadre.press(t("en", "consult.btn_send"))

    admin = await start_admin(world, CASTS["en"])
    await admin.send("/consults")
    await admin.press(re.compile(r"^📊 #\d+"))
    assert t("en", "consult.btn_close") in str(admin.last().get("reply_markup"))
    await other.send("/consults")
    assert other.last_text() == t("en", "consult.none_yours")
