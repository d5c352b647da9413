"""Where given values are still kept: every text and JSON column of every table, and every Redis
key and value. The privacy tests ask it after /forget and after a retention run.

Tables and columns are read from the models' metadata, so a table added later is searched
without anyone remembering to list it here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import SQLModel

import models.registry  # noqa: F401  (every table registered in the metadata)


@dataclass(frozen=True)
class Found:
    """One place a value is kept: ``table.column`` (row key) or ``redis:<key>``."""

    where: str
    value: str

    def __str__(self) -> str:
        return f"{self.value!r} in {self.where}"


def _searchable(kind: TypeEngine[Any]) -> bool:
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    # JsonDoc is JSON with a JSONB variant: the base type decides.
    return isinstance(kind, (String, Text, JSON))


def text_columns() -> list[tuple[str, str]]:
    """(table, column) for every text or JSON column of every table."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if _searchable(column.type):
                found.append((table.name, column.name))
    return found


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _hits(where: str, haystack: str, needles: Iterable[str]) -> list[Found]:
    return [Found(where, n) for n in needles if n and n in haystack]


async def search_database(session: AsyncSession, needles: Iterable[str]) -> list[Found]:
    """Every text and JSON value in the database that contains one of ``needles``.

    Values are read and compared in Python (JSON is dumped with ``ensure_ascii=False``), so the
    search is the same on SQLite and PostgreSQL, and escapes in JSON cannot hide a value.
    """
    wanted = [n for n in needles if n]
    found: list[Found] = []
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns if _searchable(c.type)]
        if not columns:
            continue
        keys = list(table.primary_key.columns)
        rows = await session.execute(select(*keys, *columns))
        for row in rows:
            key = ",".join(str(v) for v in row[: len(keys)])
            for column, value in zip(columns, row[len(keys) :], strict=True):
                where = f"{table.name}.{column.name}[{key}]"
                found += _hits(where, _as_text(value), wanted)
    return found


async def search_redis(redis: Redis, needles: Iterable[str]) -> list[Found]:
    """Every Redis key, and every value of every key (strings, hashes, lists, sets, sorted
    sets), that contains one of ``needles``."""
    wanted = [n for n in needles if n]
    found: list[Found] = []
    async for raw in redis.scan_iter(count=500):
        key = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        found += _hits(f"redis key {key}", key, wanted)
        kind = await redis.type(raw)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        values: list[Any]
        if kind == "string":
            values = [await redis.get(raw)]
        elif kind == "hash":
            values = [x for pair in (await redis.hgetall(raw)).items() for x in pair]
        elif kind == "list":
            values = await redis.lrange(raw, 0, -1)
        elif kind == "set":
            values = list(await redis.smembers(raw))
        elif kind == "zset":
            values = await redis.zrange(raw, 0, -1)
        else:
            values = []
        for value in values:
            text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
            # Stored JSON may escape non-ASCII text: compare with it decoded as well.
            found += _hits(f"redis {key}", text + "\n" + _unescaped(text), wanted)
    return found


def _unescaped(text: str) -> str:
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return ""


async def search_everywhere(
    session: AsyncSession, redis: Redis | None, needles: Iterable[str]
) -> list[Found]:
    wanted = list(needles)
    found = await search_database(session, wanted)
    if redis is not None:
        found += await search_redis(redis, wanted)
    return found
