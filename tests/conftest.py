"""Shared fixtures: a migrated SQLite database per test, a fake clock, the services."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.db import Database
from models.migrate import upgrade
from services.app import Services
from services.clock import FakeClock
from services.config import ServiceConfig
from services.context import Context

ADMIN_TG = 900_001


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated with Alembic; each test gets a copy (fast, and proves the
    migrations build the schema the code uses)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "test.sqlite3"
    shutil.copy(template_db, path)
    return path


@pytest.fixture
def clock() -> FakeClock:
    # Monday 2 March 2026, 09:00 in Shanghai.
    return FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


@pytest.fixture
def config() -> ServiceConfig:
    return ServiceConfig(admin_tg_ids=frozenset({ADMIN_TG}), bot_username="cp_test_bot")


@pytest.fixture
async def services(
    db_path: Path, clock: FakeClock, config: ServiceConfig
) -> AsyncIterator[Services]:
    db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
    yield Services(Context.create(db, config, clock))
    await db.dispose()
