"""The demo as a newcomer meets it: ``cpbot demo``, then its page in headless Chromium.

A new resident registers through the page, files a case, and sees the cadre's reply arrive
in the pane beside it — the real bot process behind the real emulator. The page opens on the
pair in the browser's language, and no button of a finished step is left to press.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.browser import chromium
from tests.e2e.conftest import free_port

RESIDENT_PANE, CADRE_PANE = 0, 1


async def started_demo(folder: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    """The demo's process, its page's address, and what it printed until then (and after)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "demo", "--dir", str(folder), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    printed: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        line = await asyncio.to_thread(process.stdout.readline)
        printed.append(line)
        match = re.search(r"(http://\S+)", line)
        if match:
            printed.append(await asyncio.to_thread(process.stdout.readline))
            return process, match.group(1), printed
        if process.poll() is not None:
            break
    process.kill()
    raise AssertionError("cpbot demo printed no URL")


async def press(pane: Any, label: str) -> None:
    button = pane.locator("[data-testid=inline-button]", has_text=label).last
    await button.wait_for(timeout=20_000)
    await button.click()


async def tap(pane: Any, label: str) -> None:
    button = pane.locator("[data-testid=reply-keyboard-button]", has_text=label).last
    await button.wait_for(timeout=20_000)
    await button.click()


async def say(pane: Any, text: str) -> None:
    await pane.locator("[data-testid=composer-input]").fill(text)
    await pane.locator("[data-testid=send-button]").click()


async def sees(pane: Any, text: str) -> Any:
    message = pane.locator("[data-testid=message]", has_text=text).last
    await message.wait_for(timeout=30_000)
    return message


def inline_buttons(message: Any) -> Any:
    return message.locator("[data-testid=inline-button]")


async def test_a_new_resident_files_a_case_and_hears_back(tmp_path: Path) -> None:
    process, url, printed = await started_demo(tmp_path / "demo")
    try:
        # It said what it was doing before the address, and how to reach the bot's API.
        assert len(printed) >= 3 and "Registering" in "".join(printed[:-2])
        assert "/bot700001:DEMO-contact-point-bot/" in printed[-1]
        async with chromium() as browser:
            page = await browser.new_page(locale="en-US", viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(url)
            panes = page.locator("[data-testid=pane]")
            await panes.nth(CADRE_PANE).wait_for()
            resident, cadre = panes.nth(RESIDENT_PANE), panes.nth(CADRE_PANE)
            # An English browser opens on the English pair.
            await sees(cadre, "Community liaison")
            names = page.locator("[data-testid=pane-tab]")
            assert [await names.nth(i).inner_text() for i in range(2)] == [
                "Emma Wilson",
                "Daniel Brooks",
            ]
            # The cadre typed a title: the Skip under the question went with the step.
            title_question = await sees(cadre, "What is your title")
            assert await inline_buttons(title_question).count() == 0

            # A new person, in English, opens the poster's link.
            await resident.locator("[data-testid=user-select]").select_option("new")
            await resident.locator("[data-testid=new-user-first-name]").fill("Lucy")
            await resident.locator("[data-testid=new-user-language]").select_option("en")
            await resident.locator("[data-testid=new-user-create]").click()
            await resident.locator("[data-testid=attach-button]").click()
            await resident.locator("[data-testid=attach-start]").click()
            await resident.locator("[data-testid=start-payload]").fill("cp_JH02")
            await resident.locator("[data-testid=send-start]").click()
            await press(resident, "I agree")
            await tap(resident, "Skip")
            await sees(resident, "You are all set")

            await tap(resident, "New case")
            await press(resident, "Complaint")
            await press(resident, "Water supply")
            describe = await sees(resident, "Describe it")
            assert await inline_buttons(describe).count() == 2  # Back, Cancel
            await say(resident, "The tap in building 3 has been dry since morning")
            await press(resident, "Done")
            await press(resident, "Send")
            confirmation = await sees(resident, "was sent to")
            number = re.search(r"\d{4}-\d{4}", await confirmation.inner_text())
            assert number is not None
            assert await inline_buttons(describe).count() == 0, "Back/Cancel of a sent case"

            # The cadre gets the card and answers it with a swipe-reply.
            card = await sees(cadre, "The tap in building 3")
            assert number.group(0) in await card.inner_text()
            await card.locator("[data-testid=reply-button]").click()
            await say(cadre, "The water station sent a plumber; water is back by noon")
            answer = await sees(resident, "sent a plumber")
            assert number.group(0) in await answer.inner_text()
            assert errors == []

            # A Chinese browser opens on the Chinese pair.
            chinese = await browser.new_page(
                locale="zh-CN", viewport={"width": 1280, "height": 900}
            )
            await chinese.goto(url)
            await chinese.locator("[data-testid=pane]").nth(CADRE_PANE).wait_for()
            tabs = chinese.locator("[data-testid=pane-tab]")
            second_tab = "document.querySelectorAll('[data-testid=pane-tab]')[1].textContent"
            await chinese.wait_for_function(f"() => {second_tab} === '李伟'")
            assert await tabs.nth(0).inner_text() == "张秀英"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(30) == 0, "the demo stops cleanly on Ctrl-C"
        finally:
            if process.poll() is None:
                process.kill()
