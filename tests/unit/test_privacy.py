"""/mydata, /forget and retention: what is kept, what is erased, what stays anonymous."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from models.tables import Case, CaseEvent, MessageLink, Outbox, User
from services.app import Services
from services.clock import FakeClock
from services.errors import NotAllowed, NotFound
from tests.factories import load_points, resident, staff
from tests.unit.test_cases import file, text


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


async def test_export_holds_everything_about_the_person(services: Services) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    res = await resident(services, "Zhang San")
    await services.people.set_phone(res.user_id, "+86 138 0000 0000")
    filed = await file(services, res, [text(1, res.tg_id, "No water")])
    await services.lifecycle.note(cadre.user_id, filed.case.id, "internal remark")
    await services.tipoffs.file(
        res.user_id, named=True, concerns=[], parts=[text(2, res.tg_id, "A bribe")]
    )
    data = json.loads(await services.privacy.export(res.user_id))
    assert data["you"]["name"] == "Zhang San" and data["you"]["phone"] == "+8613800000000"
    assert data["contact_point"]["code"] == "XH01"
    assert data["cases"][0]["number"] == "2026-0001"
    texts = [e["text"] for e in data["cases"][0]["events"]]
    assert "No water" in texts and "internal remark" not in texts
    assert data["named_tipoffs"][0]["summary"] == "A bribe"


async def test_forget_erases_the_person_and_keeps_cases_anonymous(services: Services) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    res = await resident(services, "Zhang San")
    await services.people.set_phone(res.user_id, "+8613800000000")
    filed = await file(services, res, [text(1, res.tg_id, "No water")])
    await services.cases.link_message(res.tg_id, 99, filed.case.id)
    await services.lifecycle.accept(cadre.user_id, filed.case.id)  # a pending notice to them
    await services.privacy.forget(res.user_id)
    async with services.ctx.db.read() as session:
        user = await session.get(User, res.user_id)
        case = await session.get(Case, filed.case.id)
        events = (await session.execute(select(CaseEvent))).scalars().all()
        links = (await session.execute(select(MessageLink))).scalars().all()
        outbox = (
            (await session.execute(select(Outbox).where(Outbox.chat_id == res.tg_id)))
            .scalars()
            .all()
        )
    assert user is not None and user.erased_at is not None
    assert (user.name, user.phone, user.chat_id) == ("", None, 0)
    assert user.tg_id != res.tg_id
    assert case is not None and case.summary == "No water"  # the record stays…
    assert case.source_chat_id != res.tg_id  # …without the link to their chat
    assert all(e.source_chat_id != res.tg_id for e in events)
    assert links == [] and outbox == []
    detail = await services.cases.for_staff(cadre.user_id, filed.case.id)
    assert detail.case.resident_name == "" and detail.case.resident_phone is None
    # The cadre's answer stays on the case; nothing is queued to a chat that no longer exists.
    answered = await services.cases.reply(
        cadre.user_id, filed.case.id, text(7, cadre.tg_id, "On it")
    )
    assert answered.resident_chat_id is None
    async with services.ctx.db.read() as session:
        assert (
            await session.execute(select(Outbox.status).where(Outbox.chat_id == 0))
        ).scalars().all() == ["cancelled", "cancelled"]  # what /forget cancelled, no more
    # They are a stranger now: the next /start is a fresh registration.
    actor = await services.people.actor(res.tg_id, res.tg_id, "Zhang San", "en")
    assert not actor.registered
    with pytest.raises(NotFound):
        await services.privacy.export(res.user_id)


async def test_staff_cannot_forget_while_serving(services: Services) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    with pytest.raises(NotAllowed):
        await services.privacy.forget(cadre.user_id)


async def test_retention_strips_old_closed_cases(services: Services, clock: FakeClock) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    res = await resident(services, "Zhang San")
    old = await file(services, res, [text(1, res.tg_id, "Old matter")])
    recent = await file(services, res, [text(2, res.tg_id, "Recent matter")])
    await services.lifecycle.close(cadre.user_id, old.case.id, "duplicate", "same as before")
    clock.advance(days=services.ctx.config.retention_days + 1)
    await services.lifecycle.close(cadre.user_id, recent.case.id, "duplicate", "again")
    assert await services.privacy.purge_expired() == 1
    assert await services.privacy.purge_expired() == 0
    async with services.ctx.db.read() as session:
        purged = await session.get(Case, old.case.id)
        kept = await session.get(Case, recent.case.id)
        old_events = (
            (await session.execute(select(CaseEvent).where(CaseEvent.case_id == old.case.id)))
            .scalars()
            .all()
        )
    assert purged is not None and purged.resident_id is None and purged.summary == ""
    assert purged.status == "closed" and purged.close_reason == "duplicate"  # figures stay
    assert all(e.text is None for e in old_events)
    assert kept is not None and kept.resident_id == res.user_id
