"""Tip-offs: to the inspectors of the region only, never to the cadres or anyone named; the
anonymous reporter known only by an encrypted link and a receipt code."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from models.tables import Outbox
from models.tipoffs import TipOff, TipOffMessage
from services.app import Services
from services.clock import FakeClock
from services.context import Context
from services.errors import Invalid, NotAllowed, NotFound
from services.outbox import Result
from services.parts import Part
from services.tipoffs import TipOffs
from tests.factories import load_points, resident, staff


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


def said(chat: int, n: int, text: str) -> Part:
    return Part(chat_id=chat, message_id=n, kind="text", text=text)


async def rows(services: Services) -> list[Outbox]:
    async with services.ctx.db.read() as session:
        return list((await session.execute(select(Outbox).order_by(Outbox.id))).scalars())


async def county(services: Services):  # type: ignore[no-untyped-def]
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    inspector = await staff(services, "Chen Jing", "inspector", point=None, region="Jinghu")
    other_inspector = await staff(services, "Zhou Min", "inspector", point=None, region="Jinghu")
    far = await staff(services, "Far Away", "inspector", point=None, region="Yijiang")
    res = await resident(services, "Zhang San")
    return cadre, inspector, other_inspector, far, res


async def test_anonymous_report_is_sealed(services: Services) -> None:
    cadre, inspector, _, far, res = await county(services)
    filed = await services.tipoffs.file(
        res.user_id,
        named=False,
        concerns=[],
        parts=[said(res.tg_id, 5, "The clerk asks for bribes")],
    )
    assert filed.public_no == "J2026-0001"
    assert filed.receipt is not None and len(filed.receipt) == 11
    async with services.ctx.db.read() as session:
        tip = (await session.execute(select(TipOff))).scalar_one()
        message = (await session.execute(select(TipOffMessage))).scalar_one()
    assert tip.reporter_user_id is None
    assert tip.reporter_link is not None and str(res.tg_id) not in tip.reporter_link
    assert tip.receipt_hash is not None and filed.receipt not in tip.receipt_hash
    assert message.author_user_id is None
    assert message.source_key is not None and str(res.tg_id) not in message.source_key
    outbox = await rows(services)
    cards = [r for r in outbox if r.payload["type"] == "text" and "J2026-0001" in r.payload["text"]]
    assert [r.chat_id for r in cards] == [inspector.tg_id]
    assert "Zhang San" not in cards[0].payload["text"]  # an alias only
    assert tip.alias in cards[0].payload["text"]
    assert all(r.chat_id not in (cadre.tg_id, far.tg_id) for r in cards)


async def test_the_receipt_code_opens_the_report_and_nothing_else(services: Services) -> None:
    _, inspector, _, _, res = await county(services)
    filed = await services.tipoffs.file(
        res.user_id, named=False, concerns=[], parts=[said(res.tg_id, 5, "x")]
    )
    assert filed.receipt is not None
    view = await services.tipoffs.by_receipt(filed.receipt.lower().replace("-", " "))
    assert view.public_no == "J2026-0001"
    with pytest.raises(NotFound):
        await services.tipoffs.by_receipt("AAAAA-AAAAA")
    with pytest.raises(NotFound):  # not by account: an anonymous report has no owner
        await services.tipoffs.add_from_reporter(
            view.id, said(res.tg_id, 6, "more"), reporter_user_id=res.user_id
        )
    await services.tipoffs.add_from_reporter(
        view.id, said(res.tg_id, 6, "more"), receipt=filed.receipt
    )
    thread = await services.tipoffs.thread(view.id, inspector_user_id=inspector.user_id)
    assert [m.text for m in thread] == ["x", "more"]


async def test_the_named_official_never_receives_it(services: Services) -> None:
    _, inspector, other, _, res = await county(services)
    filed = await services.tipoffs.file(
        res.user_id,
        named=True,
        concerns=[inspector.actor.staff_id or 0],
        parts=[said(res.tg_id, 5, "About Chen Jing")],
    )
    cards = [r for r in await rows(services) if "J2026-0001" in r.payload.get("text", "")]
    assert [r.chat_id for r in cards] == [other.tg_id]
    async with services.ctx.db.read() as session:
        tip = (await session.execute(select(TipOff))).scalar_one()
    with pytest.raises(NotFound):  # even if they look for it
        await services.tipoffs.for_inspector(inspector.user_id, tip.id or 0)
    assert filed.receipt is None


async def test_cadres_and_residents_cannot_reach_tipoffs(services: Services) -> None:
    cadre, _, _, _, res = await county(services)
    filed = await services.tipoffs.file(
        res.user_id, named=True, concerns=[], parts=[said(res.tg_id, 5, "x")]
    )
    assert filed.public_no
    for user in (cadre.user_id, res.user_id):
        with pytest.raises(NotAllowed):
            await services.tipoffs.queue(user)
        with pytest.raises(NotAllowed):
            await services.tipoffs.for_inspector(user, 1)
    other = await resident(services, "Zhao")
    with pytest.raises(NotFound):  # another resident, by account
        await services.tipoffs.thread(1, reporter_user_id=other.user_id)


async def test_inspector_replies_reach_the_anonymous_reporter_and_are_scrubbed(
    services: Services,
) -> None:
    _, inspector, _, _, res = await county(services)
    await services.tipoffs.file(
        res.user_id, named=False, concerns=[], parts=[said(res.tg_id, 5, "x")]
    )
    await services.tipoffs.reply(inspector.user_id, 1, said(inspector.tg_id, 77, "When?"))
    to_reporter = [r for r in await rows(services) if r.chat_id == res.tg_id]
    assert len(to_reporter) == 1 and "When?" in to_reporter[0].payload["text"]
    assert "Chen Jing" not in to_reporter[0].payload["text"]
    store = services.outbox("w")
    while claimed := await store.claim(50):
        await store.complete(
            [Result(c.id, "sent", message_id=900 + c.id, claimed=c) for c in claimed]
        )
    assert not [r for r in await rows(services) if r.chat_id == res.tg_id]
    sealed = [r for r in await rows(services) if r.payload == {"type": "sealed"}]
    assert len(sealed) >= 2  # the card (it copied nothing) and the reply
    assert all(r.chat_id == 0 for r in sealed)


async def test_named_reports_have_an_acknowledgement_deadline(
    services: Services, clock: FakeClock
) -> None:
    _, inspector, _, _, res = await county(services)
    await services.tipoffs.file(
        res.user_id, named=True, concerns=[], parts=[said(res.tg_id, 5, "x")]
    )
    async with services.ctx.db.read() as session:
        tip = (await session.execute(select(TipOff))).scalar_one()
    assert tip.due_ack_at is not None
    # 15 working days from Monday 2 March: Monday 23 March, same time.
    assert tip.due_ack_at.isoformat().startswith("2026-03-23")
    clock.set(tip.due_ack_at)
    await services.reminders.tick()
    assert any(
        "due to be acknowledged" in r.payload.get("text", "")
        for r in await rows(services)
        if r.chat_id == inspector.tg_id
    )
    await services.tipoffs.accept(inspector.user_id, tip.id or 0)
    with pytest.raises(Invalid):
        await services.tipoffs.accept(inspector.user_id, tip.id or 0)


async def test_without_a_key_anonymous_reports_are_off(services: Services) -> None:
    _, _, _, _, res = await county(services)
    ctx = services.ctx
    keyless = TipOffs(Context(ctx.db, replace(ctx.config, tipoff_key=None), ctx.clock, ctx.texts))
    with pytest.raises(Invalid) as refused:
        await keyless.file(res.user_id, named=False, concerns=[], parts=[said(res.tg_id, 5, "x")])
    assert refused.value.key == "tipoff.anonymous_off"
    assert (
        await keyless.file(res.user_id, named=True, concerns=[], parts=[said(res.tg_id, 6, "x")])
    ).public_no


async def test_a_redelivered_report_is_filed_once(services: Services) -> None:
    _, _, _, _, res = await county(services)
    await services.tipoffs.file(
        res.user_id, named=False, concerns=[], parts=[said(res.tg_id, 5, "x")]
    )
    with pytest.raises(Invalid):
        await services.tipoffs.file(
            res.user_id, named=False, concerns=[], parts=[said(res.tg_id, 5, "x")]
        )
    async with services.ctx.db.read() as session:
        assert len((await session.execute(select(TipOff))).scalars().all()) == 1


async def test_a_report_waits_for_an_inspector_and_follows_a_suspended_one(
    services: Services,
) -> None:
    """Filed before any inspector joined: it goes to the first who does, photo and all (by
    file id — the anonymous reporter's chat is sealed). Suspending that inspector hands it on."""
    from services.administration import Administration

    await load_points(services)
    boss = await staff(services, "Boss", "admin", None)
    res = await resident(services, "Zhang San")
    photo = Part(chat_id=res.tg_id, message_id=6, kind="photo", file_id="PHOTO-1", text="proof")
    filed = await services.tipoffs.file(
        res.user_id, named=False, concerns=[], parts=[said(res.tg_id, 5, "Bribes"), photo]
    )
    assert filed.assigned is False
    assert await services.tipoffs.route_waiting() == 0  # still nobody to give it to

    first = await staff(services, "Chen Jing", "inspector", point=None, region="Jinghu")
    assert await services.tipoffs.route_waiting() == 1
    assert await services.tipoffs.route_waiting() == 0  # handed on once
    to_first = [
        r for r in await rows(services) if r.chat_id == first.tg_id and "tipoff_link" in r.payload
    ]
    assert "J2026-0001" in to_first[0].payload["text"] and "Bribes" in to_first[0].payload["text"]
    assert [(r.payload["type"], r.payload.get("file_id")) for r in to_first[1:]] == [
        ("photo", "PHOTO-1")
    ]
    assert "proof" in to_first[1].payload["caption"]
    assert all(str(res.tg_id) not in str(r.payload) for r in to_first)

    second = await staff(services, "Zhou Min", "inspector", point=None, region="Jinghu")
    async with services.ctx.db.read() as session:
        first_id = (await session.execute(select(TipOff.assignee_id))).scalar_one()
    await Administration(services.ctx).staff.suspend(boss.user_id, first_id)
    async with services.ctx.db.read() as session:
        tip = (await session.execute(select(TipOff))).scalar_one()
    to_second = [
        r for r in await rows(services) if r.chat_id == second.tg_id and "tipoff_link" in r.payload
    ]
    assert tip.assignee_id != first_id and "J2026-0001" in to_second[0].payload["text"]
    assert (await services.tipoffs.queue(second.user_id))[0].public_no == "J2026-0001"
