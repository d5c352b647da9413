"""What the office sees: one's own staff card, regions in the staff list, /case outside one's
area, colleagues without a title in the transfer list."""

from __future__ import annotations

import pytest

from tests.harness import Person, World, file_case, join_staff, load_points, register_resident, t
from tests.integration.test_admin_points import buttons_of, open_menu, start_admin, wire


@pytest.fixture(autouse=True)
def _wired(monkeypatch: pytest.MonkeyPatch) -> None:
    wire(monkeypatch)


async def regional_admin(world: World, region: str) -> Person:
    person = world.person("Ma", "en", "Lin")
    invite = await world.app.services.staff.create_invite("admin", region=region)
    await person.send("/start " + invite.link.split("start=", 1)[1])
    await person.press(t("en", "reg.accept"))
    return person


async def test_own_card_offers_no_suspend_or_remove(world: World) -> None:
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.staff"))
    await admin.press(admin.name)
    shown = buttons_of(admin.last())
    assert t("en", "admin.btn.suspend") not in shown
    assert t("en", "admin.btn.remove") not in shown


async def test_the_staff_list_shows_regions(world: World) -> None:
    await load_points(world)
    admin = await start_admin(world)
    await regional_admin(world, "Yijiang")
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.staff"))
    line = next(x for x in admin.last_text().splitlines() if "Ma Lin" in x)
    assert t("en", "admin.scope_region", region="Yijiang") in line


async def test_case_outside_the_area_says_so(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "No water")  # at XH01, in Jinghu
    other = await regional_admin(world, "Yijiang")
    await other.send("/case 2026-0001")
    assert other.last_text() == t("en", "case.outside_area", no="2026-0001")


async def test_a_colleague_without_a_title_is_listed_by_name(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    colleague = world.person("Wang", "en", "Fang")
    await join_staff(world, colleague)
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "No water")
    await cadre.press(t("en", "btn.transfer"))
    assert "👤 Wang Fang" in buttons_of(cadre.last())
