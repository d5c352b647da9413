"""Flood control: 429 with retry_after past each limit, on the test's clock."""

from __future__ import annotations

import json

from emuhelpers import TOKEN, FakeClock, api, png, result, started_user

from emulator import Emulator, UploadedFile


def _history_size(emu: Emulator, chat_id: int) -> int:
    return len(emu.history(chat_id))


async def test_private_chat_takes_one_message_a_second(emu: Emulator, clock: FakeClock) -> None:
    user = started_user(emu)
    await result(emu, "sendMessage", chat_id=user["id"], text="one")
    before = _history_size(emu, user["id"])

    refused = await api(emu, "sendMessage", chat_id=user["id"], text="two")

    assert refused == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert _history_size(emu, user["id"]) == before, "a refused call creates no message"
    clock.advance(0.6)
    assert (await api(emu, "sendMessage", chat_id=user["id"], text="two"))["error_code"] == 429
    clock.advance(0.4)
    await result(emu, "sendMessage", chat_id=user["id"], text="two")
    assert emu.counters()["responses_429"] == 2


async def test_bot_wide_limit_spans_chats(emu: Emulator, clock: FakeClock) -> None:
    emu.set_limits(global_per_second=3)
    users = [started_user(emu, f"P{i}") for i in range(4)]
    for user in users[:3]:
        await result(emu, "sendMessage", chat_id=user["id"], text="hi")

    refused = await api(emu, "sendMessage", chat_id=users[3]["id"], text="hi")

    assert refused["error_code"] == 429
    assert refused["parameters"] == {"retry_after": 1}
    clock.advance(1.0)
    await result(emu, "sendMessage", chat_id=users[3]["id"], text="hi")
    assert emu.counters()["max_global_rate"] == 3


async def test_group_takes_twenty_a_minute(emu: Emulator, clock: FakeClock) -> None:
    members = [emu.create_user("Cadre")["id"], emu.create_user("Resident")["id"]]
    group = emu.create_group("Street 5", members)
    for _ in range(20):
        await result(emu, "sendMessage", chat_id=group["id"], text="notice")
        clock.advance(0.5)  # well under the private-chat pace: groups count per minute

    refused = await api(emu, "sendMessage", chat_id=group["id"], text="one too many")

    # The first of the twenty frees its slot 60 s after it was sent: 50 s from now.
    assert refused["parameters"] == {"retry_after": 50}
    assert refused["description"] == "Too Many Requests: retry after 50"
    clock.advance(49.5)
    assert (await api(emu, "sendMessage", chat_id=group["id"], text="x"))["error_code"] == 429
    clock.advance(0.5)
    await result(emu, "sendMessage", chat_id=group["id"], text="now")


async def test_an_album_counts_each_item(emu: Emulator, clock: FakeClock) -> None:
    emu.set_limits(global_per_second=5)
    members = [emu.create_user("A")["id"]]
    group = emu.create_group("Album group", members)
    media = [{"type": "photo", "media": f"attach://p{i}"} for i in range(3)]
    files = {f"p{i}": png() for i in range(3)}
    uploads = {name: UploadedFile(data, f"{name}.png", "image/png") for name, data in files.items()}
    params = {"chat_id": group["id"], "media": json.dumps(media)}

    first = await emu.call(TOKEN, "sendMediaGroup", params, uploads)
    second = await emu.call(TOKEN, "sendMediaGroup", params, uploads)
    third = await api(emu, "sendMessage", chat_id=group["id"], text="after six")

    assert first.ok and second.ok, "admitted while the window had room"
    assert len(first.body["result"]) == 3
    assert third["error_code"] == 429
    assert emu.counters()["messages_total"] == 6


async def test_edits_and_callback_answers_are_not_limited(emu: Emulator) -> None:
    user = started_user(emu)
    sent = await result(
        emu,
        "sendMessage",
        chat_id=user["id"],
        text="pick",
        reply_markup=json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}),
    )
    await result(
        emu, "editMessageText", chat_id=user["id"], message_id=sent["message_id"], text="picked"
    )
    query = emu.user_press(user["id"], None, sent["message_id"], "a")
    assert await result(emu, "answerCallbackQuery", callback_query_id=query["id"]) is True


async def test_limits_off_lets_everything_through_but_rates_are_measured(
    emu: Emulator,
) -> None:
    emu.set_limits(enabled=False)
    user = started_user(emu)
    for index in range(5):
        await result(emu, "sendMessage", chat_id=user["id"], text=str(index))
    counters = emu.counters()
    assert counters["responses_429"] == 0
    assert counters["max_chat_rate"] == 5
    assert counters["messages_per_chat"] == {str(user["id"]): 5}
