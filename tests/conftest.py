"""Shared fixtures: a migrated SQLite database per test, a fake clock, the services."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.db import Database
from models.migrate import upgrade
from services.app import Services
from services.clock import FakeClock
from services.config import ServiceConfig
from services.context import Context
from tests import pg

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


TIPOFF_KEY = "9n5Q3c6bQ2HqkIuv9R0tz1bJ8CkS5f1Jr0Wqo0VvOrI="


@pytest.fixture
def config() -> ServiceConfig:
    return ServiceConfig(
        admin_tg_ids=frozenset({ADMIN_TG}), bot_username="cp_test_bot", tipoff_key=TIPOFF_KEY
    )


@pytest.fixture
async def services(
    db_path: Path, clock: FakeClock, config: ServiceConfig
) -> AsyncIterator[Services]:
    db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
    yield Services(Context.create(db, config, clock))
    await db.dispose()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    url = pg.base_url()
    if url is None:
        pytest.skip(f"{pg.ENV} is not set")
    # Session fixtures may be first asked for from inside a running loop: use a thread.
    with ThreadPoolExecutor(1) as pool:
        name = pool.submit(asyncio.run, pg.create_template(url)).result()
        yield name
        pool.submit(asyncio.run, pg.drop(url, name)).result()


@pytest.fixture
async def pg_url(pg_template: str) -> AsyncIterator[str]:
    url = pg.base_url()
    assert url is not None
    name = await pg.create_copy(url, pg_template)
    yield pg.async_url(url, name)
    await pg.drop(url, name)


@pytest.fixture(params=["sqlite", "postgresql"])
async def services_on_both(
    request: pytest.FixtureRequest, db_path: Path, clock: FakeClock, config: ServiceConfig
) -> AsyncIterator[Services]:
    """The services on SQLite and, when its URL is set, on PostgreSQL too."""
    copy = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{db_path}"
    else:
        template = request.getfixturevalue("pg_template")
        base = pg.base_url()
        assert base is not None
        copy = await pg.create_copy(base, template)
        url = pg.async_url(base, copy)
    db = Database.from_url(url)
    yield Services(Context.create(db, config, clock))
    await db.dispose()
    if copy is not None:
        await pg.drop(str(pg.base_url()), copy)
