"""The chat page in headless Chromium: two people, live updates, buttons, language switch.

Runs when CPBOT_TEST_CHROMIUM names a Chromium executable (see tests/browser.py).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from emuhelpers import eventually, result

from emulator import Emulator
from emulator.runner import RunningEmulator
from tests.browser import opened_page


@pytest.fixture
async def page(server: RunningEmulator) -> AsyncIterator[Any]:
    async with opened_page(server.url + "/") as page:
        yield page


def _presses(emu: Emulator) -> list[dict[str, Any]]:
    return [u.payload for u in emu.world.bot().updates.pending() if u.kind == "callback_query"]


async def test_two_people_chat_with_the_bot(emu: Emulator, page: Any) -> None:
    resident = emu.create_user("Wang", language_code="zh-hans")
    cadre = emu.create_user("Li", language_code="en")
    panes = page.locator("[data-testid=pane]")
    first, second = panes.nth(0), panes.nth(1)
    await first.locator("[data-testid=user-select]").select_option(str(resident["id"]))
    await second.locator("[data-testid=user-select]").select_option(str(cadre["id"]))

    await first.locator("[data-testid=composer-input]").fill("/start cp_LANE3")
    await first.locator("[data-testid=send-button]").click()
    await first.locator("[data-testid=message]").first.wait_for()
    markup = {"inline_keyboard": [[{"text": "Accept", "callback_data": "case:1:accept"}]]}
    await result(
        emu,
        "sendMessage",
        chat_id=resident["id"],
        text="<b>Case 1</b> filed",
        parse_mode="HTML",
        reply_markup=json.dumps(markup),
    )
    await first.locator("[data-testid=inline-button]").click()
    await eventually(lambda: bool(_presses(emu)))
    [press] = _presses(emu)
    await result(emu, "answerCallbackQuery", callback_query_id=press["id"], text="Done")
    toast = page.locator("[data-testid=toast]")
    await toast.wait_for()

    assert press["data"] == "case:1:accept" and press["from"]["id"] == resident["id"]
    assert await first.locator("[data-testid=message-text] b").inner_text() == "Case 1"
    assert await toast.inner_text() == "Done"
    assert await second.locator("[data-testid=message]").count() == 0, "each pane is one chat"
    assert [m.get("text") for m in emu.history(resident["id"])] == [
        "/start cp_LANE3",
        "Case 1 filed",
    ]
    await page.locator("[data-testid=language-switch]").select_option("zh_Hans")
    send = first.locator("[data-testid=send-button]")
    await page.wait_for_function(
        "() => document.querySelector('[data-testid=send-button]').textContent === '发送'"
    )
    assert await send.inner_text() == "发送"
    assert emu.violations == []
