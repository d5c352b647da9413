"""/admin from the phone: staff — invitations, who serves which point, suspending and removing
someone (their open cases are re-routed and their old buttons refused)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import col, select

from bot.callbacks import Act
from models.tables import Assignment, Case, Staff, User
from tests.harness import Person, World, file_case, join_staff, load_points, register_resident, t
from tests.integration.test_admin_points import buttons_of, open_menu, start_admin, wire


@pytest.fixture(autouse=True)
def _wired(monkeypatch: pytest.MonkeyPatch) -> None:
    wire(monkeypatch)


async def staff_row(world: World, person: Person) -> Staff:
    async with world.app.db.read() as session:
        return (
            await session.execute(
                select(Staff)
                .join(User, col(User.id) == col(Staff.user_id))
                .where(User.tg_id == person.id)
            )
        ).scalar_one()


async def case_row(world: World) -> Case:
    async with world.app.db.read() as session:
        return (await session.execute(select(Case))).scalar_one()


def current(person: Person, message: dict[str, Any]) -> dict[str, Any]:
    """A message as it reads now (after edits), wherever it is in the chat."""
    return next(m for m in person.bot_messages() if m["message_id"] == message["message_id"])


async def open_staff(admin: Person, name: str) -> None:
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.staff"))
    await admin.press(name)


async def test_invite_a_cadre_for_a_point_picked_from_the_list(world: World) -> None:
    await load_points(world)
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.staff"))
    await admin.press(t("en", "admin.btn.invite"))
    await admin.press(t("en", "admin.role.cadre"))
    await admin.send("lake")  # narrows the list
    assert [b for b in buttons_of(admin.last()) if "·" in b] == [
        "镜湖社区联系点 Jinghu Lake · JH02"
    ]
    await admin.press("JH02")
    text = admin.last_text()
    assert "Invitation for a new Cadre at 镜湖社区联系点 Jinghu Lake" in text
    assert "Single use; expires" in text
    link = re.search(r"https://t\.me/cp_test_bot\?start=(inv_\S+)", text)
    assert link is not None
    newcomer = world.person("Sun", "en", "Li")
    await newcomer.send(f"/start {link.group(1)}")
    await newcomer.press(t("en", "reg.accept"))
    assert newcomer.saw("You are now a cadre at <b>") or newcomer.saw("You are now a cadre at")
    async with world.app.db.read() as session:
        row = (await session.execute(select(Assignment))).scalar_one()
    assert row.is_primary and row.staff_id == (await staff_row(world, newcomer)).id


async def test_invite_an_inspector_for_a_typed_region(world: World) -> None:
    await load_points(world)
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.staff"))
    await admin.press(t("en", "admin.btn.invite"))
    await admin.press(t("en", "admin.role.inspector"))
    await admin.send("Yijiang")
    assert "Invitation for a new Discipline inspector:" in admin.last_text()
    token = re.search(r"start=(inv_\S+)", admin.last_text())
    assert token is not None
    inspector = world.person("Qian")
    await inspector.send(f"/start {token.group(1)}")
    await inspector.press(t("en", "reg.accept"))
    row = await staff_row(world, inspector)
    assert (row.role, row.region) == ("inspector", "Yijiang")


async def test_assign_make_primary_and_unassign(world: World) -> None:
    await load_points(world)
    li = world.person("Li", "en", "Wei")
    await join_staff(world, li)
    wang = world.person("Wang", "en", "Fang")
    await join_staff(world, wang, point="JH02")
    admin = await start_admin(world)
    await open_staff(admin, "Wang Fang")
    await admin.press(t("en", "admin.btn.assign"))
    await admin.press("XH01")
    assert "Contact points (★ primary): ★ 镜湖社区联系点 Jinghu Lake (JH02), 新华街道联系点" in (
        admin.last_text()
    )
    assert wang.last_text() == t(
        "en", "admin.staff.told_assigned", point="新华街道联系点 Xinhua Street"
    )
    await admin.press(t("en", "admin.btn.primary"))
    await admin.press("XH01")
    assert wang.saw("You are now the primary cadre of")
    async with world.app.db.read() as session:
        primaries = {
            a.staff_id
            for a in (
                await session.execute(
                    select(Assignment).where(
                        Assignment.contact_point_id == 1,
                        Assignment.until.is_(None),  # type: ignore[union-attr]
                    )
                )
            ).scalars()
            if a.is_primary
        }
    assert primaries == {(await staff_row(world, wang)).id}
    # New cases at XH01 now go to Wang first.
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "Broken lamp")
    assert wang.saw("2026-0001") and not li.saw("2026-0001")
    # Unassigning the primary makes the other cadre primary again.
    await admin.press(t("en", "admin.btn.unassign"))
    await admin.press("XH01")
    assert "新华街道联系点" not in admin.last_text()
    async with world.app.db.read() as session:
        current = (
            (
                await session.execute(
                    select(Assignment).where(
                        Assignment.contact_point_id == 1,
                        Assignment.until.is_(None),  # type: ignore[union-attr]
                    )
                )
            )
            .scalars()
            .all()
        )
    assert [(a.staff_id, a.is_primary) for a in current] == [
        ((await staff_row(world, li)).id, True)
    ]


async def test_suspending_a_cadre_reroutes_their_cases_and_ends_their_buttons(
    world: World,
) -> None:
    await load_points(world)
    li = world.person("Li", "en", "Wei")
    await join_staff(world, li)
    wang = world.person("Wang", "en", "Fang")
    await join_staff(world, wang)
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "No water since morning")
    card = li.bot_messages()[-1]
    await li.press(t("en", "btn.accept"), message=card)
    first_receiver = (await case_row(world)).first_receiver_id
    admin = await start_admin(world)
    await open_staff(admin, "Li Wei")
    await admin.press(t("en", "admin.btn.suspend"))
    assert "their 1 open case is re-routed" in admin.last_text()
    await admin.press(t("en", "admin.btn.confirm_suspend"))
    assert t("en", "admin.staff.rerouted", n=1, unowned=0) in admin.last_text()
    assert "⏸ suspended" in admin.last_text()
    case = await case_row(world)
    assert case.assignee_id == (await staff_row(world, wang)).id
    assert case.first_receiver_id == first_receiver  # the first receiver stays on record
    assert case.status == "new"  # the new owner accepts it
    # Wang gets the card, with the resident's words and the buttons to act.
    new_card = wang.last()
    assert new_card["text"].startswith("🔁 Case 2026-0001 (re-routed to you")
    assert "No water since morning" in new_card["text"]
    assert t("en", "btn.accept") in buttons_of(new_card)
    assert li.saw(t("en", "admin.staff.told_suspended"))
    # Li's old card no longer does anything, not even by forged data.
    await li.press(t("en", "btn.reply"), message=card)
    assert li.toasts()[-1] == t("en", "button.stale")
    await li.press_data(card["message_id"], Act(do="case_resolve", ref=case.id or 0).pack())
    assert (await case_row(world)).assignee_id == (await staff_row(world, wang)).id
    await wang.press(t("en", "btn.accept"), message=new_card)
    assert (await case_row(world)).status == "accepted"
    # Reinstated, Li is back (and keeps the point).
    await admin.press(t("en", "admin.btn.reinstate"))
    assert (await staff_row(world, li)).active
    assert li.saw(t("en", "admin.staff.told_reinstated"))


async def test_removing_the_last_cadre_sends_cases_to_the_fallback_owner(world: World) -> None:
    await load_points(world)
    li = world.person("Li", "en", "Wei")
    await join_staff(world, li)
    res = world.person("Zhang")
    await register_resident(res)
    admin = await start_admin(world)
    await file_case(res, "Broken bench", category="roads")
    await open_staff(admin, "Li Wei")
    await admin.press(t("en", "admin.btn.remove"))
    menu = admin.last()
    await admin.press(t("en", "admin.btn.confirm_remove"))
    assert "🗑 removed" in current(admin, menu)["text"]
    row = await staff_row(world, li)
    assert not row.active and row.removed_at is not None
    async with world.app.db.read() as session:
        open_assignments = (
            await session.execute(select(Assignment).where(Assignment.until.is_(None)))  # type: ignore[union-attr]
        ).all()
    assert open_assignments == []
    # The administrator is the fallback owner: the card comes to them.
    assert admin.saw("🔁 Case 2026-0001 (re-routed to you")
    assert (await case_row(world)).assignee_id == (await staff_row(world, admin)).id
    # Li is a resident now: the staff commands are gone.
    await li.send("/cases")
    assert "2026-0001" not in li.last_text()
    # Removed people are no longer listed.
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.staff"))
    assert "Li Wei" not in admin.last_text()


async def test_an_administrator_cannot_suspend_themselves(world: World) -> None:
    admin = await start_admin(world)
    me = await staff_row(world, admin)
    menu = await open_menu(admin)
    await admin.press_data(
        menu["message_id"], Act(do="adm_staff_suspend_yes", ref=me.id or 0).pack()
    )
    # Named in the settings, and acting on themselves: refused either way, nothing changes.
    assert admin.toasts()[-1] == t("en", "admin.staff.not_yourself")
    assert (await staff_row(world, admin)).active
