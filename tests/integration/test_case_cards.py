"""Every change of status redraws every card of the case in every staff chat that holds one,
with only the buttons the new status allows."""

from __future__ import annotations

from typing import Any

from tests.harness import Person, World, file_case, join_staff, load_points, register_resident, t


def labels(message: dict[str, Any]) -> list[str]:
    board = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in board for b in row]


def current(person: Person, message_id: int) -> dict[str, Any]:
    return next(m for m in person.bot_messages() if m["message_id"] == message_id)


async def test_cards_follow_the_case(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    admin = world.admin
    await admin.send("/start")
    await admin.press(t("en", "reg.accept"))
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "No water")
    card = next(m for m in reversed(cadre.bot_messages()) if t("en", "btn.accept") in labels(m))
    await admin.send("/case 2026-0001")
    shown = admin.last()
    assert t("en", "btn.accept") in labels(shown)

    # The first native reply moves the case on: Accept goes, Resolve comes.
    await cadre.reply(card, "On my way")
    for message in (current(cadre, card["message_id"]), current(admin, shown["message_id"])):
        assert t("en", "btn.accept") not in labels(message)
        assert t("en", "btn.resolve") in labels(message)
        assert t("en", "status.in_progress") in message["text"]

    await cadre.press(t("en", "btn.resolve"), message=current(cadre, card["message_id"]))
    await cadre.send("Fixed the pipe")
    message = current(cadre, card["message_id"])
    assert t("en", "btn.resolve") not in labels(message)
    assert t("en", "status.resolved") in message["text"]

    await res.press(t("en", "btn.verdict_yes"))
    for message in (current(cadre, card["message_id"]), current(admin, shown["message_id"])):
        assert labels(message) == []  # closed: nothing left to press
        assert t("en", "status.closed") in message["text"]
