"""Every table is a ``TableModel`` (models/base.py), whose pydantic validator is built only
if something asks for one; rows are still made, stored and read as before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlmodel import SQLModel

import models.registry  # noqa: F401  (every table in the metadata)
from models.base import TableModel

ROOT = Path(__file__).resolve().parents[2]


def table_classes() -> list[type[TableModel]]:
    found, todo = [], [TableModel]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if getattr(cls, "__table__", None) is not None:
            found.append(cls)
    return found


def test_every_table_in_the_metadata_is_a_table_model() -> None:
    tables = {cls.__table__.name for cls in table_classes()}  # type: ignore[attr-defined]
    mapped = {t.name for t in SQLModel.metadata.sorted_tables}
    assert len(tables) >= 35 and tables == mapped
    assert all(cls.model_config.get("defer_build") is True for cls in table_classes())


def test_rows_are_made_stored_and_read_without_building_a_validator(tmp_path: Path) -> None:
    """In a process of its own: another test in this one may have built a validator."""
    probe = f"""
import asyncio
from datetime import UTC, datetime
from sqlalchemy import select
from sqlmodel import SQLModel
import models.registry
from models.db import Database
from models.tables import ContactPoint, User
from tests.unit.test_models_base import table_classes

async def main():
    db = Database.from_url("sqlite+aiosqlite:///{tmp_path / "rows.sqlite3"}")
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    async with db.write() as session:
        session.add(ContactPoint(code="P1", name="Point one", created_at=datetime.now(UTC)))
    async with db.read() as session:
        point = (await session.execute(select(ContactPoint))).scalar_one()
    await db.dispose()
    print(point.code, point.tz, User(tg_id=1, chat_id=1).locale)
    print(sorted(c.__name__ for c in table_classes() if c.__pydantic_complete__))

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    made, built = done.stdout.splitlines()[-2:]
    assert made == "P1 Asia/Shanghai zh_Hans"
    assert built == "[]"
