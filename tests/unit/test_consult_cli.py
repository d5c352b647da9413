"""``cpbot consult``: send from a file, results, export, close; a bad file says where."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import pass_cli
from bot.consult_cli import consult_group
from models.db import Database
from services.app import Services
from services.config import ServiceConfig
from services.context import Context
from tests.factories import load_points, resident

CLOSES = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%d 18:00")
FILE = f"""
title = {{ zh_Hans = "路灯", en = "Lamps" }}
closes = "{CLOSES}"
anonymous = true
points = ["XH01"]

[[questions]]
kind = "scale"
text = {{ zh_Hans = "有多紧迫？", en = "How urgent?" }}
"""


@pytest.fixture
def cli_env(db_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CPBOT_DATABASE_URL", f"sqlite+aiosqlite:///{db_path}")
    monkeypatch.setenv("CPBOT_BOT_USERNAME", "cp_test_bot")
    monkeypatch.setenv("CPBOT_DEFAULT_LOCALE", "en")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "consult.toml").write_text(FILE, encoding="utf-8")
    (tmp_path / "bad.toml").write_text(FILE.replace('"scale"', '"poll"'), encoding="utf-8")
    (tmp_path / "outcome.md").write_text("Lamps first.", encoding="utf-8")

    async def seed() -> None:
        db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
        services = Services(Context.create(db, ServiceConfig(bot_username="cp_test_bot")))
        await load_points(services)
        await resident(services, "Zhang", "XH01")
        await db.dispose()

    asyncio.run(seed())


def cpbot(*args: str) -> click.testing.Result:
    @click.group()
    def root() -> None:
        pass

    root.add_command(consult_group(pass_cli))
    return CliRunner().invoke(root, ["consult", *args], catch_exceptions=False)


def test_help_shows_the_file_format() -> None:
    assert 'kind = "single"' in cpbot("send", "--help").output


def test_send_results_export_close(cli_env: None, tmp_path: Path) -> None:
    bad = cpbot("send", "bad.toml", "--yes")
    assert bad.exit_code != 0 and "unknown kind “poll”" in bad.output
    sent = cpbot("send", "consult.toml", "--yes")
    assert sent.exit_code == 0, sent.output
    assert "residents reached: 1" in sent.output and "Anonymous" in sent.output
    assert "Consultation #1 is stored" in sent.output
    results = cpbot("results", "1")
    assert results.exit_code == 0 and "Answered: 0" in results.output
    exported = cpbot("export", "1", "out.xlsx")
    assert exported.exit_code == 0 and (tmp_path / "out.xlsx").stat().st_size > 0
    closed = cpbot("close", "1", "outcome.md", "--adopted", "0")
    assert closed.exit_code == 0, closed.output
    again = cpbot("close", "1", "outcome.md", "--adopted", "0")
    assert again.exit_code != 0 and "already been sent" in again.output
