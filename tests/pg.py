"""Throwaway PostgreSQL databases for tests: one migrated template a session, a copy a test.

Used only when ``CPBOT_TEST_POSTGRES_URL`` is set (CI sets it); without it those tests skip.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg
from sqlalchemy.engine import make_url

from models.migrate import upgrade

ENV = "CPBOT_TEST_POSTGRES_URL"


def base_url() -> str | None:
    return os.environ.get(ENV)


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def async_url(url: str, database: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql+asyncpg", database=database)
        .render_as_string(hide_password=False)
    )


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_template(url: str) -> str:
    name = f"cpbot_tpl_{uuid.uuid4().hex[:10]}"
    await _admin(url, f'CREATE DATABASE "{name}"')
    await asyncio.to_thread(upgrade, async_url(url, name))
    return name


async def create_copy(url: str, template: str) -> str:
    name = f"cpbot_t_{uuid.uuid4().hex[:10]}"
    await _admin(url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


async def drop(url: str, name: str) -> None:
    await _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
