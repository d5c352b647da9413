"""/admin from the phone: categories and deadlines, delivery problems, and the scope of an
administrator of one region (refused in the use case, even with forged buttons)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import col, select

from bot.callbacks import Act
from models.tables import Category, ContactPoint, Outbox, Staff, User
from tests.harness import Person, World, file_case, join_staff, load_points, register_resident, t
from tests.integration.test_admin_points import buttons_of, open_menu, start_admin, wire


@pytest.fixture(autouse=True)
def _wired(monkeypatch: pytest.MonkeyPatch) -> None:
    wire(monkeypatch)


async def regional_admin(world: World, region: str) -> Person:
    """An administrator invited for ``region`` (by the one from the settings)."""
    person = world.person("Wu", "en", "Min")
    invite = await world.app.services.staff.create_invite("admin", region=region)
    await person.send(f"/start {invite.link.split('start=', 1)[1]}")
    await person.press(t("en", "reg.accept"))
    await person.press(t("en", "btn.skip"))
    return person


async def point_id(world: World, code: str) -> int:
    async with world.app.db.read() as session:
        found = await session.execute(select(ContactPoint.id).where(ContactPoint.code == code))
        return int(found.scalar_one())


async def staff_id(world: World, person: Person) -> int:
    async with world.app.db.read() as session:
        found = await session.execute(
            select(Staff.id)
            .join(User, col(User.id) == col(Staff.user_id))
            .where(User.tg_id == person.id)
        )
        return int(found.scalar_one())


# ---- categories ------------------------------------------------------------------------------


async def test_add_rename_tier_and_retire_a_category(world: World) -> None:
    await load_points(world)
    await join_staff(world, world.person("Li", "en", "Wei"))
    res = world.person("Zhang")
    await register_resident(res)
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.categories"))
    assert "Water supply: utilities, 24 h" in admin.last_text()
    await admin.press(t("en", "admin.btn.add_category"))
    await admin.send("Pets!")
    assert admin.last_text() == t("en", "admin.category.bad_code", code="Pets!")
    await admin.send("pets")
    await admin.send("宠物")
    await admin.send("Pets and animals")
    await admin.press(re.compile(r"^urgent"))
    assert "🏷 宠物 / Pets and animals · pets" in admin.last_text()
    assert "Tier: urgent (resolve within 2 h)" in admin.last_text()
    await admin.press(t("en", "admin.btn.rename"))
    await admin.send("动物管理")
    await admin.send("Animal control")
    assert "🏷 动物管理 / Animal control · pets" in admin.last_text()
    await admin.press(t("en", "admin.btn.tier"))
    await admin.press(re.compile(r"^general"))
    assert "Tier: general (resolve within 7 working days)" in admin.last_text()
    # Residents file under it, and the case takes its tier.
    number = await file_case(res, "A stray dog", category="pets")
    assert number == "2026-0001"
    # Retired, it is no longer offered; the case keeps it.
    await admin.press(t("en", "admin.btn.retire"))
    assert "Retired: no longer offered" in admin.last_text()
    assert "Cases filed under it: 1" in admin.last_text()
    await res.send(t("en", "menu.new_case"))
    await res.press(t("en", "kind.complaint"))
    assert "Animal control" not in buttons_of(res.last())
    async with world.app.db.read() as session:
        pets = (await session.execute(select(Category).where(Category.code == "pets"))).scalar_one()
    assert (pets.name_zh, pets.name_en, pets.tier, pets.active) == (
        "动物管理",
        "Animal control",
        "general",
        False,
    )


async def test_a_regional_administrator_cannot_change_categories(world: World) -> None:
    await load_points(world)
    await start_admin(world)
    wu = await regional_admin(world, "Jinghu")
    menu = await open_menu(wu)
    await wu.press(t("en", "admin.btn.categories"))
    assert t("en", "admin.btn.add_category") not in buttons_of(wu.last())
    await wu.press("Water supply")
    assert t("en", "admin.btn.retire") not in buttons_of(wu.last())
    async with world.app.db.read() as session:
        water = (
            await session.execute(select(Category).where(Category.code == "water"))
        ).scalar_one()
    await wu.press_data(menu["message_id"], Act(do="adm_cat_retire", ref=water.id or 0).pack())
    assert wu.toasts()[-1] == t("en", "admin.everywhere_only")
    async with world.app.db.read() as session:
        assert (await session.get(Category, water.id)).active  # type: ignore[union-attr]


# ---- delivery problems -----------------------------------------------------------------------


async def test_undelivered_messages_retry_and_dismiss(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "No water")
    world.emulator.user_block_bot(res.id)
    await cadre.press(t("en", "btn.accept"))  # the resident's notice cannot be delivered
    admin = await start_admin(world)
    menu = await open_menu(admin)
    assert "1 undelivered, 1 blocked the bot" in menu["text"]
    await admin.press(t("en", "admin.btn.delivery"))
    listing = admin.last_text()
    assert "to Zhang · case 2026-0001" in listing
    assert "blocked" in listing.lower()  # Telegram's reason
    await admin.press(t("en", "admin.btn.blocked", count=1))
    assert "• Zhang · 新华街道联系点 Xinhua Street" in admin.last_text()
    # Unblocked, a retry delivers it.
    world.emulator.people.unblock_bot(res.id)
    await admin.press(t("en", "btn.back"))
    async with world.app.db.read() as session:
        dead = (await session.execute(select(Outbox).where(Outbox.status == "dead"))).scalar_one()
    await admin.press(f"🔁 Retry #{dead.id}")
    assert admin.toasts()[-1] == t("en", "admin.delivery.retried", id=dead.id)
    assert res.saw("accepted")
    async with world.app.db.read() as session:
        row = await session.get(Outbox, dead.id)
        assert row is not None and row.status == "sent"
    assert t("en", "admin.delivery.none") in admin.last_text()
    # Another one, dismissed for good.
    world.emulator.user_block_bot(res.id)
    await cadre.press(t("en", "btn.resolve"))
    await cadre.send("Fixed the valve")
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.delivery"))
    await admin.press(re.compile(r"^✖️ Dismiss #"))
    async with world.app.db.read() as session:
        statuses = sorted(r.status for r in (await session.execute(select(Outbox))).scalars())
    assert "dead" not in statuses and "cancelled" in statuses


# ---- one region's administrator ----------------------------------------------------------------


async def test_a_regional_administrator_sees_and_touches_only_their_region(world: World) -> None:
    await load_points(world)  # XH01 and JH02 in Jinghu, YJ03 in Yijiang
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre, point="XH01")
    village = world.person("Chen", "en", "Gang")
    await join_staff(world, village, point="YJ03")
    await start_admin(world)
    wu = await regional_admin(world, "Jinghu")
    menu = await open_menu(wu)
    assert "Scope: Jinghu" in menu["text"] and "2 active" in menu["text"]
    await wu.press(t("en", "admin.btn.points"))
    assert not any("YJ03" in b for b in buttons_of(wu.last()))
    await wu.press(t("en", "btn.back"))
    await wu.press(t("en", "admin.btn.staff"))
    assert "Li Wei" in wu.last_text() and "Chen Gang" not in wu.last_text()
    yj03, chen = await point_id(world, "YJ03"), await staff_id(world, village)
    forged = [
        ("adm_point_open", yj03),
        ("adm_point_off_yes", yj03),
        ("adm_point_poster", yj03),
        ("adm_staff_open", chen),
        ("adm_staff_suspend_yes", chen),
        ("adm_staff_remove_yes", chen),
    ]
    for action, ref in forged:
        await wu.press_data(menu["message_id"], Act(do=action, ref=ref).pack())
        assert wu.toasts()[-1] == t("en", "admin.out_of_scope"), action
    # Assigning their own cadre to the other region's point is refused too.
    await wu.press("Li Wei")
    await wu.press(t("en", "admin.btn.assign"))
    await wu.press_data(menu["message_id"], Act(do="adm_pick", ref=yj03).pack())
    assert wu.toasts()[-1] == t("en", "admin.out_of_scope")
    async with world.app.db.read() as session:
        point = await session.get(ContactPoint, yj03)
        chen_row = await session.get(Staff, chen)
    assert point is not None and point.active
    assert chen_row is not None and chen_row.active
    assert not village.saw(t("en", "admin.staff.told_suspended"))


async def test_a_resident_case_in_another_region_is_out_of_reach(world: World) -> None:
    """Delivery problems of another region are neither listed nor retried."""
    await load_points(world)
    res = world.person("Zhang")
    await register_resident(res, point="YJ03")
    await file_case(res, "Village road flooded", category="roads")
    world.emulator.user_block_bot(res.id)
    admin = await start_admin(world)  # no cadre at YJ03: the case is the administrator's
    await admin.send("/case 2026-0001")
    await admin.press(t("en", "btn.accept"))  # the resident's notice cannot be delivered
    wu = await regional_admin(world, "Jinghu")
    menu = await open_menu(wu)
    assert "0 undelivered" in menu["text"]
    async with world.app.db.read() as session:
        dead = (await session.execute(select(Outbox).where(Outbox.status == "dead"))).scalar_one()
    await wu.press_data(menu["message_id"], Act(do="adm_dead_retry", ref=dead.id or 0).pack())
    assert wu.toasts()[-1] == t("en", "admin.out_of_scope")
    async with world.app.db.read() as session:
        assert (await session.get(Outbox, dead.id)).status == "dead"  # type: ignore[union-attr]
