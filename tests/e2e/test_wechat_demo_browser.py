"""The WeChat side of ``cpbot demo`` in headless Chromium: the demo page's WeChat pane (the WeChat
emulator's phone-like chat page) beside the Telegram cadre.

A WeChat resident scans the contact point's poster, agrees to the privacy notice, uses the
account's menu, files a case with a photo sent from the page; the Telegram cadre, in the
Telegram pane, answers with a native reply; the answer appears in the WeChat pane. The real
bot process behind both emulators.
"""

from __future__ import annotations

import asyncio
import base64
import signal
from pathlib import Path
from typing import Any

from locales import load_catalog
from tests.browser import chromium
from tests.e2e.test_demo_browser import CADRE_PANE, say, sees, started_demo

# The smallest JPEG WeChat's emulator takes as a photo.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////"
    "////////////////////////////////2wBDAf//////////////////////////////////////////////////"
    "////////////////////////////////////wAARCAABAAEDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAA"
    "AAP/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFAEBAAAAAAAAAAAAAAAAAAAAAP/EABQRAQAAAAAAAAAAAAAAAAAA"
    "AAD/2gAMAwEAAhEDEQA/AKAA/9k="
)
BOT = load_catalog("bot")
POINT = "新华街道联系点"  # the poster the Chinese page offers first: XH01, 李伟's point


def zh(key: str) -> str:
    return BOT.text("zh_Hans", key)


async def account_says(phone: Any, check: Any, after: int = 0, timeout: float = 30) -> str:
    """The text of the account's first bubble past the first ``after`` for which ``check``
    holds, once there is one."""
    bubbles = phone.locator("[data-testid=wx-message][data-from=account]")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen: list[str] = []
    while loop.time() < deadline:
        seen = [str(text) for text in await bubbles.all_inner_texts()][after:]
        for text in seen:
            if check(text):
                return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"the WeChat pane waited in vain; the account's last: {seen[-2:]!r}")


async def account_count(phone: Any) -> int:
    return int(await phone.locator("[data-testid=wx-message][data-from=account]").count())


async def write(phone: Any, text: str) -> None:
    if await phone.locator("[data-testid=wx-input-bar]").is_hidden():
        await phone.locator("[data-testid=wx-keyboard-toggle]").click()
    await phone.locator("[data-testid=wx-input]").fill(text)
    await phone.locator("[data-testid=wx-send]").click()


async def test_wechat_resident_beside_the_telegram_cadre(tmp_path: Path) -> None:
    process, url, printed = await started_demo(tmp_path / "demo")
    try:
        # The WeChat emulator's page is printed too, after the Telegram page's and the Bot API.
        assert process.stdout is not None
        wechat_line = await asyncio.to_thread(process.stdout.readline)
        assert "WeChat" in wechat_line and "http://" in wechat_line
        # Its credentials are the demo's own and none is printed.
        assert "secret" not in "".join(printed).lower() + wechat_line.lower()
        async with chromium() as browser:
            page = await browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(url)
            panes = page.locator("[data-testid=pane]")
            await panes.nth(CADRE_PANE).wait_for()
            cadre = panes.nth(CADRE_PANE)
            # The Telegram pair stays as it was; the WeChat pane sits beside them.
            await page.locator("[data-testid=wechat-pane]").wait_for()
            assert await page.locator("[data-testid=wechat-pane] .who").inner_text() == "微信居民"
            phone = page.frame_locator("[data-testid=wechat-frame]")

            # A phone's WeChat: the account's name at the top, its menu at the bottom, the
            # page's own labels in the browser's language.
            name = phone.locator("[data-testid=wx-account-name]")
            await name.wait_for()
            assert await name.inner_text() == "联系点 Contact Point"
            tabs = phone.locator("[data-testid=wx-menu-tab]")
            await tabs.first.wait_for()
            assert await tabs.all_inner_texts() == [
                zh("wx.menu_new_case"),
                zh("wx.menu_my_cases"),
                zh("wx.menu_more"),
            ]
            assert await phone.locator("[data-testid=wx-scan]").inner_text() == "扫描海报"
            # WeChat opens on the menu; the keyboard is a tap away.
            assert await phone.locator("[data-testid=wx-input-bar]").is_hidden()
            assert await phone.locator("[data-testid=wx-not-following]").is_visible()
            selected = phone.locator("[data-testid=wx-poster-select] option:checked")
            assert await selected.inner_text() == POINT

            # She scans the point's poster: the account answers with the privacy notice.
            await phone.locator("[data-testid=wx-scan]").click()
            await phone.locator("[data-testid=wx-system]", has_text=POINT).wait_for()
            notice = await account_says(phone, lambda t: "1." in t and "2." in t)
            assert zh("reg.accept") in notice
            before = await account_count(phone)
            await write(phone, "1")
            await account_says(phone, lambda t: POINT in t, before)
            assert await phone.locator("[data-testid=wx-not-following]").is_hidden()

            # The menu: "More" opens its sub-items; "Contact point" is a click the bot answers.
            before = await account_count(phone)
            await phone.locator("[data-testid=wx-menu-toggle]").click()
            await tabs.nth(2).click()
            items = phone.locator("[data-testid=wx-menu-item]")
            assert await items.all_inner_texts() == [
                zh("wx.menu_my_point"),
                zh("wx.menu_notices"),
                zh("wx.menu_report"),
                zh("wx.menu_consultations"),
            ]
            await items.nth(0).click()
            await account_says(phone, lambda t: POINT in t, before)

            # A photo from the page, then the kind and the area by number, then words.
            before = await account_count(phone)
            await phone.locator("[data-testid=wx-keyboard-toggle]").click()
            await phone.locator("[data-testid=wx-plus]").click()
            await phone.locator("[data-testid=wx-photo-input]").set_input_files(
                {"name": "pipe.jpg", "mimeType": "image/jpeg", "buffer": JPEG}
            )
            own_photo = phone.locator("[data-testid=wx-message][data-from=me] img").last
            await own_photo.wait_for()
            await account_says(phone, lambda t: zh("kind.complaint") in t, before)
            before = await account_count(phone)
            await write(phone, "1")  # complaint
            await account_says(phone, lambda t: "1." in t, before)  # the areas, numbered
            before = await account_count(phone)
            await write(phone, "1")  # the first area
            await account_says(phone, lambda t: "李伟" in t, before)  # the case's record
            await write(phone, "楼道里的水管漏水了")
            own = phone.locator("[data-testid=wx-message][data-from=me]", has_text="水管漏水")
            await own.wait_for()
            await page.screenshot(path=str(tmp_path / "wechat-demo.png"))

            # The Telegram cadre gets the case and answers with a native reply.
            # (The photo itself crosses as a file since media cross; the reply goes to the
            # relayed words, which belong to the same case.)
            card = await sees(cadre, "楼道里的水管漏水了")
            await card.locator("[data-testid=reply-button]").click()
            await say(cadre, "维修师傅下午三点到")
            await account_says(phone, lambda t: "维修师傅下午三点到" in t)
            await page.screenshot(path=str(tmp_path / "wechat-demo-reply.png"))
            assert errors == []
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(30) == 0, "the demo stops cleanly on Ctrl-C"
        finally:
            if process.poll() is None:
                process.kill()
