"""A used invitation link goes on as a resident's registration, and the press is answered once."""

from __future__ import annotations

from tests.harness import World, load_points, t


async def test_a_used_invitation_continues_as_a_resident(world: World) -> None:
    await load_points(world)
    invite = await world.app.services.staff.create_invite("cadre", point_code="JH02")
    token = invite.link.split("start=", 1)[1]
    first, second = world.person("First"), world.person("Second")
    await first.send(f"/start {token}")
    await first.press(t("en", "reg.accept"))
    await second.send(f"/start {token}")
    counters = world.emulator.world.counters
    calls = counters.requests_per_method["answerCallbackQuery"]
    await second.press(t("en", "reg.accept"))
    # Answered once: no second answer that Telegram would refuse as "too old".
    assert counters.requests_per_method["answerCallbackQuery"] == calls + 1
    assert second.saw(t("en", "invite.used"))
    assert second.saw(t("en", "invite.as_resident"))
    assert second.last_text() == t("en", "reg.ask_point")  # a next step
