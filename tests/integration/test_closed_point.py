"""A resident at a deactivated contact point is told at the start of the wizard and by /point,
not refused at Send."""

from __future__ import annotations

from sqlmodel import select

from models.tables import ContactPoint
from tests.harness import World, load_points, register_resident, t


async def test_a_closed_point_is_said_at_once(world: World) -> None:
    await load_points(world)
    res = world.person("Zhang")
    await register_resident(res)
    async with world.app.db.write() as session:
        point = (
            await session.execute(select(ContactPoint).where(ContactPoint.code == "XH01"))
        ).scalar_one()
        point.active = False
    await res.send(t("en", "menu.new_case"))
    assert res.last_text() == t("en", "filing.point_inactive")
    await res.send("/point")
    assert t("en", "point.closed") in res.last_text()
