"""Categories and their deadline tiers, as administrators of all regions keep them."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from models.tables import AuditLog, Case
from services.admin_access import Operator
from services.administration import Administration
from services.app import Services
from services.cases import Draft
from services.errors import Invalid, NotAllowed, NotFound
from services.parts import Part
from tests.factories import load_points, resident, staff


def office(services: Services) -> Administration:
    return Administration(services.ctx)


async def test_add_rename_tier_retire_restore(services: Services) -> None:
    await load_points(services)
    boss = await staff(services, "Zhou", "admin", None)
    cats = office(services).categories
    pets = await cats.add(boss.user_id, " Pets ", "宠物", " Pets  and animals ", "urgent")
    assert (pets.code, pets.name_zh, pets.name_en, pets.tier, pets.active) == (
        "pets",
        "宠物",
        "Pets and animals",
        "urgent",
        True,
    )
    offered = [c.code for c in await services.cases.categories()]
    assert offered[-1] == "pets"  # after the others
    # A case filed under it takes its tier then; a later tier change leaves it alone.
    res = await resident(services, "Zhang")
    part = Part(chat_id=res.tg_id, message_id=1, kind="text", text="A stray dog")
    filed = await services.cases.file(res.user_id, Draft("complaint", pets.id, [part]))
    assert filed.case.tier == "urgent"
    await cats.set_tier(boss.user_id, pets.id, "complex")
    renamed = await cats.rename(boss.user_id, pets.id, "动物管理", "Animal control")
    assert (renamed.tier, renamed.name_en, renamed.cases) == ("complex", "Animal control", 1)
    async with services.ctx.db.read() as session:
        case = await session.get(Case, filed.case.id)
        assert case is not None
    assert case.tier == "urgent"
    # Retired: not offered for filing, but the case keeps it (and shows its new name).
    await cats.retire(boss.user_id, pets.id)
    assert "pets" not in [c.code for c in await services.cases.categories()]
    detail = await services.cases.for_resident(res.user_id, filed.case.id)
    assert detail.case.category("en") == "Animal control"
    with pytest.raises(Invalid) as refused:
        await cats.retire(boss.user_id, pets.id)
    assert refused.value.key == "admin.category.already_retired"
    await cats.restore(boss.user_id, pets.id)
    assert "pets" in [c.code for c in await services.cases.categories()]
    async with services.ctx.db.read() as session:
        actions = (
            (
                await session.execute(
                    select(AuditLog.action)
                    .where(col(AuditLog.action).startswith("category:"))
                    .order_by(col(AuditLog.id))
                )
            )
            .scalars()
            .all()
        )
    assert actions == [
        "category:add",
        "category:tier",
        "category:rename",
        "category:retire",
        "category:restore",
    ]


async def test_bad_input_is_refused_with_its_reason(services: Services) -> None:
    cats = office(services).categories
    cases = [
        (cats.add(Operator(), "Pets!", "宠物", "Pets", "urgent"), "admin.category.bad_code"),
        (cats.add(Operator(), "water", "供水", "Water", "urgent"), "admin.category.code_taken"),
        (cats.add(Operator(), "pets", "", "Pets", "urgent"), "admin.category.bad_name"),
        (cats.add(Operator(), "pets", "宠物", "P" * 41, "urgent"), "admin.category.bad_name"),
        (cats.add(Operator(), "pets", "宠物", "Pets", "soon"), "admin.category.bad_tier"),
    ]
    for attempt, key in cases:
        with pytest.raises(Invalid) as refused:
            await attempt
        assert refused.value.key == key
    with pytest.raises(NotFound):
        await cats.by_code(Operator(), "nothing")
    with pytest.raises(NotFound):
        await cats.rename(Operator(), 999, "无", "None")
    assert len(await cats.all(Operator())) == 12


async def test_the_last_category_offered_stays(services: Services) -> None:
    cats = office(services).categories
    everything = await cats.all(Operator())
    for c in everything[:-1]:
        await cats.retire(Operator(), c.id)
    with pytest.raises(Invalid) as refused:
        await cats.retire(Operator(), everything[-1].id)
    assert refused.value.key == "admin.category.last_one"
    assert [c.code for c in await services.cases.categories()] == [everything[-1].code]


async def test_a_regional_administrator_reads_but_does_not_change(services: Services) -> None:
    await load_points(services)
    jinghu = await staff(services, "Wu Min", "admin", None, region="Jinghu")
    cadre = await staff(services, "Li Wei")
    cats = office(services).categories
    water = await cats.by_code(jinghu.user_id, "water")
    assert water.tier == "utilities"
    for attempt in (
        cats.retire(jinghu.user_id, water.id),
        cats.set_tier(jinghu.user_id, water.id, "urgent"),
        cats.rename(jinghu.user_id, water.id, "水", "Water"),
        cats.add(jinghu.user_id, "pets", "宠物", "Pets", "urgent"),
        cats.may_change(jinghu.user_id),
    ):
        with pytest.raises(NotAllowed) as refused:
            await attempt
        assert refused.value.key == "admin.everywhere_only"
    with pytest.raises(NotAllowed) as refused:
        await cats.all(cadre.user_id)
    assert refused.value.key == "admin.only"
    assert (await cats.by_code(Operator(), "water")).active
