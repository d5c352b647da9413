"""getUpdates: confirming by offset, limit, long polling, allowed_updates, conflicts."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from emuhelpers import api, result

from emulator import Emulator


def _texts(updates: list[dict[str, Any]]) -> list[str]:
    return [u["message"]["text"] for u in updates]


async def test_offset_confirms_earlier_updates(emu: Emulator) -> None:
    user = emu.create_user("A")
    for text in ("one", "two", "three"):
        emu.user_send(user["id"], text=text)

    first = await result(emu, "getUpdates")
    again = await result(emu, "getUpdates", offset=first[1]["update_id"])
    after = await result(emu, "getUpdates", offset=first[-1]["update_id"] + 1)

    assert _texts(first) == ["one", "two", "three"]
    assert _texts(again) == ["two", "three"]
    assert after == []
    assert emu.world.bot().updates.pending_count == 0
    # "two" and "three" were served twice before being confirmed.
    assert emu.counters()["duplicate_deliveries"] == 2


async def test_limit_and_negative_offset(emu: Emulator) -> None:
    user = emu.create_user("A")
    for index in range(5):
        emu.user_send(user["id"], text=str(index))

    two = await result(emu, "getUpdates", limit=2)
    last = await result(emu, "getUpdates", offset=-1)

    assert _texts(two) == ["0", "1"]
    assert _texts(last) == ["4"]
    assert emu.world.bot().updates.pending_count == 1


async def test_long_poll_wakes_when_an_update_arrives(emu: Emulator) -> None:
    user = emu.create_user("A")
    started = time.monotonic()
    poll = asyncio.create_task(emu.call("123456:TEST-TOKEN", "getUpdates", {"timeout": "10"}))
    await asyncio.sleep(0.05)
    assert not poll.done()

    emu.user_send(user["id"], text="wake up")
    response = await asyncio.wait_for(poll, 2)

    assert _texts(response.body["result"]) == ["wake up"]
    assert time.monotonic() - started < 2


async def test_long_poll_times_out_empty(emu: Emulator) -> None:
    started = time.monotonic()
    assert await result(emu, "getUpdates", timeout=1) == []
    assert time.monotonic() - started >= 0.9


async def test_a_second_poller_terminates_the_first(emu: Emulator) -> None:
    first = asyncio.create_task(emu.call("123456:TEST-TOKEN", "getUpdates", {"timeout": "10"}))
    await asyncio.sleep(0.02)
    second = asyncio.create_task(emu.call("123456:TEST-TOKEN", "getUpdates", {"timeout": "1"}))

    response = await asyncio.wait_for(first, 2)
    second.cancel()

    assert response.status == 409
    assert response.body["description"] == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
        "is running"
    )


async def test_allowed_updates_filters_new_updates(emu: Emulator) -> None:
    user = emu.create_user("A")
    await result(emu, "getUpdates", allowed_updates='["callback_query"]')
    emu.user_send(user["id"], text="ignored")
    assert await result(emu, "getUpdates") == []

    await result(emu, "getUpdates", allowed_updates="[]")  # back to the default set
    emu.user_send(user["id"], text="seen")
    assert _texts(await result(emu, "getUpdates")) == ["seen"]


async def test_get_updates_conflicts_with_a_webhook(emu: Emulator) -> None:
    await result(emu, "setWebhook", url="http://127.0.0.1:9/hook")
    refused = await api(emu, "getUpdates")
    await result(emu, "deleteWebhook")

    assert refused["error_code"] == 409
    assert refused["description"] == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
        "delete the webhook first"
    )
    assert await result(emu, "getUpdates") == []


async def test_drop_pending_updates(emu: Emulator) -> None:
    user = emu.create_user("A")
    emu.user_send(user["id"], text="old")
    await result(emu, "deleteWebhook", drop_pending_updates=True)
    emu.user_send(user["id"], text="new")
    assert _texts(await result(emu, "getUpdates")) == ["new"]
