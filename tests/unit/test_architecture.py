"""The dependency rule: imports point down; services never reach Telegram."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {
    # package: modules it must never import (a name covers its submodules)
    "services": {"aiogram", "bot", "handlers", "scheduler", "emulator", "aiohttp"},
    "models": {"aiogram", "bot", "handlers", "scheduler", "services", "emulator"},
    # Handlers reach data only through services (the vocabularies in models.enums are shared).
    "handlers": {"emulator", "models.tables", "models.db", "sqlalchemy", "sqlmodel"},
    "scheduler": {"aiogram", "handlers", "emulator", "models.tables", "sqlalchemy"},
    # The WeChat channel is an adapter beside bot/ (Telegram): it never reaches Telegram's side.
    "wechat": {"aiogram", "bot", "handlers", "emulator"},
}


def forbidden(imported: set[str], rules: set[str]) -> set[str]:
    return {m for m in imported for r in rules if m == r or m.startswith(r + ".")}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_imports_point_down(package: str) -> None:
    offenders = {}
    for path in (ROOT / package).rglob("*.py"):
        bad = forbidden(imports_of(path), LAYERS[package])
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_rule_itself_catches_an_aiogram_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from aiogram.types import Message\nimport aiogram.filters\n")
    assert forbidden(imports_of(sample), LAYERS["services"]) == {"aiogram.types", "aiogram.filters"}
