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
