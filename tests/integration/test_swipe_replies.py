"""Issue 19: a native reply (swipe-reply) to a message about a case always goes to that case,
whatever step is open — a consultation being answered, a receipt code awaited, a visit being
logged, an administrator's wizard — and the step stays where it was."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import Update

import services.cases as cases_module
from services.clock import FakeClock
from services.texts import Texts
from services.visits import day_text
from tests.harness import (
    TOKEN,
    Person,
    World,
    file_case,
    join_staff,
    load_points,
    register_resident,
    t,
)
from tests.integration.test_consultations_flow import FORM


async def _case_with_card(world: World) -> tuple[Person, Person, dict[str, Any], str]:
    """A cadre at XH01, a resident there who filed a case; the resident's confirmation and the
    case's number."""
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    number = await file_case(res, "The lift is broken")
    return cadre, res, res.bot_messages()[-1], number


def _card(cadre: Person, number: str) -> dict[str, Any]:
    return next(m for m in reversed(cadre.bot_messages()) if number in (m.get("text") or ""))


async def test_a_resident_answering_a_consultation_adds_to_the_case(world: World) -> None:
    cadre, res, confirmation, number = await _case_with_card(world)
    await cadre.send("/consult")
    closes = (world.app.services.ctx.clock.now() + timedelta(days=20)).strftime("%Y-%m-%d 18:00")
    await cadre.send(FORM.replace("{closes}", closes))
    await cadre.press(t("en", "consult.btn_send"))
    for _ in range(3):
        await world.app.services.consultations.tick()
        await world.settle()
    invite = next(m for m in res.bot_messages() if "Street lamps" in (m.get("text") or ""))
    await res.press(t("en", "consult.btn_answer"), invite)
    assert "What first?" in res.last_text()
    question = res.last()["message_id"]

    await res.reply(confirmation, "It is on the third floor")
    assert "It is on the third floor" in cadre.last_text()
    assert res.last_text().startswith("✓") and number in res.last_text()
    # The consultation goes on from the same question.
    await res.press("Lamps")
    shown = next(m for m in res.bot_messages() if m["message_id"] == question)
    assert "What else?" in shown["text"]


async def test_a_resident_in_receipt_code_entry_adds_to_the_case(world: World) -> None:
    cadre, res, confirmation, number = await _case_with_card(world)
    await res.send("/tipoff")
    assert res.last_text() == t("en", "tipoff.ask_receipt")
    await res.reply(confirmation, "It is on the third floor")
    assert "It is on the third floor" in cadre.last_text()
    assert res.last_text().startswith("✓") and number in res.last_text()
    # Still waiting for a code: a code is taken as one.
    await res.send("ZZZZZ-ZZZZZ")
    assert res.last_text() == t("en", "tipoff.receipt_unknown")


async def test_a_cadre_logging_a_visit_replies_to_the_resident(
    world: World, clock: FakeClock
) -> None:
    cadre, res, _confirmation, number = await _case_with_card(world)
    card = _card(cadre, number)
    await cadre.send("/visits")
    await cadre.press(t("en", "visits.btn.log"))
    asked = cadre.last_text()
    await cadre.reply(card, "We will come tomorrow")
    assert "We will come tomorrow" in res.last_text()
    assert cadre.last_text() != asked and number in cadre.last_text()
    # The visit's day step is still open.
    today = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    good = today - timedelta(days=2)
    await cadre.send(good.isoformat())
    assert cadre.last_text() == t("en", "visits.log.ask_note", day=day_text(Texts(), "en", good))


async def test_a_cadre_writing_a_resolve_note_replies_to_the_resident(world: World) -> None:
    cadre, res, _confirmation, number = await _case_with_card(world)
    card = _card(cadre, number)
    await cadre.press(t("en", "btn.accept"), card)
    await cadre.press(t("en", "btn.resolve"))
    assert cadre.last_text() == t("en", "resolve.ask_note", no=number)
    await cadre.reply(card, "Which floor exactly?")
    assert "Which floor exactly?" in res.last_text()
    # Still the resolve step: the next plain text is the note.
    await cadre.send("Lift repaired")
    assert cadre.last_text() == t("en", "resolve.done", no=number)


async def test_an_administrator_in_a_wizard_replies_to_the_resident(world: World) -> None:
    _cadre, res, _confirmation, number = await _case_with_card(world)
    admin = world.admin
    await admin.send("/start")
    await admin.press(t("en", "reg.accept"))
    await admin.send(f"/case {number}")
    card = admin.last()
    assert number in admin.last_text()
    await admin.send("/admin")
    await admin.press(t("en", "admin.btn.points"))
    await admin.press(t("en", "admin.btn.add_point"))
    assert "step 1 of 6" in admin.last_text()
    await admin.reply(card, "The office is on it")
    assert "The office is on it" in res.last_text()
    # The wizard is still at its first step.
    await admin.send("Riverside Hall")
    assert "step 2 of 6" in admin.last_text()


async def test_a_reply_to_a_message_of_no_case_goes_where_it_went(world: World) -> None:
    """The consultation's typed answer as a swipe-reply to its question is still an answer."""
    cadre, res, _confirmation, _number = await _case_with_card(world)
    await cadre.send("/visits")
    await cadre.press(t("en", "visits.btn.log"))
    question = cadre.last()
    before = len(res.bot_messages())
    clock_today = world.app.services.ctx.clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    good = clock_today - timedelta(days=2)
    await cadre.reply(question, good.isoformat())
    assert cadre.last_text() == t("en", "visits.log.ask_note", day=day_text(Texts(), "en", good))
    assert len(res.bot_messages()) == before  # nothing reached the resident


@pytest.mark.parametrize("recorded", ["while_waiting", "between_the_looks"])
async def test_a_reply_to_a_confirmation_not_yet_recorded_goes_to_its_case(
    world: World, monkeypatch: pytest.MonkeyPatch, recorded: str
) -> None:
    """The sender records a message's link to its case just after Telegram answered; a
    resident who replies in between (seen in a scale run under load) still reaches the case,
    instead of being asked what to do with a message of no case — also when the record
    commits just after the bot found no link and before it asked whether a send is on its
    way (seen too: the second look must come after that question)."""
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    await file_case(res, "The lift is broken")
    sender = world.app.sender
    # A second case: its confirmation is sent, and its outcome not yet recorded.
    await res.send(t("en", "menu.new_case"))
    await res.press(t("en", "kind.complaint"))
    names = {c.code: c.name("en") for c in await world.app.services.cases.categories()}
    await res.press(names["water"])
    await res.send("No water since Monday")
    await res.press(t("en", "btn.done"))
    button = next(
        b["callback_data"]
        for row in res.last()["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"].endswith(t("en", "btn.send"))
    )
    world.emulator.user_press(res.id, None, res.last()["message_id"], button)
    await _feed(world)  # the case is filed; nothing sent yet
    claimed = await sender.store.claim(10)
    results = [await sender.deliver_row(row) for row in claimed]
    confirmation = res.last()
    assert "was sent to" in confirmation["text"], res.transcript()
    number = re.search(r"\d{4}-\d{4}", confirmation["text"])
    assert number is not None

    async def record_later() -> None:
        await asyncio.sleep(0.3)
        await sender.store.complete(results)

    world.emulator.user_send(
        res.id, text="Also the pump hums", reply_to_message_id=confirmation["message_id"]
    )
    if recorded == "while_waiting":
        await asyncio.gather(_feed(world), record_later())
    else:
        real = cases_module.sending_to

        async def recorded_first(ctx: Any, chat_id: int) -> bool:
            if results:
                await sender.store.complete(results)
                results.clear()
            return await real(ctx, chat_id)

        monkeypatch.setattr(cases_module, "sending_to", recorded_first)
        await _feed(world)
    await world.settle()
    assert "Also the pump hums" in cadre.last_text()
    assert number.group(0) in cadre.last_text()
    assert t("en", "loose.what_to_do") not in res.texts()


async def _feed(world: World) -> None:
    """Hand the pending updates to the bot without sending anything from the outbox."""
    response = await world.emulator.call(TOKEN, "getUpdates", {"offset": world.offset})
    for raw in response.body["result"]:
        world.offset = raw["update_id"] + 1
        update = Update.model_validate(raw, context={"bot": world.app.bot})
        await world.app.dp.feed_update(world.app.bot, update)
