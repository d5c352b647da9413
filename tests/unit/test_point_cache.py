"""A contact point read by id is kept per process (issue 13: the New case and Done steps of
every filing read it): read once, then again only after a point changes — at once in the
process that made the change (also through another Services on the same database), within
``POINTS_TTL`` in another process without Redis (with Redis at once: ``bot/people_signal.py``
bumps the same version). Filing checks the point in its own transaction, so a point kept too
long never takes a case after it was closed."""

from __future__ import annotations

from pathlib import Path

import pytest

import services.points as points_module
from services.administration import Administration
from services.app import Services
from services.cases import Draft
from services.clock import FakeClock
from services.config import ServiceConfig
from services.context import Context
from services.errors import Invalid, NotFound
from services.parts import Part
from tests.factories import load_points, resident, staff
from tests.statements import another_process, reads_of


async def test_read_once_and_again_after_an_administrator_edits_or_closes_it(
    services_on_both: Services,
) -> None:
    services = services_on_both
    await load_points(services)
    boss = await staff(services, "Zhou", "admin", None)
    xh01 = await services.points.by_code("XH01")
    admin = Administration(services.ctx).points
    with reads_of(services, "contact_points") as reads:
        first = await services.points.get(xh01.id)
        assert await services.points.get(xh01.id) == first
        assert len(reads) == 1  # kept: no second read
    await admin.edit(boss.user_id, xh01.id, {"name": "New name"})
    assert (await services.points.get(xh01.id)).name == "New name"
    await admin.deactivate(boss.user_id, xh01.id)
    assert not (await services.points.get(xh01.id)).active
    await admin.reactivate(boss.user_id, xh01.id)
    with reads_of(services, "contact_points") as reads:
        assert (await services.points.get(xh01.id)).active
        assert (await services.points.get(xh01.id)).active
        assert len(reads) == 1  # read again after the change, then kept
    with pytest.raises(NotFound):
        await services.points.get(10_000)


async def test_another_services_on_the_same_database_sees_the_change_at_once(
    services: Services, clock: FakeClock, config: ServiceConfig
) -> None:
    """The bot's handlers and the administration are separate objects in one process."""
    await load_points(services)
    boss = await staff(services, "Zhou", "admin", None)
    xh01 = await services.points.by_code("XH01")
    other = Services(Context.create(services.ctx.db, config, clock))
    with reads_of(services, "contact_points") as reads:
        assert (await other.points.get(xh01.id)).active
        assert (await other.points.get(xh01.id)).active
        assert len(reads) == 1
    await Administration(services.ctx).points.deactivate(boss.user_id, xh01.id)
    assert not (await other.points.get(xh01.id)).active
    await Administration(services.ctx).points.reactivate(boss.user_id, xh01.id)
    await Administration(services.ctx).points.edit(boss.user_id, xh01.id, {"name": "Renamed"})
    assert (await other.points.get(xh01.id)).name == "Renamed"
    assert (await other.points.get(xh01.id)).active


async def test_another_process_without_redis_is_seen_within_the_ttl(
    services: Services,
    db_path: Path,
    clock: FakeClock,
    config: ServiceConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await load_points(services)
    res = await resident(services, "Zhang")
    xh01 = await services.points.by_code("XH01")
    assert (await services.points.get(xh01.id)).active
    cats = await services.cases.categories()
    async with another_process(db_path, config, clock) as other:
        boss = await staff(other, "Zhou", "admin", None)
        await Administration(other.ctx).points.deactivate(boss.user_id, xh01.id)
        with reads_of(services, "contact_points") as reads:
            assert (await services.points.get(xh01.id)).active  # still the kept point
            assert reads == []
        # Filing there is refused all the same: checked in the filing's transaction.
        part = Part(chat_id=res.tg_id, message_id=1, kind="text", text="No water")
        with pytest.raises(Invalid) as refused:
            await services.cases.file(res.user_id, Draft("complaint", cats[0].id, [part]))
        assert refused.value.key == "filing.point_inactive"
        # Once the kept point is older than the TTL it is read again.
        monkeypatch.setattr(points_module, "POINTS_TTL", 0.0)
        assert not (await services.points.get(xh01.id)).active
