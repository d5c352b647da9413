"""The WeChat emulator's chat page over HTTP: the page and its files, its labels in both
languages, and what the follower does through it pushed to the callback as WeChat pushes it,
kept in the conversation beside what the account sent."""

from __future__ import annotations

import base64
import dataclasses

import aiohttp

from emulator.wechat import start_wechat
from emulator.wechat.page import Poster
from tests.e2e.test_wechat_demo_browser import JPEG
from tests.emulator.test_wechat_platform import ACCOUNT, Callback, _serve


async def test_the_page_plays_a_follower_against_the_callback() -> None:
    callback = Callback()
    runner, url = await _serve(callback)
    try:
        async with await start_wechat(dataclasses.replace(ACCOUNT, callback_url=url)) as wx:
            page = wx.page
            page.account_name = "联系点 Contact Point"
            page.posters.append(Poster("cp_XH01", "新华街道联系点"))
            follower = page.add_follower("王芳")
            wx.platform.new_follower()  # someone the page does not play
            wx.platform.set_menu(
                {"button": [{"type": "click", "name": "我要反映", "key": "NEW_CASE"}]}
            )
            async with aiohttp.ClientSession(wx.url) as http:
                async with http.get("/") as r:
                    assert r.status == 200 and 'data-testid="wx-menu-bar"' in await r.text()
                async with http.get("/static/wechat.js") as r:
                    assert r.status == 200
                async with http.get("/page/config") as r:
                    config = await r.json()
                assert config["account_name"] == "联系点 Contact Point"
                assert [f["name"] for f in config["followers"]] == ["王芳"]
                assert config["followers"][0]["following"] is False
                assert config["menu"]["button"][0]["key"] == "NEW_CASE"
                assert config["posters"][0]["scene"] == "cp_XH01"
                for locale, label in (("en", "Scan the poster"), ("zh_Hans", "扫描海报")):
                    async with http.get("/page/strings", params={"locale": locale}) as r:
                        assert (await r.json())["strings"]["demo.wx_scan"] == label

                async def send(body: dict[str, object]) -> dict[str, object]:
                    path = f"/page/followers/{follower.openid}/send"
                    async with http.post(path, json=body) as r:
                        assert r.status == 200, await r.text()
                        return dict(await r.json())

                assert (await send({"type": "scan", "scene": "cp_XH01"}))["delivered"]
                await send({"type": "click", "key": "NEW_CASE"})
                await send({"type": "text", "text": "路灯坏了"})
                await send({"type": "choice", "id": "101", "content": "满意"})
                image = base64.b64encode(JPEG).decode()
                await send({"type": "image", "data": image, "mime_type": "image/jpeg"})
                await send({"type": "location", "lat": 31.35, "lon": 118.37, "label": "路口"})
                async with http.post(
                    f"/page/followers/{follower.openid}/send", json={"type": "dance"}
                ) as r:
                    assert r.status == 400
                # The account answers inside the window the follower's messages opened.
                wx.platform.send_custom(
                    {"touser": follower.openid, "msgtype": "text", "text": {"content": "收到"}}
                )
                async with http.get(f"/page/followers/{follower.openid}/messages") as r:
                    conversation = (await r.json())["messages"]
                media_id = next(e["media_id"] for e in conversation if e.get("type") == "image")
                async with http.get(f"/page/media/{media_id}") as r:
                    assert await r.read() == JPEG
                async with http.get("/page/config") as r:
                    assert (await r.json())["followers"][0]["following"] is True
    finally:
        await runner.cleanup()

    pushed = [(m["MsgType"], m.get("Event"), m.get("EventKey")) for m in callback.received]
    assert pushed == [
        ("event", "subscribe", "qrscene_cp_XH01"),
        ("event", "CLICK", "NEW_CASE"),
        ("text", None, None),
        ("text", None, None),
        ("image", None, None),
        ("location", None, None),
    ]
    choice = callback.received[3]
    assert (choice["Content"], choice["bizmsgmenuid"]) == ("满意", "101")
    assert callback.received[2]["Content"] == "路灯坏了"
    # The conversation: the scan as a line of its own, the follower's own bubbles, the answer.
    assert [e["from"] for e in conversation] == ["system", "me", "me", "me", "me", "account"]
    assert conversation[-1]["message"]["text"]["content"] == "收到"
    assert [e["id"] for e in conversation] == sorted(e["id"] for e in conversation)
