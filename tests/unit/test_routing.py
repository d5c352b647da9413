"""Routing: the primary cadre, else another cadre there, else an administrator in scope."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models.tables import Assignment, ContactPoint, Staff
from services.app import Services
from services.cases import Draft
from services.parts import Part
from services.staff import choose_assignee
from tests.factories import load_points, resident, staff


@pytest.fixture
def services(services_on_both: Services) -> Services:
    """Every test here runs on SQLite and on PostgreSQL."""
    return services_on_both


async def _route(services: Services, code: str, exclude: int | None = None) -> int | None:
    async with services.ctx.db.read() as session:
        point = (
            await session.execute(select(ContactPoint).where(ContactPoint.code == code))
        ).scalar_one()
        return await choose_assignee(session, point, exclude)


async def _staff_id(services: Services, user_id: int) -> int:
    async with services.ctx.db.read() as session:
        row = (await session.execute(select(Staff).where(Staff.user_id == user_id))).scalar_one()
        assert row.id is not None
        return row.id


async def test_primary_cadre_gets_the_case(services: Services) -> None:
    await load_points(services)
    first = await staff(services, "Li Wei")
    second = await staff(services, "Wang Fang")
    assert await _route(services, "XH01") == await _staff_id(services, first.user_id)
    # The first cadre became primary; the second did not take it over.
    async with services.ctx.db.read() as session:
        primaries = (
            (await session.execute(select(Assignment).where(Assignment.is_primary))).scalars().all()
        )
    assert [a.staff_id for a in primaries] == [await _staff_id(services, first.user_id)]
    assert await _route(
        services, "XH01", exclude=await _staff_id(services, first.user_id)
    ) == await _staff_id(services, second.user_id)


async def test_without_primary_the_least_loaded_cadre(services: Services) -> None:
    await load_points(services)
    busy = await staff(services, "Busy")
    free = await staff(services, "Free")
    async with services.ctx.db.write() as session:
        for a in (await session.execute(select(Assignment))).scalars():
            a.is_primary = False
    person = await resident(services, "Zhang San")
    part = Part(chat_id=person.tg_id, message_id=1, kind="text", text="The lamp is broken")
    cats = await services.cases.categories()
    # Load the busy one with a case first.
    filed = await services.cases.file(person.user_id, Draft("complaint", cats[0].id, [part]))
    busy_id, free_id = (
        await _staff_id(services, busy.user_id),
        await _staff_id(services, free.user_id),
    )
    assert filed.case.assignee_id in (busy_id, free_id)
    loaded = filed.case.assignee_id
    other = free_id if loaded == busy_id else busy_id
    assert await _route(services, "XH01") == other


async def test_no_cadre_falls_back_to_an_administrator_in_scope(services: Services) -> None:
    await load_points(services)
    far = await staff(services, "Far Admin", "admin", point=None, region="Yijiang")
    near = await staff(services, "Near Admin", "admin", point=None, region="Jinghu")
    assert await _route(services, "XH01") == await _staff_id(services, near.user_id)
    assert await _route(services, "YJ03") == await _staff_id(services, far.user_id)


async def test_nobody_at_all_leaves_the_case_unassigned(services: Services) -> None:
    await load_points(services)
    assert await _route(services, "XH01") is None


async def test_removed_cadre_is_not_routed_to(services: Services) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    admin = await staff(services, "Admin", "admin", point=None)
    async with services.ctx.db.write() as session:
        row = (
            await session.execute(select(Staff).where(Staff.user_id == cadre.user_id))
        ).scalar_one()
        row.active = False
    assert await _route(services, "XH01") == await _staff_id(services, admin.user_id)
