"""/report through the real dispatcher: staff get month buttons, then an album of charts and a
workbook; a resident's /report is still the tip-off flow. /digest answers staff."""

from __future__ import annotations

from tests.harness import World, file_case, join_staff, load_points, register_resident, t


async def test_staff_report_and_residents_tipoff_share_the_word(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li")
    await join_staff(world, cadre)
    resident = world.person("Zhang")
    await register_resident(resident)
    await file_case(resident, "The street lamp on Xinhua Road is out")

    await resident.send("/report")
    assert resident.last_text() == t("en", "tipoff.who_sees")

    await cadre.send("/report")
    assert "Monthly report for your contact points" in cadre.last_text()
    month = world.app.services.ctx.clock.now().strftime("%Y-%m")
    await cadre.press(month)
    messages = cadre.bot_messages()
    photos = [m for m in messages if m.get("photo")]
    documents = [m for m in messages if m.get("document")]
    assert len(photos) == 7
    assert len({m.get("media_group_id") for m in photos}) == 1
    assert photos[0]["caption"].startswith(f"Report {month}")
    assert documents[-1]["document"]["file_name"].endswith(".xlsx")

    await cadre.send("/digest")
    assert "What residents raised" in cadre.last_text()
