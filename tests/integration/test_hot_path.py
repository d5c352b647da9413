"""A resident's follow-up — a native reply to the filing confirmation — costs the bot one
write transaction (SQLite: its reads need none), runs none of aiogram's own filters in a
thread, and is stored before the resident is answered (issue 13)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlmodel import col

from models.tables import CaseEvent
from tests.harness import World, file_case, join_staff, load_points, register_resident


async def test_a_follow_up_is_one_transaction_and_no_thread(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await load_points(world)
    cadre = world.person("Li", last_name="Wei")
    await join_staff(world, cadre)
    resident = world.person("Zhang", last_name="San")
    await register_resident(resident)
    await file_case(resident, "No water on the third floor")
    confirmation = resident.last()
    await resident.reply(confirmation, "warm-up")

    begins: list[str] = []
    engine = world.app.db.engine.sync_engine
    threads: list[Callable[..., Any]] = []
    real_to_thread = asyncio.to_thread

    async def to_thread(func_: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        threads.append(func_)
        return await real_to_thread(func_, *args, **kwargs)

    real_feed = world.app.dp.feed_update
    stored_before_answer: list[int] = []

    async def feed(*args: Any, **kwargs: Any) -> Any:
        event.listen(engine, "begin", on_begin)
        try:
            return await real_feed(*args, **kwargs)
        finally:
            event.remove(engine, "begin", on_begin)

    checking = [False]

    def on_begin(_conn: Any) -> None:
        if not checking[0]:  # not the test's own look below
            begins.append("begin")

    monkeypatch.setattr(asyncio, "to_thread", to_thread)
    monkeypatch.setattr(world.app.dp, "feed_update", feed)
    real_request = world.emulator.call

    async def call(token: str, method: str, params: dict[str, Any], *rest: Any) -> Any:
        if method == "sendMessage" and str(params.get("chat_id")) == str(resident.id):
            checking[0] = True
            async with world.app.db.sessions() as session:
                stored_before_answer.append(
                    (
                        await session.execute(
                            select(func.count())
                            .select_from(CaseEvent)
                            .where(col(CaseEvent.text) == "the lift too")
                        )
                    ).scalar_one()
                )
            checking[0] = False
        return await real_request(token, method, params, *rest)

    monkeypatch.setattr(world.emulator, "call", call)
    await resident.reply(confirmation, "the lift too")

    assert any("the lift too" in text for text in cadre.texts())
    # The step's read and the replied message's case outside any transaction (SQLite's
    # shared reader, models/direct.py), the event and its outbox row in one (the sender's
    # claims and records are its own).
    assert len(begins) == 1, begins
    assert threads == []
    assert stored_before_answer and stored_before_answer[0] == 1


async def test_a_warm_filing_reads_no_category_list_and_stays_under_its_statement_count(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wizard's six updates (📝 New case, kind, category, the text, Done, Send) on SQLite:
    the offered categories are kept per process, so none of the steps reads them; the filing
    is Core statements. Counts, not time: what the bot's handling of the six updates runs
    (the sender's claims and records are its own)."""
    await load_points(world)
    cadre = world.person("Li", last_name="Wei")
    await join_staff(world, cadre)
    resident = world.person("Zhang", last_name="San")
    await register_resident(resident)
    await file_case(resident, "No water on the third floor")  # warm: the lists are kept

    statements: list[str] = []
    begins: list[str] = []
    engine = world.app.db.engine.sync_engine

    def on_execute(_c: Any, _cur: Any, sql: str, *_a: Any) -> None:
        statements.append(" ".join(sql.split()))

    def on_begin(_conn: Any) -> None:
        begins.append("begin")

    real_feed = world.app.dp.feed_update

    async def feed(*args: Any, **kwargs: Any) -> Any:
        event.listen(engine, "before_cursor_execute", on_execute)
        event.listen(engine, "begin", on_begin)
        try:
            return await real_feed(*args, **kwargs)
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
            event.remove(engine, "begin", on_begin)

    monkeypatch.setattr(world.app.dp, "feed_update", feed)
    await file_case(resident, "The lift is broken again")
    assert "was sent to" in resident.last_text()

    work = [s for s in statements if not s.startswith("BEGIN")]
    lists = [s for s in work if "FROM categories WHERE categories.active" in s]
    assert lists == []  # the filing checks its one category along with the point
    selects = [s for s in work if s.startswith("SELECT")]
    # The point is kept per process (services/points.py): the New case and Done steps read
    # it no more; the filing still checks it in its own transaction.
    assert [s for s in selects if "WHERE contact_points.id = " in s] == []
    assert len(selects) <= 15, selects
    # The case's reminders are one statement (executed for its rows at once).
    assert len([s for s in work if s.startswith("INSERT INTO reminders")]) == 1, work
    # Each press's "handled" mark is written with the step the press changed, in the same
    # transaction, never in one of its own.
    marks = [i for i, s in enumerate(statements) if "SET handled" in s]
    assert len(marks) == 4, statements
    assert all(statements[i - 1].startswith("INSERT INTO conversations") for i in marks)
    assert len(work) <= 36, work
    # Before the third pass: 22 SELECTs (three of them the category list), 45 statements, 23
    # transactions. Before the press marks rode on the step writes and the point was kept:
    # 17 SELECTs, 40 statements, 21 transactions (each press marked in a write of its own).
    assert len(begins) <= 17, begins
