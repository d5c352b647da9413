"""Tip-offs that stay safe at the edges: anonymous reporting switched off (an old or forged
button is refused at once, nothing written is lost), delivery problems that never show a
reporter, and a swipe-reply to a case that goes to the case whatever step is open."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models.tipoffs import TipOff
from services.admin_access import Operator
from services.administration import Administration
from services.errors import NotAllowed
from services.outbox import Result
from services.parts import Part
from services.sealing import Sealer
from tests.harness import Person, World, file_case, register_resident, t


async def write_report(res: Person, how: str, text: str) -> None:
    """/report, the way chosen (a button's catalog key), about nobody in particular, one text."""
    await res.send("/report")
    await res.press(t("en", how))
    await res.press(t("en", "btn.tip_nobody"))
    await res.send(text)


def switch_anonymous_off(world: World) -> None:
    world.app.services.tipoffs.sealer = Sealer(None)


async def test_report_says_nothing_of_anonymity_when_it_is_off(world: World, county) -> None:
    switch_anonymous_off(world)
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    await res.send("/report")
    assert res.last_text() == t("en", "tipoff.who_sees_named_only")
    assert "Anonymously" not in res.last_text() and "receipt code" not in res.last_text()
    assert t("en", "btn.report_anonymous") not in str(res.last().get("reply_markup"))
    await res.send("/help")
    assert "/report" in res.last_text() and "anonym" not in res.last_text().lower()


async def test_an_old_anonymous_button_is_refused_when_pressed(world: World, county) -> None:
    _cadre, inspector = county
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    await res.send("/report")  # shown while anonymous reporting was on
    switch_anonymous_off(world)
    await res.press(t("en", "btn.report_anonymous"))
    assert res.last_text() == t("en", "tipoff.anonymous_refused")
    # The named route is offered, right there.
    await res.press(t("en", "btn.report_named"))
    await res.press(t("en", "btn.tip_nobody"))
    await res.send("The clerk asks for money")
    await res.press(t("en", "btn.done"))
    await res.press(t("en", "btn.send"))
    assert "J2026-0001" in res.last_text()
    assert "The clerk asks for money" in inspector.last_text()


async def test_an_anonymous_report_begun_before_the_switch_is_kept(world: World, county) -> None:
    _cadre, inspector = county
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    await write_report(res, "btn.report_anonymous", "A long account of what happened at the office")
    switch_anonymous_off(world)
    await res.press(t("en", "btn.done"))
    assert res.last_text() == t("en", "tipoff.anonymous_refused_kept", count=1)
    await res.press(t("en", "btn.send_named"))
    assert "J2026-0001" in res.last_text() and "under your name" in res.last_text()
    card = inspector.last_text()
    assert "A long account of what happened" in card and "Zhang San" in card


async def test_delivery_problems_never_show_a_tipoff_message(world: World, county) -> None:
    services = world.app.services
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    await write_report(res, "btn.report_anonymous", "Something about the office")
    await res.press(t("en", "btn.done"))
    await res.press(t("en", "btn.send"))
    # The inspector's question to the reporter fails, and the reporter is the one person
    # who blocked the bot.
    _cadre, inspector = county
    async with services.ctx.db.read() as session:
        tip = (await session.execute(select(TipOff))).scalar_one()
    chen = await services.people.actor(inspector.id, inspector.id, "Chen Jing", "en")
    await services.tipoffs.reply(
        chen.uid, tip.id or 0, Part(chat_id=inspector.id, message_id=9999, kind="text", text="?")
    )
    store = services.outbox("failing")
    claimed = await store.claim(100)
    assert claimed
    await store.complete(
        [Result(c.id, "dead", error="Forbidden: blocked", claimed=c) for c in claimed]
    )
    admin = Administration(services.ctx).delivery
    page = await admin.dead(Operator())
    assert page.total == 0 and page.rows == []
    assert await admin.dead_ids(Operator()) == []
    with pytest.raises(NotAllowed):  # not even by its id
        await admin.retry(Operator(), claimed[0].id)


async def test_a_swipe_reply_to_a_case_wins_after_a_wrong_receipt_code(
    world: World, county
) -> None:
    cadre, _ = county
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    await file_case(res, "The lift is broken")
    confirmation = res.bot_messages()[-1]
    await res.send("/tipoff")
    await res.send("ZZZZZ-ZZZZZ")
    assert res.last_text() == t("en", "tipoff.receipt_unknown")
    await res.reply(confirmation, "It is on the third floor")
    assert res.last_text().startswith("✓") and "2026-0001" in res.last_text()
    assert "It is on the third floor" in cadre.last_text()
    # The code entry is still open for a code.
    await res.send("YYYYY-YYYYY")
    assert res.last_text() == t("en", "tipoff.receipt_unknown")


async def test_a_swipe_reply_to_a_case_wins_while_writing_a_report(world: World, county) -> None:
    cadre, inspector = county
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    await file_case(res, "The lift is broken")
    confirmation = res.bot_messages()[-1]
    await write_report(res, "btn.report_named", "The clerk asks for money")
    await res.reply(confirmation, "It is on the third floor")
    assert "It is on the third floor" in cadre.last_text()
    await res.press(t("en", "btn.done"), message=res.bot_messages()[-3])
    await res.press(t("en", "btn.send"))
    assert "It is on the third floor" not in inspector.transcript()
    assert "The clerk asks for money" in inspector.transcript()
