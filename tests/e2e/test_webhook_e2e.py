"""The real ``cpbot webhook`` process: the emulator pushes updates with the secret header."""

from __future__ import annotations

import asyncio

import aiohttp

from emulator.runner import RunningEmulator
from tests.e2e.conftest import free_port
from tests.e2e.test_polling_e2e import walk_through


async def wait_ready(url: str, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline:
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never became ready")


async def test_webhook_end_to_end(emulator: RunningEmulator, make_bot) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = make_bot(
        CPBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        CPBOT_WEBHOOK_PORT=str(port),
        CPBOT_WEBHOOK_SECRET="s3cret-token",
    )
    process.start("webhook")
    try:
        await wait_ready(f"http://127.0.0.1:{port}/readyz")
        info = await emulator.emulator.call("424242:E2E-TOKEN", "getWebhookInfo", {})
        assert info.body["result"]["url"] == f"http://127.0.0.1:{port}/telegram"
        await walk_through(emulator, process)
        counters = emulator.emulator.counters()
        assert counters["webhook_deliveries"] > 0
        # Someone posting without the secret is refused and nothing is handled.
        async with aiohttp.ClientSession() as http:
            forged = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": 5, "type": "private"},
                    "text": "/start",
                },
            }
            async with http.post(f"http://127.0.0.1:{port}/telegram", json=forged) as response:
                assert response.status == 401
            async with http.post(
                f"http://127.0.0.1:{port}/telegram",
                json=forged,
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            ) as resp:
                assert resp.status == 401
    except AssertionError:
        print(process.output())
        raise
    assert process.stop() == 0
    assert "Traceback" not in process.output()
