"""/forget and retention leave nothing of the person anywhere: every text and JSON column of every
table is searched for their name, phone, words and files (tests/privacy_search.py)."""

from __future__ import annotations

from itertools import count

import pytest
from sqlmodel import select

from models.tables import Outbox
from services.app import Services
from services.clock import FakeClock
from services.outbox import Result
from services.parts import Part
from tests.factories import load_points, resident, staff
from tests.privacy_search import search_database, text_columns
from tests.unit.test_cases import file, text

NAME = "Bob Stone"
PHONE = "+8613912345678"
FIRST = "The pump behind block seven leaks every night"
LATER = "It flooded the cellar of my neighbour again"
PHOTO = "AgACAgFILE-of-the-resident-0001"
REPORT = "The clerk at the window takes envelopes"

_ids = count(1000)


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


def photo(chat: int, caption: str) -> Part:
    return Part(chat_id=chat, message_id=next(_ids), kind="photo", text=caption, file_id=PHOTO)


async def deliver_all(services: Services) -> None:
    """What a sender does: claim every due row and record it as sent."""
    store = services.outbox("test")
    claimed = await store.claim(1000)
    await store.complete([Result(c.id, "sent", message_id=next(_ids), claimed=c) for c in claimed])


def test_the_search_covers_every_text_and_json_column() -> None:
    columns = set(text_columns())
    for wanted in [
        ("outbox", "payload"),
        ("audit_log", "detail"),
        ("conversations", "data"),
        ("case_events", "text"),
        ("case_events", "media"),
        ("users", "name"),
        ("tipoff_messages", "text"),
        ("notices", "texts"),
    ]:
        assert wanted in columns


async def test_forget_leaves_no_name_phone_words_or_files_in_any_message(
    services: Services,
) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    await staff(services, "Chen Jing", "inspector", point=None, region="Jinghu")
    res = await resident(services, NAME)
    await services.people.set_phone(res.user_id, PHONE)
    filed = await file(services, res, [text(next(_ids), res.tg_id, FIRST)])
    await services.tipoffs.file(
        res.user_id, named=True, concerns=[], parts=[text(next(_ids), res.tg_id, REPORT)]
    )
    await deliver_all(services)  # the case card and the report's card reached their staff
    # Then, before anything else is delivered, more words and a photo for the cadre.
    await services.cases.follow_up(res.user_id, filed.case.id, text(next(_ids), res.tg_id, LATER))
    await services.cases.follow_up(res.user_id, filed.case.id, photo(res.tg_id, "see " + LATER))
    async with services.ctx.db.read() as session:
        before = await search_database(session, [NAME, PHONE, FIRST, LATER, PHOTO])
    assert any(f.where.startswith("outbox.payload") for f in before)  # the search finds them

    await services.privacy.forget(res.user_id)

    async with services.ctx.db.read() as session:
        found = await search_database(session, [NAME, PHONE, PHOTO, REPORT[:20]])
        # The case stays an anonymous record of what was said (until retention), nowhere else.
        words = await search_database(session, [FIRST, LATER])
        waiting = (
            (
                await session.execute(
                    select(Outbox).where(Outbox.chat_id == cadre.tg_id, Outbox.status == "pending")
                )
            )
            .scalars()
            .all()
        )
    records = ("cases.", "case_events.", "tipoffs.summary", "tipoff_messages.")
    assert [f for f in found if not f.where.startswith(records)] == []
    assert [f for f in words if not f.where.startswith(records)] == []
    # The cadre is still told something came, without whose or what.
    assert waiting and all(r.payload["type"] == "text" for r in waiting)
    assert any("(erased resident)" in r.payload["text"] for r in waiting)
    assert any("(text erased at the resident's request)" in r.payload["text"] for r in waiting)


async def test_history_names_an_erased_resident(services: Services) -> None:
    from handlers.history import history_text

    await load_points(services)
    cadre = await staff(services, "Li Wei")
    res = await resident(services, NAME)
    filed = await file(services, res, [text(next(_ids), res.tg_id, FIRST)])
    await services.privacy.forget(res.user_id)
    detail = await services.cases.for_staff(cadre.user_id, filed.case.id)
    story = history_text(services.ctx.texts, "en", detail, for_staff=True)
    assert "· (erased resident) ·" in story and " ·  · " not in story


async def test_retention_leaves_no_words_of_old_cases_anywhere(
    services: Services, clock: FakeClock
) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    await staff(services, "Chen Jing", "inspector", point=None, region="Jinghu")
    res = await resident(services, NAME)
    filed = await file(services, res, [text(next(_ids), res.tg_id, FIRST)])
    await services.cases.follow_up(res.user_id, filed.case.id, photo(res.tg_id, LATER))
    await services.tipoffs.file(
        res.user_id, named=True, concerns=[], parts=[text(next(_ids), res.tg_id, REPORT)]
    )
    await deliver_all(services)
    await services.lifecycle.close(cadre.user_id, filed.case.id, "duplicate", "same as before")
    tip_id = (await services.tipoffs.of_reporter(res.user_id))[0].id
    await services.tipoffs.close(await _inspector_user(services), tip_id, "Looked into it")
    await deliver_all(services)
    clock.advance(days=services.ctx.config.retention_days + 1)
    assert await services.privacy.purge_expired() == 2
    async with services.ctx.db.read() as session:
        found = await search_database(session, [FIRST, LATER, PHOTO, REPORT])
    assert found == []


async def _inspector_user(services: Services) -> int:
    from models.tables import Staff

    async with services.ctx.db.read() as session:
        staff_row = (
            await session.execute(select(Staff).where(Staff.role == "inspector"))
        ).scalar_one()
    return staff_row.user_id
