"""Webhook delivery: secret header, redelivery, per-chat order, spreading over targets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from emuhelpers import Receiver, eventually, result

from emulator import Emulator


@pytest.fixture
async def receivers() -> AsyncIterator[list[Receiver]]:
    started: list[Receiver] = []
    yield started
    for receiver in started:
        await receiver.stop()


async def _receiver(receivers: list[Receiver], respond: object = None) -> Receiver:
    receiver = await Receiver(respond).start()
    receivers.append(receiver)
    return receiver


async def test_delivers_json_with_the_secret_header(
    emu: Emulator, receivers: list[Receiver]
) -> None:
    hook = await _receiver(receivers)
    user = emu.create_user("A")
    await result(emu, "setWebhook", url=hook.url, secret_token="s3cr3t-Token_1")

    sent = emu.user_send(user["id"], text="hello")
    await eventually(lambda: emu.world.bot().updates.pending_count == 0)

    assert hook.received == [{"update_id": 1, "message": sent}]
    assert hook.headers[0]["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t-Token_1"
    assert hook.headers[0]["Content-Type"] == "application/json"
    info = await result(emu, "getWebhookInfo")
    assert info["url"] == hook.url and info["pending_update_count"] == 0
    assert "last_error_date" not in info


async def test_pending_updates_wait_for_the_webhook(
    emu: Emulator, receivers: list[Receiver]
) -> None:
    user = emu.create_user("A")
    emu.user_send(user["id"], text="before the webhook")
    hook = await _receiver(receivers)

    await result(emu, "setWebhook", url=hook.url)
    await eventually(lambda: len(hook.received) == 1)

    assert hook.received[0]["message"]["text"] == "before the webhook"


async def test_redelivers_after_a_server_error(emu: Emulator, receivers: list[Receiver]) -> None:
    hook = await _receiver(receivers, lambda update, number: 500 if number == 0 else 200)
    user = emu.create_user("A")
    await result(emu, "setWebhook", url=hook.url)

    emu.user_send(user["id"], text="try again")
    await eventually(lambda: len(hook.received) == 2)
    await eventually(lambda: emu.world.bot().updates.pending_count == 0)

    assert hook.received[0] == hook.received[1], "the same update, same update_id"
    counters = emu.counters()
    assert counters["webhook_redeliveries"] == 1
    assert counters["duplicate_deliveries"] == 1
    info = await result(emu, "getWebhookInfo")
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )


async def test_redelivers_after_a_dropped_connection(
    emu: Emulator, receivers: list[Receiver]
) -> None:
    hook = await _receiver(receivers, lambda update, number: "drop" if number == 0 else 200)
    user = emu.create_user("A")
    await result(emu, "setWebhook", url=hook.url)

    emu.user_send(user["id"], text="again")
    await eventually(lambda: len(hook.received) == 2)
    await eventually(lambda: emu.world.bot().updates.pending_count == 0)

    assert hook.received[0]["update_id"] == hook.received[1]["update_id"]
    assert emu.counters()["webhook_redeliveries"] == 1


async def test_connection_refused_is_retried_and_reported(emu: Emulator) -> None:
    user = emu.create_user("A")
    await result(emu, "setWebhook", url="http://127.0.0.1:9/nothing-listens-here")
    emu.user_send(user["id"], text="anyone?")

    await eventually(lambda: emu.counters()["webhook_redeliveries"] >= 1)
    info = await result(emu, "getWebhookInfo")
    await result(emu, "deleteWebhook")

    assert info["pending_update_count"] == 1
    assert info["last_error_message"] == "Connection refused"
    assert emu.counters()["duplicate_deliveries"] == 0, "it never reached the bot"
    assert len(await result(emu, "getUpdates")) == 1, "kept for polling after deleteWebhook"


async def test_one_chat_in_order_other_chats_concurrently(
    emu: Emulator, receivers: list[Receiver]
) -> None:
    release = asyncio.Event()
    order: list[str] = []

    async def respond(update: dict[str, Any], number: int) -> int:
        text = update["message"]["text"]
        order.append(f"start {text}")
        if text == "a1":
            await release.wait()  # the first of chat A is slow
        order.append(f"done {text}")
        return 200

    hook = await _receiver(receivers, respond)
    alice, bob = emu.create_user("Alice"), emu.create_user("Bob")
    await result(emu, "setWebhook", url=hook.url)

    for text in ("a1", "a2", "a3"):
        emu.user_send(alice["id"], text=text)
    emu.user_send(bob["id"], text="b1")
    await eventually(lambda: "done b1" in order)
    assert "start a2" not in order, "a2 waits until a1 was acknowledged"

    release.set()
    await eventually(lambda: "done a3" in order)
    alice_order = [step for step in order if " a" in step]
    assert alice_order == ["start a1", "done a1", "start a2", "done a2", "start a3", "done a3"]


async def test_spreads_deliveries_over_targets_and_retries_elsewhere(
    emu: Emulator, receivers: list[Receiver]
) -> None:
    healthy = await _receiver(receivers)
    flaky = await _receiver(receivers, lambda update, number: 503 if number == 0 else 200)
    emu.set_webhook_targets([flaky.url, healthy.url])
    users = [emu.create_user(f"P{i}") for i in range(4)]
    await result(emu, "setWebhook", url="https://bot.example/webhook")

    for user in users:
        emu.user_send(user["id"], text=f"from {user['first_name']}")
    await eventually(lambda: emu.world.bot().updates.pending_count == 0)

    delivered = {u["update_id"] for u in healthy.received[:]} | {
        u["update_id"] for u in flaky.received[1:]
    }
    assert delivered == {1, 2, 3, 4}
    assert healthy.received and len(flaky.received) >= 2, "both replicas took deliveries"


async def test_a_method_in_the_webhook_answer_is_carried_out(
    emu: Emulator, receivers: list[Receiver]
) -> None:
    def respond(update: dict[str, Any], number: int) -> dict[str, Any]:
        chat_id = update["message"]["chat"]["id"]
        return {"method": "sendMessage", "chat_id": chat_id, "text": "answered in the response"}

    hook = await _receiver(receivers, respond)
    user = emu.create_user("A")
    await result(emu, "setWebhook", url=hook.url)

    emu.user_send(user["id"], text="hi")

    await eventually(lambda: len(emu.history(user["id"])) == 2)
    assert emu.history(user["id"])[1]["text"] == "answered in the response"
