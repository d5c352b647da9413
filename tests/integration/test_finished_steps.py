"""A step answered by typing loses its buttons: nothing under a finished question stays pressable.

As in Telegram, the inline keyboard of the question is removed (its reply markup edited away)
the moment the step ends, so Skip, Back and Cancel cannot be pressed after the fact.
"""

from __future__ import annotations

from typing import Any

from tests.harness import Person, World, load_points, register_resident, t


def buttons_of(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button["text"] for row in rows for button in row]


def question(person: Person, text: str) -> dict[str, Any]:
    return next(m for m in person.bot_messages() if text in str(m.get("text") or ""))


async def test_the_title_question_loses_skip_once_the_title_is_typed(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li")
    invite = await world.app.services.staff.create_invite("cadre", point_code="XH01")
    await cadre.send("/start " + invite.link.split("start=", 1)[1])
    await cadre.press(t("en", "reg.accept"))
    asked = question(cadre, t("en", "staff.ask_title"))
    assert buttons_of(asked) == [t("en", "btn.skip")]

    await cadre.send("Deputy secretary")

    assert cadre.saw(t("en", "staff.title_saved", title="Deputy secretary"))
    assert buttons_of(question(cadre, t("en", "staff.ask_title"))) == []


async def test_describe_it_loses_back_and_cancel_once_the_resident_writes(world: World) -> None:
    await load_points(world)
    resident = world.person("Wang")
    await register_resident(resident)
    await resident.send(t("en", "menu.new_case"))
    await resident.press(t("en", "kind.complaint"))
    names = {c.code: c.name("en") for c in await world.app.services.cases.categories()}
    await resident.press(names["water"])
    asked = question(resident, t("en", "filing.ask_content"))
    assert buttons_of(asked) == [t("en", "btn.back"), t("en", "btn.cancel")]

    await resident.send("No water since morning")
    assert buttons_of(question(resident, t("en", "filing.ask_content"))) == []
    await resident.send("In building 3")  # a second part: nothing more to close, no error
    await resident.press(t("en", "btn.done"))
    await resident.press(t("en", "btn.send"))

    assert resident.saw("No water since morning")
    steps = {t("en", k) for k in ("btn.back", "btn.cancel", "btn.done", "btn.send")}
    left = [b for m in resident.bot_messages() for b in buttons_of(m) if b in steps]
    assert left == [], "no button of the finished filing is left to press"


async def test_a_press_on_a_prompt_that_is_gone_still_shows_the_next_step(world: World) -> None:
    """The bot replaced its "Done" prompt while a press on it was on its way (the message
    handled again after a crash, say): the summary comes as a new message, not an error."""
    await load_points(world)
    resident = world.person("Wang")
    await register_resident(resident)
    await resident.send(t("en", "menu.new_case"))
    await resident.press(t("en", "kind.complaint"))
    names = {c.code: c.name("en") for c in await world.app.services.cases.categories()}
    await resident.press(names["water"])
    await resident.send("No water since morning")
    prompt = resident.last()
    done = next(
        b["callback_data"]
        for row in prompt["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == t("en", "btn.done")
    )
    world.emulator.user_press(resident.id, None, prompt["message_id"], done)  # on its way
    await world.app.bot.delete_message(resident.id, prompt["message_id"])
    await world.settle()

    summary = resident.last()
    assert "No water since morning" in str(summary.get("text"))
    assert t("en", "btn.send") in buttons_of(summary)
    assert not resident.saw(t("en", "error.unexpected"))
