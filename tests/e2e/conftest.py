"""End to end: the real ``cpbot`` process against the emulator over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.config import BotConfig, EmulatorConfig, WebhookConfig
from emulator.core import Emulator
from emulator.runner import RunningEmulator, start_emulator

TOKEN = "424242:E2E-TOKEN"
USERNAME = "cp_e2e_bot"
CPBOT = [sys.executable, "-m", "bot.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BotProcess:
    """``cpbot`` in a child process, with its own environment and log file."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = {**os.environ, **env}
        self.log = workdir / "bot.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CPBOT, *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def start(self, command: str = "run") -> None:
        self.proc = subprocess.Popen(
            [*CPBOT, command],
            cwd=self.workdir,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Phone:
    """A simulated person using Telegram, with waits instead of sleeps."""

    def __init__(self, emulator: Emulator, user: dict[str, Any]) -> None:
        self.emulator = emulator
        self.user = user
        self.id = int(user["id"])

    def bot_messages(self) -> list[dict[str, Any]]:
        return [
            m
            for m in self.emulator.history(self.id)
            if m.get("from", {}).get("is_bot") and not m.get("deleted")
        ]

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            for msg in reversed(self.bot_messages()):
                if predicate(msg):
                    return msg
            await asyncio.sleep(0.05)
        texts = [m.get("text") or m.get("caption") for m in self.bot_messages()[-5:]]
        raise AssertionError(f"{self.user['first_name']} waited in vain; last: {texts}")

    async def wait_text(self, fragment: str, timeout: float = 30) -> dict[str, Any]:
        return await self.wait_for(
            lambda m: fragment in (m.get("text") or m.get("caption") or ""), timeout
        )

    def send(self, text: str, **kw: Any) -> dict[str, Any]:
        return self.emulator.user_send(self.id, text=text, **kw)

    async def press(self, label: str, timeout: float = 30) -> None:
        def has(m: dict[str, Any]) -> bool:
            return any(label in b["text"] for row in _rows(m) for b in row)

        msg = await self.wait_for(has, timeout)
        data = next(b["callback_data"] for row in _rows(msg) for b in row if label in b["text"])
        self.emulator.user_press(self.id, None, msg["message_id"], data)


def _rows(msg: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return list((msg.get("reply_markup") or {}).get("inline_keyboard") or [])


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    config = EmulatorConfig(
        bots=(BotConfig(TOKEN, USERNAME),),
        webhook=WebhookConfig(retry_initial=0.1, retry_cap=1.0),
        check_results=True,
    )
    running = await start_emulator(config)
    yield running
    await running.emulator.aclose()
    await running.stop()


@pytest.fixture
def make_bot(tmp_path: Path, emulator: RunningEmulator) -> Callable[..., BotProcess]:
    started: list[BotProcess] = []

    def make(**env: str) -> BotProcess:
        base = {
            "CPBOT_TOKEN": TOKEN,
            "CPBOT_API_BASE": emulator.url,
            "CPBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.sqlite3'}",
            "CPBOT_BOT_USERNAME": USERNAME,
            "CPBOT_DEFAULT_LOCALE": "en",
            "CPBOT_OUTBOX_POLL_SECONDS": "1",
            "CPBOT_LOG_LEVEL": "INFO",
        }
        process = BotProcess(tmp_path, {**base, **env})
        started.append(process)
        return process

    yield make  # type: ignore[misc]
    for process in started:
        process.stop()
