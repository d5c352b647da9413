"""The command line imports only what its command needs: ``cpbot --help`` and the office
commands never import aiogram (whose types alone take seconds to import), and the modules of
the command line import each other in one direction only."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from bot.cli import entry
try:
    entry(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted({m.split(".")[0] for m in sys.modules})
print("\\n" + json.dumps({"code": code, "loaded": loaded}))
"""


def cpbot_modules(tmp_path: Path, *args: str) -> tuple[int, set[str], str]:
    env = {
        **os.environ,
        "CPBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "CPBOT_BOT_USERNAME": "cp_test_bot",
        "CPBOT_DEFAULT_LOCALE": "en",
        "LANG": "en_US.UTF-8",
    }
    env.pop("CPBOT_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return int(report["code"] or 0), set(report["loaded"]), done.stdout + done.stderr


def test_help_imports_neither_aiogram_nor_the_database(tmp_path: Path) -> None:
    code, loaded, output = cpbot_modules(tmp_path, "--help")
    assert code == 0, output
    assert "notices" in output and "points" in output
    assert not loaded & {"aiogram", "aiohttp", "sqlalchemy", "sqlmodel", "services", "models"}


@pytest.mark.parametrize(
    "command",
    [
        ("migrate",),
        ("points", "list"),
        ("staff", "list"),
        ("categories", "list"),
        ("invite", "cadre"),
        ("audit", "export"),
        ("notices", "list"),
        ("points", "import", "--help"),
    ],
)
def test_office_commands_do_not_import_aiogram(tmp_path: Path, command: tuple[str, ...]) -> None:
    if command != ("migrate",):
        assert cpbot_modules(tmp_path, "migrate")[0] == 0
    code, loaded, output = cpbot_modules(tmp_path, *command)
    assert code == 0, output
    assert "aiogram" not in loaded, command


def test_every_registered_command_imports_and_has_help_with_its_input() -> None:
    runner = CliRunner()
    for name in COMMANDS:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output
    notices = runner.invoke(main, ["notices", "--help"]).output
    assert "<!-- lang: en -->" in notices and "notice.md" in notices
    points = runner.invoke(main, ["points", "import", "--help"]).output
    assert "code,name,region,address,lat,lon,tz" in points
    assert "XH01," in points


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_import_circles_in_the_command_line_and_runners() -> None:
    bot = ROOT / "bot"
    assert "bot.cli" not in _imports(bot / "admin_cli.py")
    assert "bot.cli" not in _imports(bot / "notices_cli.py")
    assert "bot.webhook" not in _imports(bot / "runners.py")
    assert "bot.runners" not in _imports(bot / "webhook.py")
    for module in (
        "admin_cli",
        "categories_cli",
        "outbox_cli",
        "cli_acting",
        "points_cli",
        "office_cli",
        "run_cli",
        "notices_cli",
    ):
        assert "bot.cli" not in _imports(bot / f"{module}.py"), module
