"""Every commit that changes people, roles, points or categories bumps
``Database.people_version`` — also when the change is made on a loaded object of a model
with a ``name`` column (users, contact points), which once hid its table from the check."""

from __future__ import annotations

from sqlmodel import col, select

from models.tables import ContactPoint, User
from services.app import Services
from tests.factories import load_points, register


async def test_editing_a_loaded_user_or_point_drops_the_caches(services: Services) -> None:
    await load_points(services)
    person = await register(services, "Zhang")
    db = services.ctx.db
    before = db.people_version
    async with db.write() as session:
        user = await session.get(User, person.user_id)
        assert user is not None
        user.name = "Zhang Wei"
    assert db.people_version == before + 1
    async with db.write() as session:
        point = (
            await session.execute(select(ContactPoint).where(col(ContactPoint.code) == "XH01"))
        ).scalar_one()
        point.active = False
    assert db.people_version == before + 2
