"""``cpbot points|staff|categories|outbox``: the administrator's operations for bulk work and
scripts, against a real SQLite database, as an office runs them."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from sqlmodel import col, select

from bot.admin_cli import register
from models.db import Database
from models.tables import AuditLog, Case, Category, ContactPoint, Outbox, Staff, User
from services.administration import Administration
from services.app import Services
from services.cases import Draft
from services.config import ServiceConfig
from services.context import Context
from services.outbox import Result as SendResult
from services.parts import Part
from tests.factories import load_points, resident, staff


@pytest.fixture(autouse=True)
def _wired(monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(Services, "admin"):
        monkeypatch.setattr(
            Services, "admin", property(lambda s: Administration(s.ctx)), raising=False
        )


@pytest.fixture
def county(db_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, int]:
    """Three points, a cadre at XH01 with one open case, an administrator; English output."""
    monkeypatch.setenv("CPBOT_DATABASE_URL", f"sqlite+aiosqlite:///{db_path}")
    monkeypatch.setenv("CPBOT_BOT_USERNAME", "cp_test_bot")
    monkeypatch.setenv("CPBOT_DEFAULT_LOCALE", "zh_Hans")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.chdir(tmp_path)

    async def seed(services: Services) -> dict[str, int]:
        await load_points(services)
        li = await staff(services, "Li Wei", "cadre", "XH01")
        wang = await staff(services, "Wang Fang", "cadre", "JH02")
        boss = await staff(services, "Zhou", "admin", None)
        res = await resident(services, "Zhang")
        part = Part(chat_id=res.tg_id, message_id=1, kind="text", text="No water")
        cats = await services.cases.categories()
        await services.cases.file(res.user_id, Draft("complaint", cats[0].id, [part]))
        return {
            "li": await _staff_id(services, li.user_id),
            "wang": await _staff_id(services, wang.user_id),
            "boss_tg": boss.tg_id,
            "boss": boss.user_id,
            "resident": res.user_id,
        }

    seeded: dict[str, int] = with_services(db_path, seed)
    return seeded


def with_services(db_path: Path, work: Any) -> Any:
    async def go() -> Any:
        db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
        try:
            return await work(Services(Context.create(db, ServiceConfig(bot_username="x"))))
        finally:
            await db.dispose()

    return asyncio.run(go())


async def _staff_id(services: Services, user_id: int) -> int:
    async with services.ctx.db.read() as session:
        found = await session.execute(select(Staff.id).where(col(Staff.user_id) == user_id))
        return int(found.scalar_one())


def cpbot(*args: str, answer: str | None = None) -> Result:
    @click.group()
    def root() -> None:
        pass

    @root.group()
    def points() -> None:
        pass

    register(root, points)
    return CliRunner().invoke(root, list(args), input=answer, catch_exceptions=False)


def rows(db_path: Path, model: Any, *where: Any) -> list[Any]:
    async def load(services: Services) -> list[Any]:
        async with services.ctx.db.read() as session:
            stmt = select(model).where(*where).order_by(col(model.id))
            return list((await session.execute(stmt)).scalars())

    return list(with_services(db_path, load))


def actions(db_path: Path) -> list[tuple[str, str, int | None]]:
    return [(a.action, a.target, a.actor_user_id) for a in rows(db_path, AuditLog)]


def test_every_command_has_help() -> None:
    commands = [
        ["points", "add"],
        ["points", "edit"],
        ["points", "deactivate"],
        ["points", "activate"],
        ["staff"],
        *[["staff", c] for c in ("list", "invite", "assign", "unassign", "primary")],
        *[["staff", c] for c in ("suspend", "reinstate", "remove")],
        ["categories"],
        *[["categories", c] for c in ("list", "add", "rename", "retire", "restore", "tier")],
        ["outbox"],
        *[["outbox", c] for c in ("dead", "blocked", "retry", "dismiss")],
    ]
    for command in commands:
        result = cpbot(*command, "--help")
        assert result.exit_code == 0, command
        assert "Usage:" in result.output and "--help" in result.output


def test_the_real_cpbot_gets_the_commands() -> None:
    from bot.cli import main
    from bot.points_cli import points

    ctx = click.Context(main)
    assert {"staff", "categories", "outbox", "points"} <= set(main.list_commands(ctx))
    for name in ("staff", "categories", "outbox"):
        assert main.get_command(ctx, name) is not None
    assert {"import", "list", "qr", "add", "edit", "deactivate", "activate"} <= set(points.commands)


def test_points_add_edit_deactivate_activate(county: dict[str, int], db_path: Path) -> None:
    result = cpbot(
        "points", "add", "RS05", "Riverside", "--region", "Jinghu", "--lat", "31.2",
        "--lon", "118.1", "--as", str(county["boss_tg"]),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output == "Added contact point RS05 (Riverside).\n"
    result = cpbot("points", "add", "XH 01", "Bad")
    assert result.exit_code != 0
    assert "“XH 01” is not a valid code" in result.output
    result = cpbot("points", "edit", "rs05", "--name", "Riverside Hall", "--radius", "450")
    assert result.exit_code == 0, result.output
    result = cpbot("points", "edit", "RS05", "--radius", "1", "--name", "Nope")
    assert result.exit_code != 0 and "from 20 to 5000" in result.output
    result = cpbot("points", "edit", "RS05")
    assert result.exit_code != 0 and "Nothing to change" in result.output
    result = cpbot("points", "edit", "RS05", "--no-location", "--lat", "1")
    assert result.exit_code != 0
    (point,) = rows(db_path, ContactPoint, col(ContactPoint.code) == "RS05")
    assert (point.name, point.radius_m, point.lat, point.region) == (
        "Riverside Hall",
        450,
        31.2,
        "Jinghu",
    )
    # Deactivating asks first; the resident of XH01 is told, the open case stays.
    result = cpbot("points", "deactivate", "XH01", answer="n\n")
    assert result.exit_code != 0 and "Its 1 residents will be asked" in result.output
    assert rows(db_path, ContactPoint, col(ContactPoint.code) == "XH01")[0].active
    result = cpbot("points", "deactivate", "XH01", answer="y\n")
    assert result.exit_code == 0, result.output
    assert "Deactivated XH01: 1 residents were asked to choose another point." in result.output
    told = rows(db_path, Outbox, col(Outbox.recipient_user_id) == county["resident"])
    assert told[-1].payload["buttons"][0][0]["action"] == "point_change"
    (case,) = rows(db_path, Case)
    assert case.assignee_id == county["li"]
    result = cpbot("points", "deactivate", "XH01", "--yes")
    assert result.exit_code != 0 and "already deactivated" in result.output
    result = cpbot("points", "activate", "XH01")
    assert result.exit_code == 0 and result.output == "Reactivated XH01.\n"
    log = actions(db_path)
    assert ("point:add", f"point:{point.id}", county["boss"]) in log
    assert [a for a, _, actor in log if a.startswith("point:")] == [
        "point:add",
        "point:edit",
        "point:deactivate",
        "point:activate",
    ]
    assert all(actor is None for a, _, actor in log if a in ("point:edit", "point:activate"))


def test_acting_for_someone_who_is_not_an_administrator_is_refused(
    county: dict[str, int],
) -> None:
    result = cpbot("points", "activate", "XH01", "--as", "12345")
    assert result.exit_code != 0
    assert "No active administrator has the Telegram id 12345." in result.output


def test_staff_list_assign_primary_suspend_remove(county: dict[str, int], db_path: Path) -> None:
    result = cpbot("staff", "list")
    assert result.exit_code == 0
    li_line = next(line for line in result.output.splitlines() if "Li Wei" in line)
    assert li_line.split("\t") == [
        str(county["li"]),
        "Li Wei",
        "Cadre",
        "✅ active",
        "-",
        "*XH01",
        "open 1",
        "overdue 0",
    ]
    wang = str(county["wang"])
    assert cpbot("staff", "assign", wang, "XH01").exit_code == 0
    result = cpbot("staff", "assign", wang, "XH01")
    assert result.exit_code != 0 and "They already serve" in result.output
    result = cpbot("staff", "primary", wang, "xh01")
    assert result.exit_code == 0 and "*JH02, *XH01" in result.output
    result = cpbot("staff", "suspend", str(county["li"]))
    assert result.exit_code == 0, result.output
    assert "1 open case re-routed; 0 of them wait" in result.output
    (case,) = rows(db_path, Case)
    assert (case.assignee_id, case.first_receiver_id) == (county["wang"], county["li"])
    assert cpbot("staff", "reinstate", str(county["li"])).exit_code == 0
    result = cpbot("staff", "remove", str(county["li"]), answer="y\n")
    assert result.exit_code == 0 and "🗑 removed" in result.output
    assert "Li Wei" not in cpbot("staff", "list").output
    assert "Li Wei" in cpbot("staff", "list", "--removed").output
    assert cpbot("staff", "unassign", wang, "XH01").exit_code == 0
    result = cpbot("staff", "unassign", wang, "XH01")
    assert result.exit_code != 0 and "They do not serve" in result.output
    result = cpbot("staff", "suspend", "9999")
    assert result.exit_code != 0 and "no longer exists" in result.output


def test_staff_invite_prints_a_link(county: dict[str, int]) -> None:
    result = cpbot("staff", "invite", "cadre", "--point", "JH02", "--hours", "5")
    assert result.exit_code == 0, result.output
    assert re.match(r"https://t\.me/cp_test_bot\?start=inv_\S+\n", result.output)
    result = cpbot("staff", "invite", "cadre")
    assert result.exit_code != 0 and "A cadre serves a contact point" in result.output


def test_categories(county: dict[str, int], db_path: Path) -> None:
    listed = cpbot("categories", "list").output.splitlines()
    assert listed[0].split("\t") == [
        "water",
        "供水",
        "Water supply",
        "utilities",
        "offered",
        "1 cases",
    ]
    result = cpbot("categories", "add", "pets", "--zh", "宠物", "--en", "Pets", "--tier", "urgent")
    assert result.exit_code == 0, result.output
    assert cpbot("categories", "rename", "pets", "--zh", "动物", "--en", "Animals").exit_code == 0
    assert cpbot("categories", "tier", "pets", "general").exit_code == 0
    result = cpbot("categories", "tier", "pets", "soon")
    assert result.exit_code != 0
    assert cpbot("categories", "retire", "pets").exit_code == 0
    result = cpbot("categories", "retire", "nothing")
    assert result.exit_code != 0 and "There is no category “nothing”." in result.output
    (pets,) = rows(db_path, Category, col(Category.code) == "pets")
    assert (pets.name_zh, pets.name_en, pets.tier, pets.active) == (
        "动物",
        "Animals",
        "general",
        False,
    )
    assert cpbot("categories", "restore", "pets").exit_code == 0


def test_outbox_dead_retry_dismiss(county: dict[str, int], db_path: Path) -> None:
    async def fail(services: Services) -> None:
        store = services.outbox("test")
        while claimed := await store.claim(100):
            await store.complete(
                [
                    SendResult(c.id, "dead", error="Bad Request: chat not found", claimed=c)
                    for c in claimed
                ]
            )

    with_services(db_path, fail)
    result = cpbot("outbox", "dead")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    card = next(line for line in lines if "Li Wei" in line).split("\t")
    assert card[2:] == ["Li Wei", "case 2026-0001", "Bad Request: chat not found"]
    dead = [r.id for r in rows(db_path, Outbox, col(Outbox.status) == "dead")]
    assert len(lines) == len(dead)
    result = cpbot("outbox", "retry")
    assert result.exit_code != 0 and "or --all" in result.output
    result = cpbot("outbox", "retry", str(dead[0]))
    assert result.exit_code == 0 and result.output == "1 messages queued again.\n"
    result = cpbot("outbox", "retry", str(dead[0]))
    assert result.exit_code != 0 and "is not an undelivered message" in result.output
    result = cpbot("outbox", "dismiss", "--all", "--as", str(county["boss_tg"]))
    assert result.exit_code == 0 and result.output == f"{len(dead) - 1} messages dismissed.\n"
    statuses = [r.status for r in rows(db_path, Outbox, col(Outbox.id).in_(dead))]
    assert statuses == ["pending"] + ["cancelled"] * (len(dead) - 1)
    assert cpbot("outbox", "dead").output == "Nothing undelivered.\n"

    async def block(services: Services) -> None:
        async with services.ctx.db.read() as session:
            user = await session.get(User, county["resident"])
            assert user is not None
        await services.people.set_reachable(user.tg_id, False)

    with_services(db_path, block)
    result = cpbot("outbox", "blocked")
    assert result.output.startswith("Zhang\tXinhua Street\tsince ")
