"""Headless Chromium for the browser tests: Debian's chromium, never a downloaded one.

The tests run when ``CPBOT_TEST_CHROMIUM`` names the browser executable (CI sets it to
/usr/bin/chromium); without it they are skipped.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

ENV = "CPBOT_TEST_CHROMIUM"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    executable = os.environ.get(ENV)
    if not executable:
        pytest.skip(f"{ENV} is not set")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def opened_page(
    url: str, locale: str = "en-US", timezone: str | None = None, width: int = 1200
) -> AsyncIterator[Any]:
    """A fresh browser's page at ``url``, once its first pane is there; fails on a script
    error seen while it was open."""
    async with chromium() as browser:
        page = await browser.new_page(
            locale=locale, timezone_id=timezone, viewport={"width": width, "height": 800}
        )
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(url)
        await page.wait_for_selector("[data-testid=pane]")
        yield page
        assert errors == []
