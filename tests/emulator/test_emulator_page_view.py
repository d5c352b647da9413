"""The chat page shows what a person would see: the newest message in view, times on the
contact point's clock, a button's answer over its own pane, the pair in the browser's language.

Runs when CPBOT_TEST_CHROMIUM names a Chromium executable (see tests/browser.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from emuhelpers import TOKEN, eventually, result

from emulator import Emulator
from emulator.runner import RunningEmulator
from tests.browser import opened_page

# Is the newest message of the pane wholly inside the visible part of its chat?
NEWEST_IN_VIEW = """pane => {
  const box = pane.querySelector('[data-testid=messages]');
  const all = box.querySelectorAll('[data-testid=message]');
  const last = all[all.length - 1].getBoundingClientRect();
  return last.bottom <= box.getBoundingClientRect().bottom + 1;
}"""


def opened(server: RunningEmulator, locale: str = "en-US", timezone: str | None = None) -> Any:
    return opened_page(server.url + "/", locale, timezone)


def person(emu: Emulator, name: str, language: str = "en") -> dict[str, Any]:
    return emu.create_user(name, language_code=language, started=True)


async def show(page: Any, pane: int, user: dict[str, Any]) -> Any:
    found = page.locator("[data-testid=pane]").nth(pane)
    await found.locator("[data-testid=user-select]").select_option(str(user["id"]))
    return found


async def test_the_newest_message_stays_in_view(emu: Emulator, server: RunningEmulator) -> None:
    emu.set_limits(enabled=False)
    wang = person(emu, "Wang")
    for number in range(30):
        await result(emu, "sendMessage", chat_id=wang["id"], text=f"Message {number}")
    async with opened(server) as page:
        pane = await show(page, 0, wang)
        last = pane.locator("[data-testid=message]", has_text="Message 29")
        await last.wait_for()
        assert await pane.evaluate(NEWEST_IN_VIEW)

        # The menu keyboard appears with a message: it takes room from the chat.
        menu = {"keyboard": [[{"text": f"Menu {r}{c}"} for c in range(2)] for r in range(4)]}
        sent = await result(
            emu, "sendMessage", chat_id=wang["id"], text="Menu", reply_markup=json.dumps(menu)
        )
        await pane.locator("[data-testid=reply-keyboard-button]").first.wait_for()
        await page.wait_for_timeout(200)
        assert await pane.evaluate(NEWEST_IN_VIEW), "the keyboard hid the newest message"

        # The newest message is edited into a much longer one.
        long_text = "\n".join(f"Line {n} of a longer answer" for n in range(12))
        await result(
            emu, "editMessageText", chat_id=wang["id"], message_id=sent["message_id"],
            text=long_text,
        )  # fmt: skip
        await pane.locator("[data-testid=message]", has_text="Line 11").wait_for()
        await page.wait_for_timeout(200)
        assert await pane.evaluate(NEWEST_IN_VIEW), "the edit pushed the end out of view"

        # Scrolled up to read, an edit leaves the view where the reader put it.
        messages = pane.locator("[data-testid=messages]")
        await messages.evaluate("box => { box.scrollTop = 0; }")
        await page.wait_for_timeout(100)
        await result(
            emu, "editMessageText", chat_id=wang["id"], message_id=sent["message_id"],
            text=long_text + "\nOne more line",
        )  # fmt: skip
        await pane.locator("[data-testid=message]", has_text="One more line").wait_for()
        assert await messages.evaluate("box => box.scrollTop") == 0


async def test_times_are_on_the_point_clock_and_say_so(
    emu: Emulator, server: RunningEmulator
) -> None:
    emu.config.page.update({"time_zone": "Asia/Shanghai"})
    wang = person(emu, "Wang")
    sent = await result(emu, "sendMessage", chat_id=wang["id"], text="Answer by 17:00")
    expected = datetime.fromtimestamp(sent["date"], ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    # A browser far from the point: New York is 12 or 13 hours behind Shanghai.
    async with opened(server, timezone="America/New_York") as page:
        pane = await show(page, 0, wang)
        shown = pane.locator("[data-testid=message] time").last
        await shown.wait_for()
        assert await shown.inner_text() == expected
        assert "Asia/Shanghai" in await page.locator("[data-testid=time-zone]").inner_text()


async def test_a_buttons_answer_shows_over_its_own_pane(
    emu: Emulator, server: RunningEmulator
) -> None:
    emu.set_limits(enabled=False)
    wang, li = person(emu, "Wang"), person(emu, "Li")
    markup = {"inline_keyboard": [[{"text": "Accept", "callback_data": "accept"}]]}
    await result(emu, "sendMessage", chat_id=li["id"], text="Case", reply_markup=json.dumps(markup))
    async with opened(server) as page:
        await show(page, 0, wang)
        second = await show(page, 1, li)
        await second.locator("[data-testid=inline-button]").click()
        bot = emu.world.bot()
        await eventually(lambda: any(u.kind == "callback_query" for u in bot.updates.pending()))
        press = next(u for u in bot.updates.pending() if u.kind == "callback_query")
        await result(emu, "answerCallbackQuery", callback_query_id=press.payload["id"], text="Ok")
        toast = second.locator("[data-testid=toast]")
        await toast.wait_for()
        box, pane = await toast.bounding_box(), await second.bounding_box()
        assert pane["x"] <= box["x"] and box["x"] + box["width"] <= pane["x"] + pane["width"]

        markup["inline_keyboard"][0][0]["callback_data"] = "alert"
        await result(
            emu, "sendMessage", chat_id=li["id"], text="Two", reply_markup=json.dumps(markup)
        )
        # The new message's button, once the page shows it (.last alone could still be the
        # first message's button on a slow machine).
        newest = second.locator("[data-testid=inline-button]").nth(1)
        await newest.wait_for()
        await newest.click()
        await eventually(
            lambda: any(u.payload.get("data") == "alert" for u in bot.updates.pending())
        )
        press = next(u for u in bot.updates.pending() if u.payload.get("data") == "alert")
        await result(
            emu, "answerCallbackQuery", callback_query_id=press.payload["id"], text="Sure?",
            show_alert=True,
        )  # fmt: skip
        alert = second.locator("[data-testid=alert]")
        await alert.wait_for()
        assert (
            await page.locator("[data-testid=pane]")
            .nth(0)
            .locator("[data-testid=alert]")
            .is_hidden()
        )
        await second.locator("[data-testid=alert-ok]").click()
        await alert.wait_for(state="hidden")


async def test_the_page_opens_on_the_pair_in_the_browsers_language(
    emu: Emulator, server: RunningEmulator
) -> None:
    zh = [person(emu, "张秀英", "zh-hans"), person(emu, "李伟", "zh-hans")]
    en = [person(emu, "Emma"), person(emu, "Daniel")]
    emu.config.page.update(
        {"panes": {"zh_Hans": [u["id"] for u in zh], "en": [u["id"] for u in en]}}
    )
    for locale, pair in (("en-GB", en), ("zh-CN", zh)):
        async with opened(server, locale=locale) as page:
            selects = page.locator("[data-testid=user-select]")
            await page.wait_for_function(
                "() => document.querySelectorAll('[data-testid=user-select]')[1].value !== ''"
            )
            assert [await selects.nth(i).input_value() for i in range(2)] == [
                str(u["id"]) for u in pair
            ]


async def test_developers_find_the_bots_api_on_the_page(
    emu: Emulator, server: RunningEmulator
) -> None:
    async with opened(server) as page:
        await page.locator("[data-testid=dev-info] summary").click()
        api = page.locator("[data-testid=bot-api]")
        assert await api.inner_text() == f"{server.url}/bot{TOKEN}/"
