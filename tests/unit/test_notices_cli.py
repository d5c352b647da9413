"""``cpbot notices``: send from a Markdown file, list, cancel — as an office runs it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import pass_cli
from bot.notices_cli import notices_group
from models.db import Database
from models.notices import Notice
from services.app import Services
from services.config import ServiceConfig
from services.context import Context
from tests.factories import load_points, resident, staff

FILE = """# 关于停水的通知
周二 9:00–12:00 **新华路**停水。
<!-- lang: en -->
# Water off
No water on **Xinhua Road** on Tuesday, 9:00–12:00.
"""


@pytest.fixture
def cli_env(db_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, int]:
    monkeypatch.setenv("CPBOT_DATABASE_URL", f"sqlite+aiosqlite:///{db_path}")
    monkeypatch.setenv("CPBOT_BOT_USERNAME", "cp_test_bot")
    monkeypatch.setenv("CPBOT_DEFAULT_LOCALE", "zh_Hans")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notice.md").write_text(FILE, encoding="utf-8")

    async def seed() -> dict[str, int]:
        db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
        services = Services(Context.create(db, ServiceConfig(bot_username="cp_test_bot")))
        await load_points(services)
        await resident(services, "Zhang", "XH01")
        await resident(services, "Zhao", "JH02", locale="zh_Hans")
        cadre = await staff(services, "Li Wei", "cadre", "XH01")
        await db.dispose()
        return {"cadre": cadre.tg_id}

    return asyncio.run(seed())


def cpbot(*args: str, answer: str | None = None) -> click.testing.Result:
    @click.group()
    def root() -> None:
        pass

    root.add_command(notices_group(pass_cli))
    return CliRunner().invoke(root, ["notices", *args], input=answer, catch_exceptions=False)


def stored(db_path: Path) -> list[Notice]:
    async def load() -> list[Notice]:
        db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
        async with db.read() as session:
            rows = list((await session.execute(select(Notice).order_by(Notice.id))).scalars())
        await db.dispose()
        return rows

    return asyncio.run(load())


def test_send_a_file_in_two_languages_to_one_point(cli_env: dict, db_path: Path) -> None:
    result = cpbot("send", "notice.md", "--audience", "point:XH01", "--yes")
    assert result.exit_code == 0, result.output
    assert "To 1 residents at 1 contact points" in result.output
    assert "Notice #1 is on its way" in result.output
    (notice,) = stored(db_path)
    assert notice.texts == {
        "zh_Hans": "<b>关于停水的通知</b>\n周二 9:00–12:00 <b>新华路</b>停水。",
        "en": "<b>Water off</b>\nNo water on <b>Xinhua Road</b> on Tuesday, 9:00–12:00.",
    }
    assert notice.fallback_locale == "zh_Hans" and notice.status == "sending"
    assert notice.author_user_id is None  # the office
    listed = cpbot("list")
    assert "#1\tsending" in listed.output and "关于停水的通知" in listed.output
    cancelled = cpbot("cancel", "1")
    assert "Notice #1 stopped" in cancelled.output
    assert stored(db_path)[0].status == "cancelled"


def test_scheduled_and_confirmed_by_hand(cli_env: dict, db_path: Path) -> None:
    declined = cpbot("send", "notice.md", "--at", "2099-01-01 09:00", answer="n\n")
    assert declined.exit_code == 1 and stored(db_path) == []
    far = cpbot("send", "notice.md", "--at", "2099-01-01 09:00", "--yes")
    assert far.exit_code == 1 and "at most 90 days ahead" in far.output
    soon = cpbot("send", "notice.md", "--at", "23:59", answer="y\n")
    assert soon.exit_code == 0 and "Notice #1 is scheduled" in soon.output
    assert "To 2 residents at 3 contact points" in soon.output
    assert stored(db_path)[0].status == "scheduled"


def test_bad_audience_and_an_author_without_the_right(cli_env: dict, db_path: Path) -> None:
    bad = cpbot("send", "notice.md", "--audience", "village:1")
    assert bad.exit_code == 2 and "point:CODE" in bad.output
    refused = cpbot(
        "send", "notice.md", "--audience", "point:JH02", "--author", str(cli_env["cadre"])
    )
    assert refused.exit_code == 1 and "“JH02” is not one you may send notices to" in refused.output
    nobody = cpbot("send", "notice.md", "--author", "5")
    assert nobody.exit_code == 1 and "Telegram id 5" in nobody.output
    signed = cpbot("send", "notice.md", "--author", str(cli_env["cadre"]), "--yes")
    assert signed.exit_code == 0, signed.output
    assert stored(db_path)[0].author_name == "Li Wei"
    assert cpbot("list", "--limit", "1").output.count("\n") == 1
