"""/admin from the phone: the menu, contact points (list, search, open, add, edit, deactivate
and reactivate, the poster)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import col, select

import handlers
import handlers.admin
from models.tables import AuditLog, Case, ContactPoint, User
from services.administration import Administration
from services.app import Services
from tests.harness import Person, World, file_case, join_staff, load_points, register_resident, t


def wire(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until the shared files are wired (``Services.admin``, the router before the staff
    routers), do it for the test; once they are, this changes nothing."""
    if not hasattr(Services, "admin"):
        monkeypatch.setattr(
            Services, "admin", property(lambda s: Administration(s.ctx)), raising=False
        )
    if handlers.admin not in handlers.MODULES:
        modules = list(handlers.MODULES)
        modules.insert(modules.index(handlers.staff_lists), handlers.admin)
        monkeypatch.setattr(handlers, "MODULES", tuple(modules))


@pytest.fixture(autouse=True)
def _wired(monkeypatch: pytest.MonkeyPatch) -> None:
    wire(monkeypatch)


async def start_admin(world: World) -> Person:
    admin = world.admin
    await admin.send("/start")
    await admin.press(t("en", "reg.accept"))
    return admin


async def open_menu(admin: Person) -> dict[str, Any]:
    await admin.send("/admin")
    return admin.last()


def buttons_of(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


async def point_row(world: World, code: str) -> ContactPoint:
    async with world.app.db.read() as session:
        return (
            await session.execute(select(ContactPoint).where(ContactPoint.code == code))
        ).scalar_one()


async def user_id(world: World, person: Person) -> int:
    async with world.app.db.read() as session:
        found = await session.execute(select(User.id).where(User.tg_id == person.id))
        return int(found.scalar_one())


async def audit_actions(world: World) -> list[tuple[str, str, int | None]]:
    async with world.app.db.read() as session:
        rows = (await session.execute(select(AuditLog).order_by(col(AuditLog.id)))).scalars()
        return [(r.action, r.target, r.actor_user_id) for r in rows]


async def test_the_menu_is_one_message_edited_in_place(world: World) -> None:
    await load_points(world)
    admin = await start_admin(world)
    menu = await open_menu(admin)
    assert "Administration" in menu["text"] and "all regions" in menu["text"]
    assert "3 active, 0 deactivated" in menu["text"]
    before = len(admin.bot_messages())
    await admin.press(t("en", "admin.btn.points"))
    await admin.press("Jinghu Lake")
    assert len(admin.bot_messages()) == before  # edited, not piled up
    shown = admin.last()
    assert shown["message_id"] == menu["message_id"]
    assert "镜湖社区联系点 Jinghu Lake" in shown["text"] and "JH02" in shown["text"]
    await admin.press(t("en", "btn.back"))
    await admin.press(t("en", "btn.back"))
    assert "Administration" in admin.last_text()
    # The reply-keyboard button opens it too.
    await admin.send(t("en", "menu.admin"))
    assert "Administration" in admin.last_text()


async def test_a_cadre_has_no_admin_menu(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    await cadre.send("/admin")
    assert cadre.last_text() == t("en", "command.unknown")


async def test_search_and_open_a_point_with_its_figures(world: World, clock: Any) -> None:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    colleague = world.person("Wang", "en", "Fang")
    await join_staff(world, colleague)
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "No water since morning")
    clock.advance(hours=30)  # past the first-answer deadline: overdue
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.points"))
    await admin.press(t("en", "admin.btn.search"))
    assert admin.last_text() == t("en", "admin.points.ask_search")
    await admin.send("xinhua")
    listing = admin.last()
    assert buttons_of(listing)[0] == "新华街道联系点 Xinhua Street · XH01"
    assert not any("JH02" in b for b in buttons_of(listing))
    await admin.press("XH01")
    card = admin.last_text()
    assert "Cadres (★ primary): ★ Li Wei, Wang Fang" in card
    assert "Residents: 1" in card
    assert "Open cases: 1 (overdue: 1)" in card
    assert "31.35260, 118.37640" in card


async def test_add_a_point_step_by_step(world: World) -> None:
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.points"))
    await admin.press(t("en", "admin.btn.add_point"))
    assert "step 1 of 6" in admin.last_text()
    await admin.send("Riverside Hall")
    await admin.send("XH 01")  # refused with the import's own words
    assert admin.last_text() == t("en", "points.csv.bad_code", value="XH 01")
    await admin.send("RS05")
    assert "step 3 of 6" in admin.last_text()
    # Back to the code, then forward again: nothing is lost.
    await admin.press(t("en", "btn.back"))
    assert "step 2 of 6" in admin.last_text()
    await admin.send("RS05")
    await admin.send("Wuhu/Jinghu")
    await admin.press(t("en", "btn.skip"))  # no address
    assert "step 5 of 6" in admin.last_text()
    await admin.send_other(location=(31.33, 118.38))
    assert "step 6 of 6" in admin.last_text()
    await admin.send("Mars/Olympus")
    assert admin.last_text() == t("en", "points.csv.bad_tz", value="Mars/Olympus")
    await admin.send("Asia/Urumqi")
    card = admin.last_text()
    assert "Riverside Hall" in card and "RS05" in card and "Asia/Urumqi" in card
    assert "31.33000, 118.38000" in card and "Region: Wuhu/Jinghu" in card
    point = await point_row(world, "RS05")
    assert (point.name, point.region, point.address, point.tz, point.active) == (
        "Riverside Hall",
        "Wuhu/Jinghu",
        "",
        "Asia/Urumqi",
        True,
    )
    uid = await user_id(world, admin)
    assert ("point:add", f"point:{point.id}", uid) in await audit_actions(world)


async def test_a_cancelled_wizard_saves_nothing(world: World) -> None:
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.points"))
    await admin.press(t("en", "admin.btn.add_point"))
    await admin.send("Half a point")
    await admin.press(t("en", "btn.cancel"))
    async with world.app.db.read() as session:
        assert (await session.execute(select(ContactPoint))).first() is None
    await admin.press(t("en", "admin.btn.add_point"))
    await admin.send("/cancel")
    await admin.send("Not a name any more")
    async with world.app.db.read() as session:
        assert (await session.execute(select(ContactPoint))).first() is None


async def test_edit_name_location_and_time_zone(world: World) -> None:
    await load_points(world)
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.points"))
    await admin.press("YJ03")
    await admin.press(t("en", "admin.btn.edit"))
    await admin.press(t("en", "admin.point.field_name"))
    await admin.send("Yijiang Village Hall")
    assert "Yijiang Village Hall" in admin.last_text()
    await admin.press(t("en", "admin.btn.edit"))
    await admin.press(t("en", "admin.point.field_radius"))
    await admin.send("10")
    assert admin.last_text() == t("en", "admin.point.bad_radius", low=20, high=5000)
    await admin.send("500")
    assert "check-in radius 500 m" in admin.last_text()
    await admin.press(t("en", "admin.btn.edit"))
    await admin.press(t("en", "admin.point.field_location"))
    await admin.send_other(location=(31.31, 118.41))
    await admin.press(t("en", "admin.btn.edit"))
    await admin.press(t("en", "admin.point.field_tz"))
    await admin.press("Asia/Hong_Kong")
    point = await point_row(world, "YJ03")
    assert (point.name, point.radius_m, point.lat, point.lon, point.tz, point.code) == (
        "Yijiang Village Hall",
        500,
        31.31,
        118.41,
        "Asia/Hong_Kong",
        "YJ03",
    )
    await admin.press(t("en", "admin.btn.edit"))
    await admin.press(t("en", "admin.point.field_location"))
    await admin.press(t("en", "admin.btn.remove_location"))
    point = await point_row(world, "YJ03")
    assert (point.lat, point.lon) == (None, None)
    assert "Location: not set" in admin.last_text()


async def test_deactivate_tells_residents_and_keeps_open_cases(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Zhang", "zh")
    await register_resident(res)
    other = world.person("Zhao")
    await register_resident(other)
    await file_case(other, "Pothole on Xinhua Road", category="roads")
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.points"))
    await admin.press("XH01")
    await admin.press(t("en", "admin.btn.deactivate"))
    assert "Its 2 residents will be asked" in admin.last_text()
    assert "its 1 open cases stay with their cadres" in admin.last_text()
    await admin.press(t("en", "admin.btn.confirm_off"))
    assert admin.toasts()[-1] == t("en", "admin.point.deactivated", told=2)
    assert "deactivated" in admin.last_text()
    # Each resident in their own language, with the button that starts choosing a point.
    notice = res.last()
    assert notice["text"] == t(
        "zh_Hans", "admin.point.closed_notice", point="新华街道联系点 Xinhua Street"
    )
    assert buttons_of(notice) == [t("zh_Hans", "btn.change_point")]
    assert other.last_text().startswith("📍 新华街道联系点 Xinhua Street no longer takes new cases")
    await res.press(t("zh_Hans", "btn.change_point"))
    assert res.last_text() == t("zh_Hans", "reg.ask_point")
    await res.send("JH02")
    # The open case stays with its cadre, who can still work on it.
    async with world.app.db.read() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.assignee_id is not None and case.status == "new"
    await cadre.press(t("en", "btn.accept"))
    async with world.app.db.read() as session:
        assert (await session.execute(select(Case))).scalar_one().status == "accepted"
    # A deactivated point takes no new case: said at the start, not after the whole wizard.
    await other.send(t("en", "menu.new_case"))
    assert other.last_text() == t("en", "filing.point_inactive")
    assert buttons_of(other.last()) == [t("en", "btn.change_point")]
    # Reactivated, it takes cases again.
    await admin.press(t("en", "admin.btn.reactivate"))
    assert (await point_row(world, "XH01")).active
    actions = [a for a, _, _ in await audit_actions(world)]
    assert "point:deactivate" in actions and "point:activate" in actions


async def test_the_poster_is_sent_as_a_file(world: World) -> None:
    await load_points(world)
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.points"))
    await admin.press("JH02")
    await admin.press(t("en", "admin.btn.poster"))
    sent = admin.last()
    assert sent["document"]["file_name"] == "poster-JH02.png"
    assert "https://t.me/cp_test_bot?start=cp_JH02" in sent["caption"]
    assert re.search(r"Registration poster for", sent["caption"])
