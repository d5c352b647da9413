"""The control API over HTTP, the live event stream, and the chat page's strings."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from pathlib import Path
from typing import Any

import aiohttp
from emuhelpers import TOKEN, eventually, png, result

from emulator import Emulator
from emulator.runner import RunningEmulator
from locales import load_catalog

STATIC = Path(__file__).resolve().parents[2] / "emulator" / "static"
SCRIPTS = sorted(STATIC.glob("*.js"))  # the page's ES modules, app.js first imported


def scripts() -> str:
    return "".join(path.read_text() for path in SCRIPTS)


async def _json(response: aiohttp.ClientResponse) -> Any:
    return await response.json()


async def test_people_over_http(emu: Emulator, server: RunningEmulator) -> None:
    async with aiohttp.ClientSession(server.url) as http:
        async with http.post(
            "/control/users", json={"first_name": "Wang", "language_code": "en"}
        ) as r:
            assert r.status == 201
            user = await r.json()
        photo = {
            "data": "data:image/png;base64," + base64.b64encode(png()).decode(),
            "filename": "a.png",
        }
        message = {"user_id": user["id"], "photo": photo, "caption": "crack in the wall"}
        async with http.post("/control/messages", json=message) as r:
            sent = await r.json()
        async with http.post(
            "/control/messages",
            json={"user_id": user["id"], "location": {"latitude": 31.2, "longitude": 121.5}},
        ) as r:
            assert r.status == 201
        album = {
            "user_id": user["id"],
            "media_group": [{"type": "photo", "data": base64.b64encode(png()).decode()}] * 2,
        }
        async with http.post("/control/messages", json=album) as r:
            assert len(await r.json()) == 2
        async with http.post("/control/messages", json={"user_id": user["id"]}) as r:
            assert r.status == 400 and "error" in await r.json()
        async with http.post("/control/messages", json={"user_id": 1, "text": "x"}) as r:
            assert r.status == 404
        async with http.get(f"/control/chats/{user['id']}/history") as r:
            history = await r.json()
        async with http.get("/control/updates") as r:
            pending = await r.json()
        async with http.post(f"/control/users/{user['id']}/block", json={}) as r:
            assert r.status == 200
        async with http.get("/control/users") as r:
            users = await r.json()
        async with http.post(
            "/control/groups", json={"title": "Lane 3", "member_ids": [user["id"]]}
        ) as r:
            group = await r.json()

    assert sent["caption"] == "crack in the wall" and sent["photo"][0]["width"] == 40
    assert [m["message_id"] for m in history] == [1, 2, 3, 4]
    assert len(pending) == 4
    assert users == [{**user, "blocked": True}]
    assert group["type"] == "group" and group["title"] == "Lane 3"


async def test_steering_over_http(emu: Emulator, server: RunningEmulator) -> None:
    async with aiohttp.ClientSession(server.url) as http:
        async with http.post(
            "/control/limits", json={"enabled": False, "global_per_second": 50}
        ) as r:
            limits = await r.json()
        async with http.post(
            "/control/faults", json={"method": "getMe", "kind": "error", "count": 1}
        ) as r:
            fault = await r.json()
        async with http.get("/control/faults") as r:
            faults = await r.json()
        async with http.get(f"/bot{TOKEN}/getMe") as r:
            assert r.status == 502
        async with http.get(f"/bot{TOKEN}/getMe") as r:
            assert r.status == 200
        async with http.post("/control/faults", json={"kind": "explode"}) as r:
            assert r.status == 400
        async with http.post(
            "/control/webhook/targets", json={"targets": ["http://a/x", "http://b/x"]}
        ) as r:
            assert (await r.json())["targets"] == ["http://a/x", "http://b/x"]
        async with http.get(f"/bot{TOKEN}/noSuchMethod") as r:
            assert r.status == 404
        async with http.get("/control/violations") as r:
            violations = await r.json()
        async with http.get("/control/counters") as r:
            counters = await r.json()
        async with http.post("/control/counters/reset") as r:
            reset = await r.json()
        async with http.post("/control/reset") as r:
            assert r.status == 200

    assert limits == {
        "enabled": False,
        "global_per_second": 50,
        "per_chat_per_second": 1,
        "per_group_per_minute": 20,
    }
    assert fault["kind"] == "error" and [f["id"] for f in faults] == [fault["id"]]
    assert violations == [
        {
            "kind": "unknown_method",
            "method": "noSuchMethod",
            "detail": "noSuchMethod is not a Bot API method",
        }
    ]
    assert counters["requests_per_method"] == {"getMe": 2, "noSuchMethod": 1}
    assert counters["errors_per_code"] == {"502": 1, "404": 1}
    assert counters["violations"] == 1
    assert reset["requests_per_method"] == {}
    assert emu.violations == [] and emu.faults.active() == []


async def test_event_stream_follows_every_chat(emu: Emulator, server: RunningEmulator) -> None:
    user = emu.create_user("Li")
    events: list[dict[str, Any]] = []

    async def read(http: aiohttp.ClientSession) -> None:
        async with http.get("/control/events") as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            async for line in response.content:
                if line.startswith(b"data: "):
                    events.append(json.loads(line[6:]))

    async with aiohttp.ClientSession(server.url) as http:
        reader = asyncio.create_task(read(http))
        await eventually(lambda: emu.world.events.subscribers == 1)
        emu.user_send(user["id"], text="hello")
        sent = await result(
            emu,
            "sendMessage",
            chat_id=user["id"],
            text="Pick",
            reply_markup='{"keyboard": [["Yes"]]}',
        )
        target = {"chat_id": user["id"], "message_id": sent["message_id"]}
        await result(emu, "editMessageText", text="Picked", **target)
        query = emu.user_press(user["id"], None, sent["message_id"], "x")
        await result(emu, "answerCallbackQuery", callback_query_id=query["id"], text="Thanks")
        await result(emu, "sendChatAction", chat_id=user["id"], action="typing")
        await result(emu, "deleteMessage", **target)
        await eventually(lambda: len(events) == 7)
        reader.cancel()

    kinds = [e["type"] for e in events]
    assert kinds == [
        "message",
        "message",
        "keyboard",
        "edit",
        "callback_answer",
        "chat_action",
        "delete",
    ]
    assert events[0]["message"]["text"] == "hello"
    assert events[2]["keyboard"]["keyboard"] == [[{"text": "Yes"}]]
    assert events[3]["message"]["text"] == "Picked"
    assert events[4]["text"] == "Thanks" and events[4]["user_id"] == user["id"]
    assert events[6] == {
        "type": "delete",
        "bot": 123456,
        "chat_id": user["id"],
        "message_id": sent["message_id"],
    }


async def test_strings_for_the_page(server: RunningEmulator) -> None:
    async with aiohttp.ClientSession(server.url) as http:
        async with http.get("/control/strings", params={"locale": "en"}) as r:
            english = await r.json()
        async with http.get("/control/strings", params={"locale": "zh-CN"}) as r:
            chinese = await r.json()

    assert english["locale"] == "en" and english["strings"]["demo.send"] == "Send"
    assert chinese["locale"] == "zh_Hans" and chinese["strings"]["demo.send"] == "发送"


def test_every_page_string_is_in_both_catalogs() -> None:
    source = (STATIC / "index.html").read_text() + scripts()
    used = set(re.findall(r"demo\.[a-z0-9_]+", source))
    used |= {
        f"demo.{kind}"
        for kind in (
            "photo",
            "video",
            "voice",
            "audio",
            "document",
            "sticker",
            "location",
            "venue",
            "contact",
            "poll",
        )
    }
    catalog = load_catalog("demo")
    for locale in ("en", "zh_Hans"):
        table = catalog.table(locale)
        assert sorted(used - set(table)) == [], locale
        assert all(table[key].strip() for key in used), locale


async def test_the_chat_page_is_served(server: RunningEmulator) -> None:
    async with aiohttp.ClientSession(server.url) as http:
        async with http.get("/") as r:
            page = await r.text()
        for script in SCRIPTS:  # modules need a JavaScript type to load
            async with http.get(f"/static/{script.name}") as r:
                assert r.status == 200 and "javascript" in r.content_type
        async with http.get("/static/style.css") as r:
            assert r.status == 200

    for testid in (
        "pane",
        "composer-input",
        "send-button",
        "user-select",
        "reply-keyboard",
        "language-switch",
    ):
        assert f'data-testid="{testid}"' in page
    assert '"data-testid": "message"' in scripts()
    assert '"data-testid": "inline-button"' in scripts()


async def test_what_the_page_opens_with(emu: Emulator, server: RunningEmulator) -> None:
    async with aiohttp.ClientSession(server.url) as http:
        async with http.get("/control/page") as r:
            fresh = await r.json()
        assert (fresh["time_zone"], fresh["panes"]) == (None, {})
        assert fresh["wechat"] is None
        body = {"time_zone": "Asia/Shanghai", "panes": {"en": [1, 2]}, "wechat": {"port": 8090}}
        async with http.post("/control/page", json=body) as r:
            assert (await r.json()) == {**body, "run": fresh["run"]}
        for bad in (
            {"time_zone": "Mars/Olympus"},
            {"panes": {"en": "1,2"}},
            {"wechat": {"port": "8090"}},
        ):
            async with http.post("/control/page", json=bad) as r:
                assert r.status == 400
        async with http.get("/control/bots") as r:
            [bot] = await r.json()
    assert emu.config.page.to_dict() == {**body, "run": fresh["run"]}, "bad input changes nothing"
    assert bot["token"] == TOKEN
