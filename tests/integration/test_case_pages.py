"""A resident's case view pages through every step instead of dropping the first ones."""

from __future__ import annotations

from tests.harness import World, file_case, join_staff, load_points, register_resident, t


async def test_a_long_case_is_paged_back_to_its_filing(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "The very first description")
    card = cadre.bot_messages()[-1]
    for n in range(40):
        await cadre.reply(card, f"Answer number {n:02d} " + "x" * 250)
    await res.send("/cases")
    await res.press(t("en", "btn.open_case", no="2026-0001"))
    newest = res.last()
    assert "Answer number 39" in newest["text"]
    assert "The very first description" not in newest["text"]
    # Back, page by page, to the filing: nothing is dropped.
    seen = newest["text"]
    for _ in range(10):
        if "The very first description" in seen:
            break
        await res.press(t("en", "btn.prev"), message=res.last())
        seen = res.last()["text"]
    assert "The very first description" in seen
    assert t("en", "event.filed") in seen
