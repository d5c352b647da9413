"""Inline buttons: a press reaches the bot, its answer reaches the person (and the page)."""

from __future__ import annotations

import json

import aiohttp
from emuhelpers import api, result, started_user

from emulator import Emulator
from emulator.runner import RunningEmulator

KEYBOARD = json.dumps({"inline_keyboard": [[{"text": "Resolve", "callback_data": "case:7:done"}]]})
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


async def test_press_then_answer_shows_a_toast(emu: Emulator) -> None:
    user = started_user(emu)
    sent = await result(
        emu, "sendMessage", chat_id=user["id"], text="Case 7", reply_markup=KEYBOARD
    )

    query = emu.user_press(user["id"], None, sent["message_id"], "case:7:done")
    [update] = await result(emu, "getUpdates")
    answered = await result(
        emu, "answerCallbackQuery", callback_query_id=query["id"], text="Marked as resolved"
    )
    twice = await api(emu, "answerCallbackQuery", callback_query_id=query["id"])
    unknown = await api(emu, "answerCallbackQuery", callback_query_id="123")

    assert update["callback_query"] == query
    assert query["data"] == "case:7:done"
    assert query["message"]["message_id"] == sent["message_id"]
    assert query["from"]["id"] == user["id"]
    assert answered is True
    assert twice["description"] == QUERY_INVALID
    assert unknown["description"] == QUERY_INVALID
    [toast] = emu.callback_answers(user["id"])
    assert toast["text"] == "Marked as resolved" and toast["show_alert"] is False


async def test_pressing_over_http_and_reading_the_answer(
    emu: Emulator, server: RunningEmulator
) -> None:
    user = started_user(emu)
    sent = await result(emu, "sendMessage", chat_id=user["id"], text="Case", reply_markup=KEYBOARD)

    async with aiohttp.ClientSession(server.url) as http:
        press = {"user_id": user["id"], "message_id": sent["message_id"], "callback_data": "x"}
        async with http.post("/control/press", json=press) as response:
            assert response.status == 201
            query = await response.json()
        await result(
            emu, "answerCallbackQuery", callback_query_id=query["id"], text="Hi", show_alert=True
        )
        async with http.get(f"/control/users/{user['id']}/callback_answers") as response:
            answers = await response.json()
        missing = {**press, "message_id": 999}
        async with http.post("/control/press", json=missing) as response:
            assert response.status == 404
            assert "error" in await response.json()

    assert [(a["text"], a["show_alert"]) for a in answers] == [("Hi", True)]
