"""The categories offered when filing are kept per process (issue 13): read once, then again
only after an administrator adds, renames, retires, restores or re-tiers one — at once in the
process that made the change, within ``CATEGORIES_TTL`` in another without Redis (with Redis
at once: tests/scale/test_category_signal.py). Filing checks the category in its own
transaction, so a list kept too long never files a case under a retired category."""

from __future__ import annotations

from pathlib import Path

import pytest

import services.cases as cases_module
from services.administration import Administration
from services.app import Services
from services.cases import Draft
from services.clock import FakeClock
from services.config import ServiceConfig
from services.context import Context
from services.errors import Invalid
from services.parts import Part
from tests.factories import load_points, resident, staff
from tests.statements import another_process, reads_of


async def offered(services: Services) -> dict[str, tuple[str, str]]:
    return {c.code: (c.name_en, c.tier) for c in await services.cases.categories()}


async def test_read_once_and_again_after_each_change_by_an_administrator(
    services_on_both: Services,
) -> None:
    services = services_on_both
    await load_points(services)
    boss = await staff(services, "Zhou", "admin", None)
    res = await resident(services, "Zhang")
    cats = Administration(services.ctx).categories
    with reads_of(services, "categories") as reads:
        first = await offered(services)
        assert len(reads) == 1
        assert await offered(services) == first
        assert len(reads) == 1  # kept: no second read

    pets = await cats.add(boss.user_id, "pets", "宠物", "Pets", "urgent")
    assert (await offered(services))["pets"] == ("Pets", "urgent")
    await cats.rename(boss.user_id, pets.id, "动物", "Animals")
    assert (await offered(services))["pets"] == ("Animals", "urgent")
    await cats.set_tier(boss.user_id, pets.id, "complex")
    assert (await offered(services))["pets"] == ("Animals", "complex")
    await cats.retire(boss.user_id, pets.id)
    assert "pets" not in await offered(services)
    part = Part(chat_id=res.tg_id, message_id=1, kind="text", text="A stray dog")
    with pytest.raises(Invalid) as refused:
        await services.cases.file(res.user_id, Draft("complaint", pets.id, [part]))
    assert refused.value.key == "filing.bad_category"
    with pytest.raises(Invalid) as refused:
        await services.cases.file(res.user_id, Draft("complaint", 10_000, [part]))
    assert refused.value.key == "filing.bad_category"
    await cats.restore(boss.user_id, pets.id)
    with reads_of(services, "categories") as reads:
        assert "pets" in await offered(services)
        assert "pets" in await offered(services)
        assert len(reads) == 1  # read again after the change, then kept
    filed = await services.cases.file(res.user_id, Draft("complaint", pets.id, [part]))
    assert (filed.case.tier, filed.duplicate) == ("complex", False)
    again = await services.cases.file(res.user_id, Draft("complaint", pets.id, [part]))
    assert (again.case.id, again.duplicate) == (filed.case.id, True)


async def test_another_process_without_redis_is_seen_within_the_ttl(
    services: Services,
    db_path: Path,
    clock: FakeClock,
    config: ServiceConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await load_points(services)
    res = await resident(services, "Zhang")
    water = {c.code: c for c in await services.cases.categories()}["water"]
    async with another_process(db_path, config, clock) as other:
        boss = await staff(other, "Zhou", "admin", None)
        cats = Administration(other.ctx).categories
        await cats.rename(boss.user_id, water.id, "水", "Water supply")
        await cats.retire(boss.user_id, water.id)
        with reads_of(services, "categories") as reads:
            assert "water" in await offered(services)  # still the kept list
            assert reads == []
        # Filing under it is refused all the same: checked in the filing's transaction.
        part = Part(chat_id=res.tg_id, message_id=1, kind="text", text="No water")
        with pytest.raises(Invalid) as refused:
            await services.cases.file(res.user_id, Draft("complaint", water.id, [part]))
        assert refused.value.key == "filing.bad_category"
        # Once the kept list is older than the TTL it is read again.
        monkeypatch.setattr(cases_module, "CATEGORIES_TTL", 0.0)
        assert "water" not in await offered(services)
        await cats.restore(boss.user_id, water.id)
        assert (await offered(services))["water"][0] == "Water supply"


async def test_another_services_on_the_same_database_sees_the_change_at_once(
    services: Services, clock: FakeClock, config: ServiceConfig
) -> None:
    await load_points(services)
    boss = await staff(services, "Zhou", "admin", None)
    other = Services(Context.create(services.ctx.db, config, clock))
    with reads_of(services, "categories") as reads:
        await offered(other)
        await offered(other)
        assert len(reads) == 1
    await Administration(services.ctx).categories.add(
        boss.user_id, "pets", "宠物", "Pets", "urgent"
    )
    assert "pets" in await offered(other)
