"""A star rating is kept when it is pressed; the comment is optional and never taken silently."""

from __future__ import annotations

from sqlmodel import select

from bot.callbacks import Act
from models.tables import Case
from tests.harness import World, file_case, join_staff, load_points, register_resident, t


async def _rated_case(world: World):  # type: ignore[no-untyped-def]
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "No water")
    await cadre.press(t("en", "btn.accept"))
    await cadre.press(t("en", "btn.resolve"))
    await cadre.send("Fixed the pipe")
    await res.press(t("en", "btn.verdict_yes"))
    return cadre, res


async def _case(world: World) -> Case:
    async with world.app.db.read() as session:
        return (await session.execute(select(Case))).scalar_one()


async def test_stars_are_kept_when_the_resident_moves_on(world: World) -> None:
    cadre, res = await _rated_case(world)
    await res.press("⭐⭐⭐")
    # Kept at once, and the cadre is told, before any comment.
    assert (await _case(world)).satisfaction == 3
    assert "★★★☆☆" in cadre.last_text()
    await res.send("/cases")
    # "Rate" is not offered again for the rated case.
    await res.press(t("en", "btn.open_case", no="2026-0001"))
    labels = [
        b["text"]
        for row in (res.last().get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
    ]
    assert t("en", "btn.rate") not in labels
    # The next text is not silently taken as a comment: it is offered as a new message.
    told = len(cadre.texts())
    await res.send("Where do I pay the bill?")
    assert res.last_text() == t("en", "loose.what_to_do")
    assert len(cadre.texts()) == told


async def test_a_comment_is_added_only_after_asking_for_it(world: World) -> None:
    cadre, res = await _rated_case(world)
    stars = res.last()
    await res.press("⭐⭐⭐⭐⭐")
    await res.press(t("en", "btn.rating_comment"))
    await res.send("Quick and kind")
    assert res.last_text() == t("en", "verdict.comment_saved", no="2026-0001")
    assert "Quick and kind" in cadre.last_text()
    # A redelivered press of the same stars changes nothing and says nothing wrong.
    case = await _case(world)
    toasts = len(res.toasts())
    await res.press_data(stars["message_id"], Act(do="rate5", ref=case.id).pack())
    assert (await _case(world)).satisfaction == 5
    assert res.toasts()[toasts:] == [""]
