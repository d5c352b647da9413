"""The real ``cpbot webhook`` process with the WeChat settings: Telegram's webhook and WeChat's
callback on one port, over HTTP to both emulators; and the real ``cpbot run`` (Telegram by
polling), which opens that host and port for WeChat's callback alone. ``cpbot wechat menu``
sets the account's menu, ``cpbot points qr --wechat`` makes the point's poster; a WeChat
resident scans it, registers, files a case with a photo; the Telegram cadre replies natively;
the resident gets it."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from emulator.runner import RunningEmulator
from emulator.wechat import Account, start_wechat
from emulator.wechat.crypto import sign
from emulator.wechat.platform import Follower
from tests.e2e.conftest import Phone, free_port
from tests.e2e.test_webhook_e2e import wait_ready
from tests.harness import POINTS_CSV

# The smallest JPEG WeChat's emulator takes as a photo.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////"
    "////////////////////////////////2wBDAf//////////////////////////////////////////////////"
    "////////////////////////////////////wAARCAABAAEDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAA"
    "AAP/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFAEBAAAAAAAAAAAAAAAAAAAAAP/EABQRAQAAAAAAAAAAAAAAAAAA"
    "AAD/2gAMAwEAAhEDEQA/AKAA/9k="
)


def _texts(follower: Follower) -> list[str]:
    """What the resident read: texts, and clickable menus (msgmenu) as their head and items."""
    return [
        str(m["text"]["content"])
        if m["msgtype"] == "text"
        else "\n\n".join(
            [m["msgmenu"]["head_content"], "\n".join(i["content"] for i in m["msgmenu"]["list"])]
        )
        for m in follower.received
        if m.get("via") == "custom" and m.get("msgtype") in ("text", "msgmenu")
    ]


async def _wait(follower: Follower, check: Callable[[list[str]], bool], timeout: float = 30) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if check(_texts(follower)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the WeChat resident waited in vain; last: {_texts(follower)[-3:]}")


def checked_url(base: str, token: str) -> str:
    """WeChat's signed GET check of a callback URL (what it does when the URL is configured):
    answered with the echo string only by a process serving the callback with this token."""
    timestamp, nonce = "1780000000", "ready"
    signature = sign(token, timestamp, nonce)
    return f"{base}?signature={signature}&timestamp={timestamp}&nonce={nonce}&echostr=ok"


@pytest.mark.parametrize("mode", ["webhook", "run"])
async def test_wechat_resident_and_telegram_cadre_through_cpbot(  # type: ignore[no-untyped-def]
    emulator: RunningEmulator, make_bot, mode: str
) -> None:
    wechat = await start_wechat(Account())
    account = wechat.platform.account
    port = free_port()
    telegram = (
        {"CPBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram"} if mode == "webhook" else {}
    )
    process = make_bot(
        **telegram,
        CPBOT_WEBHOOK_PORT=str(port),
        CPBOT_WECHAT_APP_ID=account.app_id,
        CPBOT_WECHAT_APP_SECRET=account.app_secret,
        CPBOT_WECHAT_TOKEN=account.token,
        CPBOT_WECHAT_AES_KEY=account.encoding_aes_key,
        CPBOT_WECHAT_API_BASE=wechat.url,
    )
    wechat.platform.account = dataclasses.replace(
        account, callback_url=f"http://127.0.0.1:{port}/wechat"
    )
    try:
        (process.workdir / "points.csv").write_text(POINTS_CSV, encoding="utf-8")
        imported = await asyncio.to_thread(process.cli, "points", "import", "points.csv")
        assert imported.returncode == 0
        # The emulators answer from this event loop: the command runs beside it.
        menu = await asyncio.to_thread(process.cli, "wechat", "menu")
        assert menu.returncode == 0, menu.stderr
        assert [b["name"] for b in wechat.platform.menu["button"]][:2] == ["New case", "My cases"]
        poster = await asyncio.to_thread(
            process.cli, "points", "qr", "XH01", "--wechat", "--out", "wx.png"
        )
        assert poster.returncode == 0, poster.stderr
        assert (process.workdir / "wx.png").read_bytes().startswith(b"\x89PNG")
        ticket = poster.stdout.strip().rsplit("/", 1)[-1]
        scene = wechat.platform.scene_of(ticket)
        invite = await asyncio.to_thread(process.cli, "invite", "cadre", "--point", "XH01")
        payload = invite.stdout.split("start=", 1)[1].split()[0]

        process.start(mode)
        await wait_ready(checked_url(f"http://127.0.0.1:{port}/wechat", account.token))
        emu = emulator.emulator
        cadre = Phone(emu, emu.create_user("Li", "Wei", language_code="en"))
        cadre.send(f"/start {payload}")
        await cadre.press("I agree")
        await cadre.press("Skip")
        await cadre.wait_text("No title for now")

        pusher = wechat.pusher
        follower = wechat.platform.new_follower("en")
        assert (await pusher.follow(follower, scene)).attempts == ["200"]
        await _wait(follower, lambda t: bool(t) and "1." in t[-1])  # the privacy notice
        await pusher.text(follower, "1")
        await _wait(follower, lambda t: any("Xinhua Street" in x for x in t))
        await pusher.image(follower, JPEG, "image/jpeg")  # a photo first
        await _wait(follower, lambda t: "1." in t[-1])  # the kinds, numbered
        await pusher.text(follower, "1")  # complaint
        await _wait(follower, lambda t: "Water" in t[-1])  # the areas, numbered
        areas = _texts(follower)[-1]
        water = next(line.split(".")[0] for line in areas.splitlines() if "Water" in line)
        await pusher.text(follower, water)
        await _wait(follower, lambda t: "Li Wei" in t[-1])  # the case's record
        await pusher.text(follower, "The pipe in the stairwell is leaking")
        # The resident's photo itself, downloaded from WeChat and uploaded to Telegram.
        photo = await cadre.wait_for(lambda m: bool(m.get("photo")))
        assert emu.world.files.get(photo["photo"][-1]["file_id"]).data == JPEG
        card = await cadre.wait_text("The pipe in the stairwell is leaking")
        reply = "A plumber comes at 3 pm"
        emu.user_send(cadre.id, text=reply, reply_to_message_id=card["message_id"])
        await _wait(follower, lambda t: any("A plumber comes at 3 pm" in x for x in t))
    except AssertionError:
        print(process.output())
        raise
    finally:
        await wechat.stop()
    assert await asyncio.to_thread(process.stop) == 0  # the emulators answer meanwhile
    assert "Traceback" not in process.output(), process.output()[-6000:]
    # WeChat puts the token and the secret in its URLs: none of them reaches the log.
    assert account.app_secret not in process.output()
    assert "access_token=" not in process.output()
