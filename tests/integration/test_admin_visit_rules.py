"""Issue 18: administrators change the visit rule in the menu — the default from /admin, a
point's own from its card; bad input is answered and the step stays, with a way back."""

from __future__ import annotations

from tests.harness import World, load_points, t
from tests.integration.test_admin_points import _wired, audit_actions, open_menu, start_admin

__all__ = ["_wired"]


async def test_the_default_rule_is_changed_in_the_menu(world: World) -> None:
    await load_points(world)
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.visit_rules"))
    assert t("en", "admin.vr.visits", n=1) in admin.last_text()
    assert t("en", "admin.vr.radius_per_point") in admin.last_text()
    await admin.press(t("en", "admin.vr.btn.visits"))
    assert admin.last_text() == t("en", "admin.vr.ask_visits_per_month")
    await admin.send("twice")
    assert admin.last_text() == t("en", "admin.vr.not_a_number")
    await admin.send("40")
    assert admin.last_text() == t("en", "visits.policy.bad")
    await admin.send("2")  # still in the step: a good number is taken
    assert t("en", "admin.vr.visits", n=2) in admin.last_text()
    assert t("en", "admin.vr.days", n=10) in admin.last_text()
    await admin.press(t("en", "admin.vr.btn.unverified"))
    assert t("en", "admin.vr.unverified_no") in admin.last_text()
    assert [a[:2] for a in await audit_actions(world) if a[0] == "visits:policy"] == [
        ("visits:policy", "default"),
        ("visits:policy", "default"),
    ]


async def test_a_points_own_rule_from_its_card(world: World) -> None:
    await load_points(world)
    admin = await start_admin(world)
    await open_menu(admin)
    await admin.press(t("en", "admin.btn.points"))
    await admin.press("Jinghu Lake")
    await admin.press(t("en", "admin.btn.visit_rule"))
    assert t("en", "admin.vr.inherited") in admin.last_text()
    assert "300" in admin.last_text()  # the point's check-in radius, edited under Edit
    await admin.press(t("en", "admin.vr.btn.days"))
    await admin.press(t("en", "btn.back"))  # changed its mind: back to the rule, nothing set
    assert t("en", "admin.vr.inherited") in admin.last_text()
    await admin.press(t("en", "admin.vr.btn.days"))
    await admin.send("20")
    assert t("en", "admin.vr.own") in admin.last_text()
    assert t("en", "admin.vr.days", n=20) in admin.last_text()
    await admin.press(t("en", "btn.back"))
    assert "Jinghu Lake" in admin.last_text()
