"""The presses the bot answered and handled (issue 18): kept in the database every process
shares, so a redelivered press is answered once and acted on once; pruned after two days."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey

from bot.fsm import DatabaseStorage, StepMiddleware
from bot.presses import PressMiddleware, StoredPresses
from models.db import Database
from scheduler.setup import build_scheduler, prune_presses
from services.app import Services
from services.clock import FakeClock
from services.config import ServiceConfig
from services.context import Context
from services.errors import Invalid
from services.presses import KEEP, handler_finished
from tests import pg
from tests.statements import transactions_begun


@pytest.fixture(params=["sqlite", "postgresql"])
async def both(
    request: pytest.FixtureRequest, services: Services, clock: FakeClock, config: ServiceConfig
) -> AsyncIterator[Services]:
    if request.param == "sqlite":
        yield services
        return
    template = request.getfixturevalue("pg_template")
    base = pg.base_url()
    assert base is not None
    copy = await pg.create_copy(base, template)
    db = Database.from_url(pg.async_url(base, copy))
    yield Services(Context.create(db, config, clock))
    await db.dispose()
    await pg.drop(base, copy)


async def test_a_press_is_answered_once(both: Services) -> None:
    presses = both.presses
    assert await presses.claim("42")
    assert not await presses.claim("42")
    assert await presses.claim("43")


async def test_an_answer_not_sent_may_be_sent_again(both: Services) -> None:
    presses = both.presses
    assert await presses.claim("42")
    await presses.release("42")
    assert await presses.claim("42")
    assert not await presses.claim("42")


async def test_handled_is_kept_apart_from_answered(both: Services) -> None:
    presses = both.presses
    assert await presses.claim("42")
    assert not await presses.handled("42")  # answered, then the process died
    await presses.done("42")
    assert await presses.handled("42")
    await presses.done("7")  # a press handled without an answer may still be answered once
    assert await presses.handled("7")
    assert await presses.claim("7")
    assert not await presses.claim("7")


async def test_old_presses_are_pruned(both: Services, clock: FakeClock) -> None:
    presses = both.presses
    await presses.claim("old")
    await presses.done("old")
    clock.advance(hours=47)
    await presses.claim("new")
    assert await presses.prune() == 0
    clock.advance(hours=2)
    assert await presses.prune() == 1
    assert not await presses.handled("old")
    assert await presses.claim("old")  # Telegram no longer delivers it anyway
    assert not await presses.claim("new")
    assert timedelta(days=2) == KEEP


async def test_the_scheduler_prunes_presses(services: Services, clock: FakeClock) -> None:
    assert "presses:prune" in {job.id for job in build_scheduler(services).get_jobs()}
    await services.presses.claim("old")
    clock.advance(days=3)
    await prune_presses(services)
    assert await services.presses.claim("old")


class _Update:
    """Only what the middleware reads of an update."""

    def __init__(self, query_id: str | None) -> None:
        self.update_id = 1
        self.callback_query = type("Q", (), {"id": query_id})() if query_id else None


async def _run(middleware: PressMiddleware, update: Any, outcome: Exception | None) -> int:
    calls = 0

    async def handler(event: Any, data: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        if outcome is not None:
            raise outcome

    if outcome is None:
        await middleware(handler, update, {})
    else:
        with pytest.raises(type(outcome)):
            await middleware(handler, update, {})
    return calls


async def test_the_middleware_skips_a_press_handled_by_another_process(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.presses.Update", _Update)
    first = PressMiddleware(StoredPresses(services.presses))
    second = PressMiddleware(StoredPresses(services.presses))  # after a restart
    assert await _run(first, _Update("1"), None) == 1
    assert await _run(second, _Update("1"), None) == 0
    # A refusal is an answer: handled.
    assert await _run(first, _Update("2"), Invalid("button.stale")) == 1
    assert await _run(second, _Update("2"), None) == 0
    # A failure half-way is not: it is handled again when it comes back.
    assert await _run(first, _Update("3"), RuntimeError("boom")) == 1
    assert await _run(second, _Update("3"), None) == 1
    # Updates without a press pass through untouched.
    assert await _run(second, _Update(None), None) == 1


async def test_the_handled_mark_rides_on_the_update_write_after_its_handler(both: Services) -> None:
    """Not on a write made while the handler runs (the filing's own, say): the handler might
    still fail after it. The write after it — the step's — carries the mark; ``done`` then
    writes nothing more."""
    presses, db = both.presses, both.ctx.db
    with presses.handling("9"):
        async with db.write():
            pass  # a write of the handler's own
        assert not presses.carried("9")
        handler_finished()
        async with db.write():
            pass  # the step's write
        assert presses.carried("9")
        with transactions_begun(both) as begins:
            await presses.done("9")
        assert begins == []
    assert await presses.handled("9")
    assert not presses.carried("9")  # only while handling


async def test_a_step_write_that_failed_leaves_the_press_to_be_handled_again(
    both: Services,
) -> None:
    presses, db = both.presses, both.ctx.db
    with presses.handling("10"):
        handler_finished()
        with pytest.raises(RuntimeError):
            async with db.write():
                raise RuntimeError("the step could not be written")
        assert not presses.carried("10")
    assert not await presses.handled("10")


async def test_a_press_that_changes_the_step_costs_no_transaction_of_its_own_to_mark(
    both: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The press's read, then the step and the "handled" mark in one write (was three
    transactions: the read, the step's write, the mark's). On SQLite the read needs no
    transaction at all (models/direct.py's shared reader)."""
    monkeypatch.setattr("bot.presses.Update", _Update)
    storage = DatabaseStorage(both.conversations)
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    press, step = PressMiddleware(StoredPresses(both.presses)), StepMiddleware()

    async def handler(event: Any, data: dict[str, Any]) -> None:
        await data["state"].set_state("filing:kind")

    async def steps(event: Any, data: dict[str, Any]) -> Any:
        return await step(handler, event, data)

    with transactions_begun(both) as begins:
        update: Any = _Update("11")
        await press(steps, update, {"state": FSMContext(storage, key)})
    assert len(begins) == (1 if both.ctx.db.is_sqlite else 2), begins
    assert await storage.get_state(key) == "filing:kind"
    again = PressMiddleware(StoredPresses(both.presses))  # after a restart
    assert await _run(again, _Update("11"), None) == 0
