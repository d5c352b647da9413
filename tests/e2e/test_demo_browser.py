"""The demo as a newcomer meets it: ``cpbot demo``, then its page in headless Chromium.

A new resident registers through the page, files a case, and sees the cadre's reply arrive
in the pane beside it — the real bot process behind the real emulator.
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


async def started_demo(folder: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "demo", "--dir", str(folder), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        line = await asyncio.to_thread(process.stdout.readline)
        match = re.search(r"(http://\S+)", line)
        if match:
            return process, match.group(1)
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


async def test_a_new_resident_files_a_case_and_hears_back(tmp_path: Path) -> None:
    process, url = await started_demo(tmp_path / "demo")
    try:
        async with chromium() as browser:
            page = await browser.new_page(locale="en-US", viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(url)
            panes = page.locator("[data-testid=pane]")
            await panes.nth(CADRE_PANE).wait_for()
            resident, cadre = panes.nth(RESIDENT_PANE), panes.nth(CADRE_PANE)

            # A new person, in English, opens the poster's link.
            await resident.locator("[data-testid=user-select]").select_option("new")
            await resident.locator("[data-testid=new-user-first-name]").fill("Lucy")
            await resident.locator("[data-testid=new-user-language]").select_option("en")
            await resident.locator("[data-testid=new-user-create]").click()
            await resident.locator("[data-testid=attach-button]").click()
            await resident.locator("[data-testid=attach-start]").click()
            await resident.locator("[data-testid=start-payload]").fill("cp_XH01")
            await resident.locator("[data-testid=send-start]").click()
            await press(resident, "I agree")
            await tap(resident, "Skip")
            await sees(resident, "You are all set")

            await tap(resident, "New case")
            await press(resident, "Complaint")
            await press(resident, "Water supply")
            await say(resident, "The tap in building 3 has been dry since morning")
            await press(resident, "Done")
            await press(resident, "Send")
            confirmation = await sees(resident, "was sent to")
            number = re.search(r"\d{4}-\d{4}", await confirmation.inner_text())
            assert number is not None

            # The cadre (李伟, in Chinese) gets the card and answers it with a swipe-reply.
            card = await sees(cadre, "The tap in building 3")
            assert number.group(0) in await card.inner_text()
            await card.locator("[data-testid=reply-button]").click()
            await say(cadre, "水务站已派人检修，预计中午恢复供水")
            answer = await sees(resident, "水务站已派人检修")
            assert number.group(0) in await answer.inner_text()
            assert errors == []
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(30) == 0, "the demo stops cleanly on Ctrl-C"
        finally:
            if process.poll() is None:
                process.kill()
