"""A relayed message claimed for this process's sender in the write that stores it
(``services/dispatch.py``): leased in that write, handed over only once it commits, given
back when it rolls back, and never taken out of its chat's order. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

import pytest
from aiogram import Bot
from sqlmodel import select

from bot.sender import OutboxSender
from models.tables import Outbox
from services.app import Services
from services.outbox import Claimed
from tests.factories import Person, load_points, resident, staff
from tests.unit.test_cases import deliver_all, file, outbox, text


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


@pytest.fixture
async def county(services: Services) -> dict[str, Person]:
    await load_points(services)
    return {
        "cadre": await staff(services, "Li Wei", title="Deputy head"),
        "resident": await resident(services, "Zhang San"),
    }


class Hands:
    """A sender with ``slots`` free slots, recording what it is given."""

    channel = "telegram"
    worker_id = "here"
    lease = timedelta(seconds=60)

    def __init__(self, services: Services, slots: int = 10) -> None:
        self.slots = slots
        self.reserved = 0
        self.taken: list[Claimed] = []
        self.wakes = 0  # commits that woke the sender
        services.ctx.db.on_outbox_commit(self.wake)

    def wake(self) -> None:
        self.wakes += 1

    def reserve(self) -> bool:
        if self.reserved >= self.slots:
            return False
        self.reserved += 1
        return True

    def unreserve(self) -> None:
        self.reserved -= 1

    def take(self, row: Claimed) -> None:
        self.reserved -= 1
        self.taken.append(row)


@pytest.fixture
def hands(services: Services) -> Hands:
    hands = Hands(services)
    services.ctx.dispatch = hands
    return hands


async def test_a_follow_up_is_leased_to_the_sender_and_handed_over_after_its_commit(
    services: Services, county: dict[str, Person], hands: Hands
) -> None:
    res, cadre = county["resident"], county["cadre"]
    filed = await file(services, res, [text(1, res.tg_id, "No water")])
    assert hands.wakes >= 1 and not hands.taken  # a filing's card is no relay: it wakes
    await _send_all(services)  # the card to the cadre sent: the follow-up is the chat's head
    wakes = hands.wakes

    await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, "Still none"))

    row = (await outbox(services, cadre.tg_id))[-1]
    assert (row.status, row.locked_by, row.attempts) == ("sending", "here", 1)
    assert row.locked_until is not None and row.locked_until > row.created_at
    assert [t.id for t in hands.taken] == [row.id]
    taken = hands.taken[0]
    assert (taken.chat_id, taken.case_id, taken.event_id, taken.dedupe_key) == (
        cadre.tg_id, filed.case.id, row.event_id, row.dedupe_key,
    )  # fmt: skip
    assert taken.payload == row.payload and "Still none" in taken.payload["text"]
    assert hands.reserved == 0
    # Nothing left for the sender's claim: the commit did not wake it.
    assert hands.wakes == wakes
    # The sender's usual claim finds nothing to take.
    assert await services.outbox("other").claim(10) == []


async def test_the_row_is_handed_over_only_once_committed(
    services: Services, county: dict[str, Person], hands: Hands
) -> None:
    res = county["resident"]
    filed = await filed_and_sent(services, res)
    real_relay = services.cases.mail.relay
    in_write: list[tuple[int, int]] = []

    async def relay(*args: Any, **kwargs: Any) -> None:
        await real_relay(*args, **kwargs)
        # Claimed, and not yet handed over: the write has not committed.
        in_write.append((len(hands.taken), hands.reserved))

    services.cases.mail.relay = relay  # type: ignore[method-assign]
    await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, "More"))
    assert in_write == [(0, 1)]
    assert len(hands.taken) == 1 and hands.reserved == 0


async def test_a_rolled_back_write_gives_the_slot_back_and_hands_nothing(
    services: Services, county: dict[str, Person], hands: Hands
) -> None:
    res, cadre = county["resident"], county["cadre"]
    filed = await filed_and_sent(services, res)
    before = await outbox(services, cadre.tg_id)
    real_relay = services.cases.mail.relay

    class Boom(Exception):
        pass

    async def relay(*args: Any, **kwargs: Any) -> None:
        await real_relay(*args, **kwargs)
        assert hands.reserved == 1
        raise Boom  # after the claim, before the commit

    services.cases.mail.relay = relay  # type: ignore[method-assign]
    with pytest.raises(Boom):
        await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, "x"))
    assert hands.reserved == 0 and hands.taken == []
    assert len(await outbox(services, cadre.tg_id)) == len(before)


async def test_the_same_message_again_hands_nothing_and_holds_no_slot(
    services: Services, county: dict[str, Person], hands: Hands
) -> None:
    """A redelivered update: its event is already stored (on PostgreSQL the statement that
    would claim the row fails), so nothing is handed and the slot is not kept."""
    res = county["resident"]
    filed = await filed_and_sent(services, res)
    for _ in range(3):
        await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, "Again"))
    assert len(hands.taken) == 1 and hands.reserved == 0


async def test_a_row_behind_an_unsent_one_in_its_chat_waits_for_the_sender(
    services: Services, county: dict[str, Person], hands: Hands
) -> None:
    """The filing's card to the cadre is still unsent: the follow-up to that chat stays
    pending behind it, and the commit wakes the sender for it."""
    res, cadre = county["resident"], county["cadre"]
    services.ctx.dispatch = None
    filed = await file(services, res, [text(1, res.tg_id, "No water")])
    services.ctx.dispatch = hands
    card = (await outbox(services, cadre.tg_id))[-1]
    assert card.status == "pending"
    wakes = hands.wakes
    await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, "More"))
    row = (await outbox(services, cadre.tg_id))[-1]
    assert row.id > card.id and (row.status, row.locked_by, row.attempts) == ("pending", None, 0)
    assert hands.taken == [] and hands.reserved == 0
    assert hands.wakes == wakes + 1


async def test_without_a_free_slot_the_row_waits_for_the_sender(
    services: Services, county: dict[str, Person], hands: Hands
) -> None:
    res, cadre = county["resident"], county["cadre"]
    filed = await filed_and_sent(services, res)
    hands.slots = 0
    wakes = hands.wakes
    await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, "More"))
    row = (await outbox(services, cadre.tg_id))[-1]
    assert row.status == "pending" and hands.taken == []
    assert hands.wakes == wakes + 1


async def test_a_message_in_two_parts_hands_over_the_first_and_wakes_for_the_second(
    services: Services, county: dict[str, Person], hands: Hands
) -> None:
    res, cadre = county["resident"], county["cadre"]
    filed = await filed_and_sent(services, res)
    wakes = hands.wakes
    long = "y" * 4090
    await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, long))
    first, second = (await outbox(services, cadre.tg_id))[-2:]
    assert first.dedupe_key.endswith(":0") and second.dedupe_key.endswith(":1")
    assert (first.status, second.status) == ("sending", "pending")
    assert [t.id for t in hands.taken] == [first.id]
    assert hands.wakes == wakes + 1
    # The second is its chat's head only once the first is recorded.
    assert await services.outbox("other").claim(10) == []


async def test_another_channels_chat_is_left_to_its_own_sender(
    services: Services, county: dict[str, Person], hands: Hands
) -> None:
    res = county["resident"]
    filed = await filed_and_sent(services, res)
    hands.channel = "wechat"
    await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, "More"))
    assert hands.taken == [] and hands.reserved == 0


async def filed_and_sent(services: Services, res: Person) -> Any:
    """A case filed, its card and confirmation sent: a follow-up is then its chat's head."""
    filed = await file(services, res, [text(1, res.tg_id, "No water")])
    await _send_all(services)
    return filed


async def _send_all(services: Services) -> None:
    """Everything queued so far recorded as sent (the card and confirmation of a filing)."""
    await deliver_all(services)
    async with services.ctx.db.read() as session:
        unsent = (
            await session.execute(select(Outbox).where(Outbox.status.in_(["pending", "sending"])))  # type: ignore[attr-defined]
        ).all()
    assert unsent == []


async def test_a_running_sender_sends_the_handed_row_without_claiming_it(
    services: Services, county: dict[str, Person]
) -> None:
    from tests.unit.test_sender import FakeBot

    res, cadre = county["resident"], county["cadre"]
    filed = await filed_and_sent(services, res)
    bot = FakeBot(latency=0)
    store = services.outbox("w")
    sender = OutboxSender(store, cast(Bot, bot), concurrency=4, poll_seconds=30)
    assert not sender.reserve()  # not running: nothing is claimed for it
    services.ctx.dispatch = sender
    claims = 0
    real_claim = store.claim_due

    async def claim_due(limit: int, **kw: Any) -> Any:
        nonlocal claims
        claims += 1
        return await real_claim(limit, **kw)

    store.claim_due = claim_due  # type: ignore[method-assign]
    task = asyncio.create_task(sender.run())
    try:
        for _ in range(100):
            if claims:
                break
            await asyncio.sleep(0.01)
        assert claims == 1  # its first claim, at start; then it sleeps (poll: 30 s)
        outcome = sender.watch_case(filed.case.id, res.tg_id)
        await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, "Help"))
        result = await asyncio.wait_for(outcome, 10)
    finally:
        await sender.stop()
        await task
    assert result.outcome == "sent" and bot.sent == [cadre.tg_id]
    assert claims == 1  # sent without a claim of its own
    row = (await outbox(services, cadre.tg_id))[-1]
    assert (row.status, row.locked_by) == ("sent", None)


async def test_a_sender_reserves_only_free_slots_and_nothing_once_stopping(
    services: Services,
) -> None:
    from tests.unit.test_sender import FakeBot

    sender = OutboxSender(services.outbox("w"), cast(Bot, FakeBot()), concurrency=4)
    task = asyncio.create_task(sender.run())
    await asyncio.sleep(0.05)
    try:
        assert sender.reserve() and sender.reserve()
        # Half its slots held: the rest are left to its claims (a notice's rows, cards).
        assert not sender.reserve()
        sender.unreserve()
        assert sender.reserve()
        sender.unreserve()
        sender.unreserve()
    finally:
        await sender.stop()
        await task
    assert not sender.reserve()


async def test_a_row_handed_to_a_stopping_sender_is_not_sent_and_given_back(
    services: Services, county: dict[str, Person]
) -> None:
    """Shutdown begins between the claim and the commit: the sender sends nothing more, and
    its shutdown gives the row back for the next process (nothing lost, nothing twice)."""
    from tests.unit.test_sender import FakeBot

    res, cadre = county["resident"], county["cadre"]
    filed = await filed_and_sent(services, res)
    bot = FakeBot(latency=0)
    sender = OutboxSender(services.outbox("w"), cast(Bot, bot), poll_seconds=30)
    task = asyncio.create_task(sender.run())
    await asyncio.sleep(0.05)
    services.ctx.dispatch = sender
    real_relay = services.cases.mail.relay
    leased: list[bool] = []

    async def relay(*args: Any, **kwargs: Any) -> None:
        await real_relay(*args, **kwargs)
        leased.append(sender._reserved == 1)
        await sender.stop()

    services.cases.mail.relay = relay  # type: ignore[method-assign]
    await services.cases.follow_up(res.user_id, filed.case.id, text(2, res.tg_id, "Late"))
    await task
    assert leased == [True]
    assert bot.sent == []
    row = (await outbox(services, cadre.tg_id))[-1]
    assert (row.status, row.locked_by, row.attempts) == ("pending", None, 0)
