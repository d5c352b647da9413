"""Issue 18: each button press is answered once and acted on once — also when Telegram delivers
it again after the bot restarted, when nothing of the first process's memory is left."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from tests.harness import Person, World, file_case, join_staff, load_points, register_resident, t
from tests.integration.test_forget_everywhere import place


async def _card(world: World) -> tuple[Person, Person, dict[str, Any]]:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    number = await file_case(res, "The lift is broken")
    card = next(m for m in reversed(cadre.bot_messages()) if number in (m.get("text") or ""))
    return cadre, res, card


def _answers(world: World) -> int:
    return int(world.emulator.world.counters.requests_per_method["answerCallbackQuery"])


__all__ = ["place"]  # SQLite, and PostgreSQL with Redis (the replicas' setup)


async def test_a_press_redelivered_after_a_restart_is_not_answered_or_done_again(
    place: tuple[World, Redis | None],
) -> None:
    """On SQLite nothing of the first process is left; with Redis, its memory of handled
    updates lasts an hour while Telegram redelivers for a day — the database remembers."""
    world, redis = place
    cadre, _res, card = await _card(world)
    before = _answers(world)
    query = await cadre.press(t("en", "btn.accept"), card)
    update_id = world.offset - 1  # the press's update, the last one fetched
    assert _answers(world) == before + 1
    seen = len(cadre.bot_messages())
    assert cadre.toasts()[-1] == t("en", "case.accepted_toast", no="2026-0001")

    await world.restart()
    if redis is not None:
        await redis.delete(f"cpbot:update:{update_id}")  # the hour has passed
    await world.redeliver({"update_id": update_id, "callback_query": query})

    assert _answers(world) == before + 1  # once in all
    assert len(cadre.bot_messages()) == seen  # and not refused as "already accepted" either


async def test_a_press_answered_before_a_crash_is_done_without_a_second_answer(
    world: World,
) -> None:
    """The process answered the press and died before it had finished: the redelivered press
    is handled (the work is done) but not answered again."""
    cadre, _res, card = await _card(world)
    reply = next(
        b["callback_data"]
        for row in card["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == t("en", "btn.reply")
    )
    query = world.emulator.user_press(cadre.id, None, card["message_id"], reply)
    await world.app.services.presses.claim(str(query["id"]))  # answered, then the crash
    await world.restart()
    before = _answers(world)
    await world.settle()
    assert cadre.last_text() == t("en", "chat.staff_prompt", no="2026-0001")
    assert _answers(world) == before


async def test_a_used_invitation_is_answered_once_across_a_restart(world: World) -> None:
    await load_points(world)
    invite = await world.app.services.staff.create_invite("cadre", point_code="JH02")
    token = invite.link.split("start=", 1)[1]
    first, second = world.person("First"), world.person("Second")
    await first.send(f"/start {token}")
    await first.press(t("en", "reg.accept"))
    await second.send(f"/start {token}")
    before = _answers(world)
    query = await second.press(t("en", "reg.accept"))
    assert _answers(world) == before + 1
    seen = len(second.bot_messages())
    await world.restart()
    await world.redeliver({"update_id": 777_778, "callback_query": query})
    assert _answers(world) == before + 1
    assert len(second.bot_messages()) == seen
