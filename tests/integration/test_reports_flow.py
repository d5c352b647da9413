"""/report through the real dispatcher: staff get month buttons, then an album of charts and a
workbook; a resident's /report is still the tip-off flow. /digest answers staff."""

from __future__ import annotations

from dataclasses import replace

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


async def test_a_capped_cases_sheet_is_told_in_the_caption(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li")
    await join_staff(world, cadre)
    resident = world.person("Zhang")
    await register_resident(resident)
    for text in ("The street lamp is out", "The bench is broken"):
        await file_case(resident, text)
    ctx = world.app.services.ctx
    month = ctx.clock.now().strftime("%Y-%m")
    await cadre.send("/report")
    await cadre.press(month)
    document = [m for m in cadre.bot_messages() if m.get("document")][-1]
    assert "first" not in document["caption"]  # two cases, no cap
    ctx.config = replace(ctx.config, report_case_rows=1)
    await cadre.send("/report")
    await cadre.press(month)
    document = [m for m in cadre.bot_messages() if m.get("document")][-1]
    assert t("en", "report.caption_capped", shown=1, total=2) in document["caption"]
