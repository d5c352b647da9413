"""The person behind an update is read once and remembered; any commit that changes people,
roles or points drops what is remembered, so a change is seen by the very next update."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, update
from sqlmodel import col

from models.db import Database
from models.enums import Role
from models.tables import Staff
from services.app import Services
from services.config import ServiceConfig
from services.context import Context
from tests.factories import load_points, resident, staff


async def test_people_are_read_once_and_changes_are_seen_at_once(db_path: Path) -> None:
    db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
    services = Services(Context.create(db, ServiceConfig(bot_username="x")))
    try:
        await load_points(services)
        li = await staff(services, "Li Wei", "cadre", "XH01")
        zhang = await resident(services, "Zhang")
        db.people_changed()  # forget what registering remembered
        reads: list[str] = []
        event.listen(
            db.engine.sync_engine,
            "before_cursor_execute",
            lambda _c, _cur, sql, *_a: reads.append(sql),
        )
        first = await services.people.actor(zhang.tg_id, zhang.tg_id, "Zhang", "en")
        again = await services.people.actor(zhang.tg_id, zhang.tg_id, "Zhang", "en")
        assert again == first
        assert sum("FROM users" in sql for sql in reads) == 1

        cadre = await services.people.actor(li.tg_id, li.tg_id, "Li Wei", "en")
        assert cadre.role == Role.CADRE
        async with db.write() as session:  # any change to staff, by any use case
            await session.execute(
                update(Staff).where(col(Staff.user_id) == li.user_id).values(active=False)
            )
        suspended = await services.people.actor(li.tg_id, li.tg_id, "Li Wei", "en")
        assert suspended.role == Role.RESIDENT

        await services.people.set_locale(zhang.user_id, "zh_Hans")
        assert (await services.people.actor(zhang.tg_id, zhang.tg_id, "Zhang", "en")).locale == (
            "zh_Hans"
        )
        # Writing to the same person from another chat is not served from memory.
        moved = await services.people.actor(zhang.tg_id, 999, "Zhang", "en")
        assert moved.chat_id == 999
    finally:
        await db.dispose()
