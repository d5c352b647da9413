"""The command line imports only what its command needs: ``cpbot --help`` and the office
commands never import aiogram (whose types alone take seconds to import) nor the libraries
of posters and charts, a command's imports make no pass of the cyclic garbage collector, and
the modules of the command line import each other in one direction only."""

from __future__ import annotations

import ast
import gc
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
import gc, json, sys
from bot.cli import main
full_passes = gc.get_stats()[2]["collections"]
try:
    main.main(args=sys.argv[1:], prog_name="cpbot")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted({m.split(".")[0] for m in sys.modules})
built = []
if "models.base" in sys.modules:  # the table classes whose pydantic validator was built
    from models.base import TableModel
    todo = [TableModel]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__pydantic_complete__:
            built.append(cls.__name__)
report = {
    "validators_built": sorted(built),
    "code": code,
    "loaded": loaded,
    "full_passes": gc.get_stats()[2]["collections"] - full_passes,
    "gc_enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
    "services": sorted(m for m in sys.modules if m.startswith("services.")),
}
print("\\n" + json.dumps(report))
"""
# What only posters, charts and workbooks need: an office command that lists or changes
# something imports none of it (``points qr`` and ``report`` do, when they run).
DRAWING = {"PIL", "qrcode", "matplotlib", "numpy", "openpyxl", "sklearn", "jieba"}


def cpbot_modules(tmp_path: Path, *args: str) -> tuple[int, set[str], str]:
    code, loaded, output, _ = cpbot_probe(tmp_path, *args)
    return code, loaded, output


def cpbot_probe(tmp_path: Path, *args: str) -> tuple[int, set[str], str, dict[str, object]]:
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
    return int(report["code"] or 0), set(report["loaded"]), done.stdout + done.stderr, report


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
        ("outbox", "dead"),
        ("visits", "policy", "show"),
        ("points", "import", "--help"),
        ("report", "--help"),
    ],
)
def test_office_commands_do_not_import_aiogram(tmp_path: Path, command: tuple[str, ...]) -> None:
    if command != ("migrate",):
        assert cpbot_modules(tmp_path, "migrate")[0] == 0
    code, loaded, output, report = cpbot_probe(tmp_path, *command)
    assert code == 0, output
    assert "aiogram" not in loaded, command
    assert not loaded & DRAWING, (command, loaded & DRAWING)
    # The imports ran with the collector paused, and it runs again afterwards; nothing is
    # frozen (a command may run inside another program). Migrating runs every migration
    # script, which may take a pass of its own.
    assert int(str(report["full_passes"])) <= (1 if command == ("migrate",) else 0), report
    assert report["gc_enabled"] is True and report["frozen"] == 0, report
    # The table classes were made without their pydantic validators (models/base.py), and
    # reading and writing rows never asked for one.
    assert report["validators_built"] == [], report


def test_the_report_imports_what_it_draws_with_and_no_more(tmp_path: Path) -> None:
    """``cpbot report`` writes a workbook and has its charts drawn by the processes it forks
    (``services.reports.drawing``): its own process loads neither matplotlib nor the poster
    renderer (qrcode) nor the notices (half a second) it has no use for."""
    assert cpbot_modules(tmp_path, "migrate")[0] == 0
    code, loaded, output, report = cpbot_probe(
        tmp_path, "report", "--month", "2026-11", "--out", str(tmp_path / "out")
    )
    assert code == 0, output
    assert "xlsxwriter" in loaded
    assert not loaded & {"aiogram", "qrcode", "matplotlib", "numpy", "PIL"}, loaded
    imported = set(report["services"])  # type: ignore[arg-type]
    assert {"services.reports.drawing", "services.reports.chart_specs"} <= imported
    assert "services.reports.charts" not in imported
    assert not imported & {"services.notices", "services.posters"}, imported
    pngs = sorted((tmp_path / "out").glob("*.png"))
    assert len(pngs) == 7 and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    # matplotlib, the workbook and the figures' queries load with the collector paused.
    assert report["full_passes"] == 0, report
    assert report["validators_built"] == [], report


def test_the_cpbot_script_freezes_the_heap_when_the_command_is_done(tmp_path: Path) -> None:
    """The ``cpbot`` script (``entry``) freezes what the command loaded once it is done, so the
    interpreter's last collection does not walk it; ``main`` alone (as a test's CliRunner runs
    it) freezes nothing (``test_office_commands_do_not_import_aiogram``)."""
    probe = (
        "import gc, sys\n"
        "from bot.cli import entry\n"
        "try:\n"
        "    entry(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    print('frozen', gc.get_freeze_count(), 'enabled', gc.isenabled())\n"
    )
    env = {
        **os.environ,
        "CPBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", probe, "--help"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    words = done.stdout.split()
    assert words[-4] == "frozen" and int(words[-3]) > 1_000, done.stdout + done.stderr
    assert pyproject_script() == "bot.cli:entry"


def pyproject_script() -> str:
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return str(scripts["scripts"]["cpbot"])


def test_the_bot_imports_itself_without_a_full_collection(tmp_path: Path) -> None:
    """``cpbot run`` imports aiogram, the handlers and the models (hundreds of thousands of
    objects) with the collector paused, then freezes them: no full pass scans them at
    start-up or later. Without a token the command stops right after its imports."""
    code, loaded, output, report = cpbot_probe(tmp_path, "run")
    assert code == 1 and "CPBOT_TOKEN" in output, output
    assert {"aiogram", "handlers"} <= loaded
    assert report["full_passes"] == 0, report
    assert report["gc_enabled"] is True
    assert int(str(report["frozen"])) > 100_000, report
    assert "alembic" not in loaded  # migrations are looked at only when one is due
    assert report["validators_built"] == [], report


def test_importing_pauses_the_collector_and_freezes_only_when_asked() -> None:
    from bot.cli_core import importing

    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        with importing():
            assert not gc.isenabled()
            with importing(freeze=True):
                assert not gc.isenabled()
            assert not gc.isenabled()  # only the outer one enables it again
        assert gc.isenabled()
        assert gc.get_freeze_count() == frozen  # an office command freezes nothing
        with importing(freeze=True):
            kept = [object() for _ in range(10)] + [[] for _ in range(10)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + 10
        assert kept
    finally:
        gc.unfreeze()
        gc.enable()


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
