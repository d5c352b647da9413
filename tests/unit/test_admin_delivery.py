"""Delivery problems: undelivered messages (with the reason, and to whom) and people who blocked
the bot; retrying and dismissing, within the administrator's scope."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from models.tables import AuditLog, Outbox
from services.admin_access import Operator
from services.administration import Administration
from services.app import Services
from services.errors import Invalid, NotAllowed, NotFound
from services.outbox import Result, enqueue, text_message
from tests.factories import file_case, load_points, resident, staff


@pytest.fixture
def services(services_on_both: Services) -> Services:
    """Every test here runs on SQLite and on PostgreSQL."""
    return services_on_both


def office(services: Services) -> Administration:
    return Administration(services.ctx)


async def fail_everything(
    services: Services, outcome: str, error: str, spare: frozenset[int] = frozenset()
) -> list[int]:
    """The sender tries every due row (a chat's rows one after another), and each ends with
    ``outcome`` — except rows to the chats in ``spare``, which are sent."""
    store = services.outbox("test-sender")
    done: list[int] = []
    while claimed := await store.claim(100):
        results = [
            Result(
                c.id,
                "sent" if c.chat_id in spare else outcome,  # type: ignore[arg-type]
                error=error,
                claimed=c,
            )
            for c in claimed
        ]
        await store.complete(results)
        done += [c.id for c in claimed]
    return done


async def rows(services: Services) -> dict[int, Outbox]:
    async with services.ctx.db.read() as session:
        return {r.id or 0: r for r in (await session.execute(select(Outbox))).scalars()}


async def test_dead_rows_with_reason_then_retry_and_dismiss(services: Services) -> None:
    await load_points(services)
    await staff(services, "Li Wei")
    res = await resident(services, "Zhang")
    await file_case(services, res)
    await fail_everything(services, "sent", "")  # the command menus and the card went out
    admin = office(services)
    # A message to the resident about their case, and one to a chat of nobody we know,
    # are refused by Telegram.
    async with services.ctx.db.write() as session:
        await enqueue(
            session,
            services.ctx.clock.now(),
            key="test:one",
            chat_id=res.tg_id,
            payload=text_message("hello"),
            recipient_user_id=res.user_id,
            case_id=1,
        )
        await enqueue(
            session,
            services.ctx.clock.now(),
            key="test:two",
            chat_id=res.tg_id + 1,
            payload=text_message("hello"),
        )
    dead_ids = await fail_everything(services, "dead", "Bad Request: chat not found")
    page = await admin.delivery.dead(Operator())
    assert page.total == 2
    newest, oldest = page.rows
    assert newest.id == max(dead_ids) and newest.recipient is None
    assert (oldest.recipient, oldest.case_no, oldest.reason) == (
        "Zhang",
        "2026-0001",
        "Bad Request: chat not found",
    )
    await admin.delivery.retry(Operator(), oldest.id)
    row = (await rows(services))[oldest.id]
    assert (row.status, row.attempts, row.last_error, row.next_attempt_at) == (
        "pending",
        0,
        None,
        services.ctx.clock.now(),
    )
    # The sender takes it up again.
    again = await services.outbox("test-sender").claim(10)
    assert [c.id for c in again] == [oldest.id]
    boss = await staff(services, "Zhou", "admin", None)
    await admin.delivery.dismiss(Operator(boss.user_id), newest.id)
    assert (await rows(services))[newest.id].status == "cancelled"
    with pytest.raises(Invalid) as refused:
        await admin.delivery.retry(Operator(), newest.id)
    assert refused.value.key == "admin.delivery.not_dead"
    with pytest.raises(NotFound):
        await admin.delivery.dismiss(Operator(), 99999)
    async with services.ctx.db.read() as session:
        logs = (
            await session.execute(
                select(AuditLog.action, AuditLog.target, AuditLog.actor_user_id)
                .where(col(AuditLog.action).startswith("outbox:"))
                .order_by(col(AuditLog.id))
            )
        ).all()
    assert [tuple(r) for r in logs] == [
        ("outbox:retry", f"outbox:{oldest.id}", None),
        ("outbox:dismiss", f"outbox:{newest.id}", boss.user_id),
    ]


async def test_blocked_people_and_the_scope_of_a_regional_administrator(
    services: Services,
) -> None:
    await load_points(services)  # XH01 and JH02 in Jinghu, YJ03 in Yijiang
    jinghu = await staff(services, "Wu Min", "admin", None, region="Jinghu")
    await staff(services, "Li Wei", point="XH01")
    await staff(services, "Chen Gang", point="YJ03")
    near = await resident(services, "Zhang")
    far = await resident(services, "Zhao", "YJ03")
    await fail_everything(services, "sent", "")
    await file_case(services, near)
    await file_case(services, far)
    # The cards to both cadres fail: the cadres blocked the bot (the residents' own
    # confirmations went through).
    await fail_everything(
        services,
        "blocked",
        "Forbidden: bot was blocked by the user",
        spare=frozenset({near.tg_id, far.tg_id}),
    )
    admin = office(services)
    mine = await admin.delivery.dead(jinghu.user_id)
    everything = await admin.delivery.dead(Operator())
    assert everything.total == 2 and mine.total == 1
    assert (mine.rows[0].case_no, mine.rows[0].recipient) == ("2026-0001", "Li Wei")
    other = next(r for r in everything.rows if r.case_no == "2026-0002")
    with pytest.raises(NotAllowed) as refused:
        await admin.delivery.retry(jinghu.user_id, other.id)
    assert refused.value.key == "admin.out_of_scope"
    assert (await rows(services))[other.id].status == "dead"
    assert await admin.delivery.dead_ids(jinghu.user_id) == [mine.rows[0].id]
    # The cadres are marked as having blocked the bot; each region sees its own.
    assert [r.name for r in (await admin.delivery.blocked(jinghu.user_id)).rows] == ["Li Wei"]
    assert (await admin.delivery.blocked(Operator())).total == 2


async def test_blocked_residents_are_listed_with_their_point(services: Services) -> None:
    await load_points(services)
    jinghu = await staff(services, "Wu Min", "admin", None, region="Jinghu")
    near = await resident(services, "Zhang")
    far = await resident(services, "Zhao", "YJ03")
    for person in (near, far):
        await services.people.set_reachable(person.tg_id, False)
    admin = office(services)
    everyone = await admin.delivery.blocked(Operator())
    assert sorted((r.name, r.point) for r in everyone.rows) == [
        ("Zhang", "Xinhua Street"),
        ("Zhao", "Yijiang Village"),
    ]
    mine = await admin.delivery.blocked(jinghu.user_id)
    assert [r.name for r in mine.rows] == ["Zhang"]
    overview = await admin.overview(jinghu.user_id)
    assert (overview.blocked, overview.points, overview.region) == (1, 2, "Jinghu")


async def test_whom_a_tip_off_went_to_is_not_shown(services: Services) -> None:
    await load_points(services)
    res = await resident(services, "Zhang")
    async with services.ctx.db.write() as session:
        for key in ("tipoff1:ack", "tipmsg3:0", "notice1:u1"):
            await enqueue(
                session,
                services.ctx.clock.now(),
                key=key,
                chat_id=res.tg_id,
                payload=text_message("about your report"),
                recipient_user_id=res.user_id,
            )
    await fail_everything(services, "dead", "Bad Request: chat not found")
    page = await office(services).delivery.dead(Operator())
    # The ordinary message names its recipient; the tip-off's two are not listed or counted
    # at all (next to the blocked list, even an unnamed line would tell who reported).
    assert [r.recipient for r in page.rows] == ["Zhang"] and page.total == 1
