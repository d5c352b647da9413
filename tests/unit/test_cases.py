"""Filing, relaying both ways, and the cadre's actions — at the service level."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from models.tables import Case, CaseEvent, MessageLink, Outbox
from services.app import Services
from services.cases import Draft
from services.clock import FakeClock
from services.errors import Invalid, NotAllowed, NotFound, Refusal
from services.lifecycle import TransferTarget
from services.outbox import Result
from services.parts import Part
from tests.factories import Person, load_points, resident, staff


@pytest.fixture
def services(services_on_both: Services) -> Services:
    """Every test here runs on SQLite and on PostgreSQL."""
    return services_on_both


async def outbox(services: Services, chat_id: int | None = None) -> list[Outbox]:
    async with services.ctx.db.read() as session:
        stmt = select(Outbox).order_by(Outbox.id)
        if chat_id is not None:
            stmt = stmt.where(Outbox.chat_id == chat_id)
        rows = (await session.execute(stmt)).scalars()
        # Command-menu updates ride the outbox too; these tests look at messages.
        return [r for r in rows if r.payload["type"] != "commands"]


async def deliver_all(services: Services) -> list[Any]:
    """Play the sender: claim everything due, pretend it was sent, record it."""
    store = services.outbox("test")
    sent: list[Any] = []
    message_id = 5000
    while claimed := await store.claim(100):
        results = []
        for row in claimed:
            if row.payload["type"] == "commands":
                results.append(Result(row.id, "sent", claimed=row))
                continue
            message_id += 1
            sent.append((row.chat_id, row.payload, message_id))
            results.append(Result(row.id, "sent", message_id=message_id, claimed=row))
        await store.complete(results)
    return sent


def text(n: int, chat: int, body: str) -> Part:
    return Part(chat_id=chat, message_id=n, kind="text", text=body)


@pytest.fixture
async def county(services: Services) -> dict[str, Person]:
    await load_points(services)
    return {
        "cadre": await staff(services, "Li Wei", title="Deputy head"),
        "other": await staff(services, "Wang Fang", point="JH02"),
        "resident": await resident(services, "Zhang San"),
        "neighbour": await resident(services, "Zhao Liu"),
    }


async def file(
    services: Services,
    who: Person,
    parts: list[Part],
    kind: str = "complaint",
    category: str = "water",
) -> Any:
    cats = {c.code: c for c in await services.cases.categories()}
    return await services.cases.file(who.user_id, Draft(kind, cats[category].id, parts))


async def test_filing_routes_a_card_and_relays_media(services: Services, county: dict) -> None:
    res, cadre = county["resident"], county["cadre"]
    photo = Part(chat_id=res.tg_id, message_id=2, kind="photo", file_id="F1", text="see")
    filed = await file(services, res, [text(1, res.tg_id, "No water <since> Monday"), photo])
    case = filed.case
    assert case.public_no == "2026-0001"
    assert case.assignee_name == "Li Wei"
    assert case.tier == "utilities"
    # First answer due in 24 h, water (utilities) resolved in 24 h.
    assert (case.due_ack_at - case.created_at).total_seconds() == 24 * 3600
    rows = await outbox(services, cadre.tg_id)
    assert [r.payload["type"] for r in rows] == ["text", "copy"]
    card = rows[0].payload
    assert "2026-0001" in card["text"] and "Zhang San" in card["text"]
    assert "No water &lt;since&gt; Monday" in card["text"]  # resident text is escaped
    actions = [b["action"] for row in card["buttons"] for b in row]
    assert actions == ["case_accept", "case_reply", "case_transfer", "case_note", "case_close"]
    copy = rows[1].payload
    assert (copy["from_chat_id"], copy["message_id"]) == (res.tg_id, 2)
    assert "2026-0001" in copy["caption"] and "see" in copy["caption"]
    # The resident gets one thing: the confirmation with the number, queued with the case.
    [confirmation] = await outbox(services, res.tg_id)
    assert "2026-0001" in confirmation.payload["text"] and "Li Wei" in confirmation.payload["text"]
    assert confirmation.payload["menu"] == "resident"
    assert confirmation.dedupe_key == f"case{case.id}:filed"


async def test_refiling_the_same_message_is_harmless(services: Services, county: dict) -> None:
    res = county["resident"]
    first = await file(services, res, [text(7, res.tg_id, "Pothole")])
    again = await file(services, res, [text(7, res.tg_id, "Pothole")])
    assert again.duplicate and again.case.id == first.case.id
    async with services.ctx.db.read() as session:
        assert len((await session.execute(select(Case))).scalars().all()) == 1
    assert len(await outbox(services)) == 2  # one card, one confirmation: not twice


async def test_numbers_follow_the_points_year(
    services: Services, county: dict, clock: FakeClock
) -> None:
    res = county["resident"]
    from datetime import UTC, datetime

    clock.set(datetime(2026, 12, 31, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    a = await file(services, res, [text(1, res.tg_id, "a")])
    clock.set(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 00:30 on 1 Jan in Shanghai
    b = await file(services, res, [text(2, res.tg_id, "b")])
    c = await file(services, res, [text(3, res.tg_id, "c")])
    assert [a.case.public_no, b.case.public_no, c.case.public_no] == [
        "2026-0001",
        "2027-0001",
        "2027-0002",
    ]


async def test_conversation_both_ways(services: Services, county: dict) -> None:
    res, cadre = county["resident"], county["cadre"]
    filed = await file(services, res, [text(1, res.tg_id, "Broken lamp")])
    sent = await deliver_all(services)
    card_msg = next(m for chat, p, m in sent if chat == cadre.tg_id)
    # The card was linked on sending: a native reply to it finds the case.
    assert await services.cases.case_of_message(cadre.tg_id, card_msg) == filed.case.id
    reply = await services.cases.reply(
        cadre.user_id, filed.case.id, text(50, cadre.tg_id, "We will fix it tomorrow")
    )
    assert reply.status == "in_progress" and reply.first_response_at is not None
    rows = await outbox(services, res.tg_id)
    assert len(rows) == 2  # the confirmation, then the reply
    assert "Li Wei (Deputy head)" in rows[1].payload["text"]
    assert "We will fix it tomorrow" in rows[1].payload["text"]
    sent = await deliver_all(services)
    relayed_msg = sent[0][2]
    # The resident's native reply to that relayed message lands on the same case.
    assert await services.cases.case_of_message(res.tg_id, relayed_msg) == filed.case.id
    await services.cases.follow_up(res.user_id, filed.case.id, text(3, res.tg_id, "Thanks!"))
    rows = await outbox(services, cadre.tg_id)
    assert "Thanks!" in rows[-1].payload["text"] and "Zhang San" in rows[-1].payload["text"]


async def test_a_redelivered_follow_up_is_relayed_once(services: Services, county: dict) -> None:
    res, cadre = county["resident"], county["cadre"]
    filed = await file(services, res, [text(1, res.tg_id, "Noise at night")])
    before = len(await outbox(services, cadre.tg_id))
    for _ in range(3):
        await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, "Again"))
    assert len(await outbox(services, cadre.tg_id)) == before + 1
    async with services.ctx.db.read() as session:
        events = (
            (await session.execute(select(CaseEvent).where(CaseEvent.source_message_id == 2)))
            .scalars()
            .all()
        )
    assert len(events) == 1


async def test_a_follow_up_is_stored_and_queued_alike_on_both_databases(
    services: Services, county: dict
) -> None:
    """The event and its relay rows: the same columns on both databases, where PostgreSQL
    writes them in one statement (``services/event_relay.py``) and SQLite in two; a message
    too long for one relay is two rows, in order, and comes again harmlessly."""
    from sqlalchemy import event

    res, cadre = county["resident"], county["cadre"]
    filed = await file(services, res, [text(1, res.tg_id, "Water is brown")])
    before = {r.id for r in await outbox(services, cadre.tg_id)}
    inserts: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.lstrip().upper().startswith(("INSERT", "WITH")):
            inserts.append(" ".join(sql.split()))

    engine = services.ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        long = "x" * 4090  # with its heading, more than one Telegram message holds
        await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, long))
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    # PostgreSQL: one statement, its WITH inserting the event; SQLite: the event, then the rows.
    if services.ctx.db.is_sqlite:
        assert [s.split(" (")[0] for s in inserts] == [
            "INSERT INTO case_events",
            "INSERT INTO outbox",
        ], inserts
    else:
        assert len(inserts) == 1 and inserts[0].startswith("WITH ev AS (INSERT INTO case_events")
    async with services.ctx.db.read() as session:
        ev = (
            await session.execute(select(CaseEvent).where(CaseEvent.source_message_id == 2))
        ).scalar_one()
    assert (ev.case_id, ev.actor_user_id, ev.type, ev.text) == (
        filed.case.id, res.user_id, "message", long,
    )  # fmt: skip
    assert (ev.source_chat_id, ev.internal, ev.hidden) == (res.tg_id, False, False)
    rows = [r for r in await outbox(services, cadre.tg_id) if r.id not in before]
    assert [r.dedupe_key for r in rows] == [
        f"ev{ev.id}:u{cadre.user_id}:0",
        f"ev{ev.id}:u{cadre.user_id}:1",
    ]
    assert all(
        (r.event_id, r.case_id, r.recipient_user_id, r.channel, r.status, r.attempts)
        == (ev.id, filed.case.id, cadre.user_id, "telegram", "pending", 0)
        for r in rows
    )
    assert rows[0].next_attempt_at == rows[0].created_at == ev.at
    assert "Zhang San" in rows[0].payload["text"] and rows[1].payload["text"] == long
    # The same message again: nothing more stored or queued.
    await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, long))
    assert len(await outbox(services, cadre.tg_id)) == len(before) + 2


async def test_only_the_owner_sees_or_adds_to_a_case(services: Services, county: dict) -> None:
    res, neighbour = county["resident"], county["neighbour"]
    filed = await file(services, res, [text(1, res.tg_id, "Private matter")])
    with pytest.raises(NotFound):
        await services.cases.for_resident(neighbour.user_id, filed.case.id)
    with pytest.raises(NotFound):
        await services.cases.follow_up(
            neighbour.user_id, filed.case.id, text(9, neighbour.tg_id, "sneaky")
        )


async def test_another_points_cadre_cannot_act(services: Services, county: dict) -> None:
    res, other = county["resident"], county["other"]
    filed = await file(services, res, [text(1, res.tg_id, "x")])
    for action in (
        services.lifecycle.accept(other.user_id, filed.case.id),
        services.cases.reply(other.user_id, filed.case.id, text(2, other.tg_id, "hi")),
        services.lifecycle.resolve(other.user_id, filed.case.id, "done"),
        services.cases.for_staff(other.user_id, filed.case.id),
    ):
        with pytest.raises(NotAllowed):
            await action
    with pytest.raises(NotAllowed):  # a resident is not staff at all
        await services.lifecycle.accept(res.user_id, filed.case.id)


async def test_accept_resolve_and_the_residents_notices(services: Services, county: dict) -> None:
    res, cadre = county["resident"], county["cadre"]
    filed = await file(
        services, res, [text(1, res.tg_id, "Trash not collected")], category="sanitation"
    )
    with pytest.raises(Refusal) as refused:
        await services.lifecycle.resolve(cadre.user_id, filed.case.id, "done")
    assert refused.value.key == "case.refused.resolve"
    accepted = await services.lifecycle.accept(cadre.user_id, filed.case.id)
    assert accepted.status == "accepted"
    with pytest.raises(Refusal):
        await services.lifecycle.accept(cadre.user_id, filed.case.id)
    with pytest.raises(Invalid):
        await services.lifecycle.resolve(cadre.user_id, filed.case.id, "   ")
    resolved = await services.lifecycle.resolve(cadre.user_id, filed.case.id, "Collected at 3 pm")
    assert resolved.status == "resolved"
    notices = [
        r.payload["text"]
        for r in await outbox(services, res.tg_id)
        if not r.dedupe_key.endswith(":filed")
    ]
    assert "accepted" in notices[0] and "Li Wei" in notices[0]
    assert "resolved" in notices[1] and "Collected at 3 pm" in notices[1]


async def test_transfer_keeps_the_first_receiver(services: Services, county: dict) -> None:
    res, cadre, other = county["resident"], county["cadre"], county["other"]
    filed = await file(
        services,
        res,
        [text(1, res.tg_id, "Flooded street"), Part(res.tg_id, 2, "location", lat=31.3, lon=118.3)],
    )
    first_receiver = filed.case.first_receiver_id
    targets = await services.lifecycle.transfer_targets(cadre.user_id, filed.case.id)
    to_point = next(t for t in targets if t.kind == "point" and t.detail == "JH02")
    with pytest.raises(Invalid):
        await services.lifecycle.transfer(cadre.user_id, filed.case.id, to_point, "")
    moved = await services.lifecycle.transfer(
        cadre.user_id, filed.case.id, to_point, "Their street"
    )
    assert moved.assignee_name == "Wang Fang"
    assert moved.first_receiver_id == first_receiver
    assert moved.point_code == "JH02" and moved.status == "new"
    # The new cadre gets the card and the resident's content again (the location copied).
    rows = await outbox(services, other.tg_id)
    assert "transferred" in rows[0].payload["text"] and "Their street" in rows[0].payload["text"]
    assert any(r.payload["type"] == "copy" and r.payload["message_id"] == 2 for r in rows)
    assert "Wang Fang" in (await outbox(services, res.tg_id))[-1].payload["text"]
    # The old cadre can no longer act on it.
    with pytest.raises(NotAllowed):
        await services.lifecycle.accept(cadre.user_id, filed.case.id)
    with pytest.raises(NotFound):
        await services.lifecycle.transfer(
            other.user_id, filed.case.id, TransferTarget("staff", 999_999, "ghost", ""), "x"
        )


async def test_closed_cases_take_no_follow_ups(services: Services, county: dict) -> None:
    res = county["resident"]
    filed = await file(services, res, [text(1, res.tg_id, "x")])
    async with services.ctx.db.write() as session:
        case = await session.get(Case, filed.case.id)
        assert case is not None
        case.status = "closed"
    with pytest.raises(Invalid):
        await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, "y"))


async def test_staff_queue_orders_by_deadline_and_pages(services: Services, county: dict) -> None:
    res, cadre = county["resident"], county["cadre"]
    slow = await file(services, res, [text(1, res.tg_id, "slow")], category="land")
    fast = await file(services, res, [text(2, res.tg_id, "fast")], category="water")
    for n in range(3, 12):
        await file(services, res, [text(n, res.tg_id, f"case {n}")], category="roads")
    page = await services.cases.staff_queue(cadre.user_id)
    assert page.pages == 2 and len(page.cases) == 8
    assert page.cases[0].id == fast.case.id
    last = await services.cases.staff_queue(cadre.user_id, 1)
    assert last.cases[-1].id == slow.case.id


async def test_message_links_are_recorded_for_the_confirmation(
    services: Services, county: dict
) -> None:
    res = county["resident"]
    filed = await file(services, res, [text(1, res.tg_id, "x")])
    await services.cases.link_message(res.tg_id, 77, filed.case.id)
    await services.cases.link_message(res.tg_id, 77, filed.case.id)  # idempotent
    async with services.ctx.db.read() as session:
        links = (
            (await session.execute(select(MessageLink).where(MessageLink.chat_id == res.tg_id)))
            .scalars()
            .all()
        )
    assert [link.message_id for link in links] == [77]
