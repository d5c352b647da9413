"""The outbox: per-chat order, leases, and what each delivery outcome does to a row."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models.tables import MessageLink, Outbox, User
from services.app import Services
from services.clock import FakeClock
from services.outbox import Result, enqueue, text_message
from tests.factories import load_points, register, resident, staff
from tests.unit.test_cases import file, text


@pytest.fixture
def services(services_on_both: Services) -> Services:
    """Every test here runs on SQLite and on PostgreSQL."""
    return services_on_both


async def put(services: Services, key: str, chat: int, **kw: object) -> None:
    async with services.ctx.db.write() as session:
        await enqueue(
            session,
            services.ctx.clock.now(),
            key=key,
            chat_id=chat,
            payload=text_message(key),
            **kw,
        )  # type: ignore[arg-type]


async def rows(services: Services) -> dict[str, Outbox]:
    async with services.ctx.db.read() as session:
        return {r.dedupe_key: r for r in (await session.execute(select(Outbox))).scalars()}


async def test_one_row_per_chat_in_commit_order(services: Services) -> None:
    for key, chat in [("a1", 1), ("b1", 2), ("a2", 1), ("a3", 1), ("b2", 2)]:
        await put(services, key, chat)
    store = services.outbox("w1")
    first = await store.claim(10)
    assert [c.payload["text"] for c in first] == ["a1", "b1"]
    # Nothing else is claimable until the heads are done.
    assert await services.outbox("w2").claim(10) == []
    await store.complete([Result(c.id, "sent", message_id=1, claimed=c) for c in first])
    second = await store.claim(10)
    assert [c.payload["text"] for c in second] == ["a2", "b2"]


async def test_a_key_is_queued_once(services: Services) -> None:
    await put(services, "same", 1)
    await put(services, "same", 1)
    assert len(await rows(services)) == 1


async def test_an_expired_lease_is_claimed_again(services: Services, clock: FakeClock) -> None:
    await put(services, "x", 1)
    crashed = services.outbox("crashed")
    assert len(await crashed.claim(10)) == 1
    other = services.outbox("other")
    assert await other.claim(10) == []
    clock.advance(seconds=61)
    again = await other.claim(10)
    assert [c.payload["text"] for c in again] == ["x"]
    assert again[0].attempts == 2
    # The crashed sender's late report does not overwrite the new owner's lease.
    await crashed.complete([Result(again[0].id, "sent", message_id=9, claimed=again[0])])
    assert (await rows(services))["x"].status == "sending"


async def test_a_claim_says_when_the_next_row_is_due(services: Services, clock: FakeClock) -> None:
    """The claim's answer the sender sleeps on, on both databases (one statement on
    PostgreSQL, whose parts share a snapshot in which the rows just taken still read as
    pending)."""
    store = services.outbox("w")
    assert await store.claim_due(10) == ([], None)  # nothing queued: sleep until a commit
    await put(services, "alone", 1)
    taken, due = await store.claim_due(10)
    assert [c.payload["text"] for c in taken] == ["alone"]
    assert due is None  # the row just taken is not waiting for anyone
    await put(services, "first", 2)
    await put(services, "second", 2)
    taken, due = await store.claim_due(10)
    assert [c.payload["text"] for c in taken] == ["first"]
    assert due == 0.0  # due now, behind its chat's unsent head: a record may free it
    await put(services, "a", 3)
    await put(services, "b", 4)
    taken, due = await store.claim_due(1)
    assert len(taken) == 1 and due is None  # as many as asked for: there may be more at once
    await store.release()
    while batch := await store.claim(10):  # send everything queued so far
        await store.complete([Result(c.id, "sent", message_id=c.id, claimed=c) for c in batch])
    await put(services, "slow", 5)
    slow = await store.claim(10)
    await store.complete([Result(slow[0].id, "rate_limited", retry_after=30, claimed=slow[0])])
    taken, due = await store.claim_due(10)
    assert taken == [] and due is not None and 29 <= due <= 30  # the earliest pending row
    clock.advance(seconds=31)
    assert [c.payload["text"] for c in (await store.claim_due(10))[0]] == ["slow"]


async def test_a_relay_is_claimed_and_recorded_in_one_statement_each_on_postgresql(
    services: Services,
) -> None:
    """On PostgreSQL the claim (with the next due time) and the record of plain sends (with
    their links to cases) are one statement each, each its own transaction: a round trip
    apiece where four were (docs/performance.md, ninth pass). SQLite runs two statements in
    one transaction for each."""
    from sqlalchemy import event

    await load_points(services)
    await staff(services, "Li Wei")
    res = await resident(services, "Zhang San")
    filed = await file(services, res, [text(1, res.tg_id, "x")])
    store = services.outbox("w")
    statements: list[str] = []

    def on_execute(_c: object, _cur: object, sql: str, *_a: object) -> None:
        statements.append(sql)

    engine = services.ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        sent = 0
        while taken := (await store.claim_due(10))[0]:
            per_claim = len(statements)
            await store.complete(
                [Result(c.id, "sent", message_id=5000 + c.id, claimed=c) for c in taken]
            )
            per_record = len(statements) - per_claim
            expected = (2, 2) if services.ctx.db.is_sqlite else (1, 1)
            assert (per_claim, per_record) == expected, statements
            sent += len(taken)
            statements.clear()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert sent >= 2  # the card and the confirmation, at least
    async with services.ctx.db.read() as session:
        links = (await session.execute(select(MessageLink))).scalars().all()
        outbox = (await session.execute(select(Outbox))).scalars().all()
    assert {link.case_id for link in links} == {filed.case.id} and len(links) >= 2
    assert all(row.status == "sent" and row.locked_by is None for row in outbox)


async def test_retry_backs_off_and_finally_gives_up(services: Services, clock: FakeClock) -> None:
    await put(services, "flaky", 1)
    store = services.outbox("w")
    for attempt in range(1, services.ctx.config.outbox_max_attempts + 1):
        claimed = await store.claim(10)
        assert len(claimed) == 1, attempt
        await store.complete([Result(claimed[0].id, "retry", error="HTTP 502", claimed=claimed[0])])
        row = (await rows(services))["flaky"]
        if attempt < services.ctx.config.outbox_max_attempts:
            assert row.status == "pending"
            assert await store.claim(10) == []  # not due yet
            clock.advance(seconds=2**attempt + 1)
    row = (await rows(services))["flaky"]
    assert row.status == "dead" and row.last_error == "HTTP 502"


async def test_rate_limited_rows_wait_without_spending_an_attempt(
    services: Services, clock: FakeClock
) -> None:
    await put(services, "slow", 1)
    store = services.outbox("w")
    claimed = await store.claim(10)
    await store.complete([Result(claimed[0].id, "rate_limited", retry_after=7, claimed=claimed[0])])
    row = (await rows(services))["slow"]
    assert row.status == "pending" and row.attempts == 0
    clock.advance(seconds=6)
    assert await store.claim(10) == []
    clock.advance(seconds=2)
    assert len(await store.claim(10)) == 1


async def test_a_block_marks_the_person_and_kills_the_row(services: Services) -> None:
    person = await register(services, "Zhang San")
    await put(services, "hello", person.tg_id, recipient_user_id=person.user_id)
    store = services.outbox("w")
    claimed = await store.claim(10)
    await store.complete(
        [Result(claimed[0].id, "blocked", error="Forbidden: bot was blocked", claimed=claimed[0])]
    )
    async with services.ctx.db.read() as session:
        user = await session.get(User, person.user_id)
    assert user is not None and user.blocked_at is not None
    assert (await rows(services))["hello"].status == "dead"


async def test_a_dead_row_does_not_hold_up_the_chat(services: Services) -> None:
    await put(services, "bad", 1)
    await put(services, "good", 1)
    store = services.outbox("w")
    claimed = await store.claim(10)
    await store.complete([Result(claimed[0].id, "dead", error="Bad Request", claimed=claimed[0])])
    assert [c.payload["text"] for c in await store.claim(10)] == ["good"]


async def test_release_gives_leases_back(services: Services) -> None:
    await put(services, "x", 1)
    store = services.outbox("w")
    await store.claim(10)
    await store.release()
    row = (await rows(services))["x"]
    assert row.status == "pending" and row.locked_by is None and row.attempts == 0
    assert len(await services.outbox("other").claim(10)) == 1


async def test_sent_rows_link_the_message_to_its_case(services: Services) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    res = await resident(services, "Zhang San")
    filed = await file(services, res, [text(1, res.tg_id, "x")])
    store = services.outbox("w")
    while claimed := await store.claim(10):
        for c in claimed:  # the cadre's command menu first, then the card
            mid = 4242 if c.payload["type"] == "text" else None
            await store.complete([Result(c.id, "sent", message_id=mid, claimed=c)])
    async with services.ctx.db.read() as session:
        links = (await session.execute(select(MessageLink))).scalars().all()
    # The card in the cadre's chat and the confirmation in the resident's: replies to either
    # find the case.
    assert sorted((link.chat_id, link.message_id, link.case_id) for link in links) == sorted(
        [(chat, 4242, filed.case.id) for chat in (res.tg_id, cadre.tg_id)]
    )


async def test_a_mixed_batch_is_recorded_in_one_go(services: Services, clock: FakeClock) -> None:
    for key, chat in [("s1", 1), ("s2", 2), ("r", 3), ("d", 4), ("s3", 5)]:
        await put(services, key, chat)
    store = services.outbox("w")
    claimed = {c.payload["text"]: c for c in await store.claim(10)}
    outcomes = {"s1": "sent", "s2": "sent", "r": "retry", "d": "dead", "s3": "sent"}
    await store.complete(
        [
            Result(c.id, outcomes[key], message_id=100 + c.id, error="x", claimed=c)  # type: ignore[arg-type]
            for key, c in claimed.items()
        ]
    )
    after = await rows(services)
    for key in ("s1", "s2", "s3"):
        row = after[key]
        assert row.status == "sent" and row.sent_message_id == 100 + claimed[key].id
        assert row.locked_by is None and row.sent_at == clock.now()
    assert after["r"].status == "pending" and after["r"].last_error == "x"
    assert after["d"].status == "dead"
    # Another sender's stale report changes nothing.
    await put(services, "late", 6)
    (late,) = await services.outbox("owner").claim(10)
    await store.complete([Result(late.id, "sent", message_id=1, claimed=late)])
    assert (await rows(services))["late"].status == "sending"
