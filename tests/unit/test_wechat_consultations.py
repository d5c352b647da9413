"""Consultations on WeChat (issue 16): the invitation reaches a WeChat resident, who answers one
question at a time by number (single, "1,3", the scale, a number, free text), with back/skip,
a summary and Submit; changes until the deadline, refused after; an anonymous consultation's
screens sealed and its answers final; both languages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlmodel import col

from models.consultations import ConsultSubmission
from models.tables import Outbox
from services.app import Services
from services.consultations import parse_form
from services.outbox import Button, enqueue, text_message
from tests import factories
from tests.unit.test_consultations import FORM
from tests.unit.test_wechat_residents import FakeApi, Resident, _register
from wechat.sender import WeChatSender


@pytest.fixture
async def cadre(services: Services) -> factories.Person:
    await factories.load_points(services)
    return await factories.staff(services, "Li Wei", "cadre", "XH01")


async def _consultation(services: Services, cadre: factories.Person, anonymous: bool) -> int:
    source = FORM.replace("{anonymous}", "true" if anonymous else "false")
    form = parse_form(source, "en", "Asia/Shanghai", services.ctx.clock.now())
    cid = await services.consultations.create(cadre.user_id, form)
    await services.consultations.tick()
    return cid


async def _english(services: Services, openid: str) -> Resident:
    resident = Resident(services, openid)
    await resident.event("subscribe", "qrscene_cp_XH01")
    if "Privacy" not in await resident.last_text():
        await resident.say("3")  # the other language
    await resident.say("1")
    return resident


async def _answers(services: Services) -> list[dict[str, Any]]:
    async with services.ctx.db.read() as session:
        rows = (await session.execute(select(col(ConsultSubmission.answers)))).scalars()
        return [dict(r) for r in rows]


def _choices(row: Outbox) -> list[str]:
    return [b["label"] for line in row.payload.get("buttons", []) for b in line]


async def test_named_answered_by_numbers_changed_then_refused_after_the_deadline(
    services: Services, cadre: factories.Person
) -> None:
    resident = await _english(services, "oConsultEnglish00000000000001")
    cid = await _consultation(services, cadre, anonymous=False)
    invitation = (await resident.rows())[-1]
    assert invitation.channel == "wechat" and "Xinhua Street" in invitation.payload["text"]
    assert [b["action"] for line in invitation.payload["buttons"] for b in line] == ["cs_open"]

    await resident.say("1")  # ✍️ Answer
    screen = (await resident.rows())[-1]
    assert "What first?" in screen.payload["text"]
    assert _choices(screen) == ["Lamps", "Benches", "Trees"]
    await resident.say("hello")  # not a number of the screen: asked again, nothing moves
    assert "one of the numbers" in await resident.last_text()
    await resident.say("2")  # Benches
    assert "What else?" in await resident.last_text()
    await resident.say("1,7")  # no seventh option: refused, the question stays
    assert "What else?" not in await resident.last_text()
    await resident.say("1，2")  # Paint and Signs at once
    assert "How urgent?" in await resident.last_text()
    await resident.say("4")
    assert "How many lamps?" in await resident.last_text()
    await resident.say("back")  # the previous question again
    assert "How urgent?" in await resident.last_text()
    await resident.say("5")
    await resident.say("a dozen")  # not a number: refused
    assert "How many lamps?" not in await resident.last_text()
    await resident.say("0")  # zero is an answer here, not "cancel"
    assert "Anything else?" in await resident.last_text()
    await resident.say("skip")
    summary = (await resident.rows())[-1]
    assert "Benches" in summary.payload["text"] and "Paint, Signs" in summary.payload["text"]
    assert _choices(summary)[0] == "📨 Submit"
    # Another message with choices arriving meanwhile (a notice) does not change what "1"
    # means: the summary's choices hold.
    notice = text_message("Water is off", [[Button("Read", "notice_open", 1)]])
    now, address = services.ctx.clock.now(), await resident.address()
    async with services.ctx.db.write() as session:
        await enqueue(session, now, key="n1", chat_id=address, payload=notice)
    await resident.say("1")
    assert "your answers are in" in await resident.last_text()
    assert await _answers(services) == [{"0": 1, "1": [0, 1], "2": 5, "3": 0, "4": None}]

    # Changed before the deadline, from the list; a click on the screen's menu answers too.
    await resident.say("consultations")
    assert "(you answered)" in await resident.last_text()
    await resident.say("1")
    screen = (await resident.rows())[-1]
    assert "🔘 Benches" in _choices(screen)
    await resident.push(  # a click on "1. Lamps" of this screen's menu
        {
            "MsgType": "text",
            "Content": "1. Lamps",
            "MsgId": "9001",
            "bizmsgmenuid": f"{screen.id}01",
        }
    )
    assert "What else?" in await resident.last_text()
    await resident.push(  # a click on the older screen's menu is not taken as this one's
        {"MsgType": "text", "Content": "2. x", "MsgId": "9002", "bizmsgmenuid": f"{screen.id}02"}
    )
    assert "What else?" not in await resident.last_text()
    for answer in ("3", "2", "12", "More light", "1"):  # Done (kept), 2, 12, words, Submit
        await resident.say(answer)
    assert "updated" in await resident.last_text()
    assert await _answers(services) == [{"0": 0, "1": [0, 1], "2": 2, "3": 12, "4": "More light"}]

    # The account's menu leaves the questions: a number then means the menu's answer's choice.
    await resident.say("consultations")
    await resident.say("1")
    await resident.event("CLICK", "MY_POINT")
    await resident.say("1")
    assert "What else?" not in await resident.last_text()

    # Begun before the deadline, answered after it: refused, the flow left.
    await resident.say("consultations")
    await resident.say("1")
    services.ctx.clock.advance(days=30)  # type: ignore[attr-defined]
    await resident.say("3")
    assert "closed" in await resident.last_text()
    await resident.say("1")  # now an ordinary message again: it begins a case
    actions = [b["action"] for line in (await resident.rows())[-1].payload["buttons"] for b in line]
    assert set(actions) == {"wx_kind"}
    assert (await _answers(services))[0]["0"] == 0
    assert cid


async def test_anonymous_sealed_final_and_in_chinese(
    services: Services, cadre: factories.Person
) -> None:
    resident = Resident(services, "oConsultChinese00000000000001")
    await _register(resident)
    if "隐私" not in (await resident.rows())[0].payload["text"]:
        pytest.skip("the default language of this configuration is not Chinese")
    await _consultation(services, cadre, anonymous=True)
    assert "新华街专项资金" in await resident.last_text()
    await resident.say("1")
    assert "先做什么？" in await resident.last_text()
    assert _choices((await resident.rows())[-1]) == ["路灯", "长椅", "树木"]
    for answer in ("3", "跳过", "2", "跳过", "多种树", "1"):
        await resident.say(answer)
    assert await _answers(services) == [{"0": 2, "1": None, "2": 2, "3": None, "4": "多种树"}]
    flow = [
        r for r in await resident.rows() if "先做什么" in str(r.payload) or r.payload.get("seal")
    ]
    assert flow and all(r.payload.get("seal") for r in flow)
    await WeChatSender(services, FakeApi()).drain()  # type: ignore[arg-type]
    # Sent, the flow's rows are forgotten: nothing ties this chat to what it answered.
    address = await resident.address()
    async with services.ctx.db.read() as session:
        kept = (
            await session.execute(select(Outbox).where(col(Outbox.chat_id) == address))
        ).scalars()
        assert not [r for r in kept if "多种树" in str(r.payload) or "树木" in str(r.payload)]
        named = (await session.execute(text("SELECT count(*) FROM consult_named"))).scalar()
    assert named == 0
    # An anonymous answer is final.
    await resident.say("征求意见")
    assert not (await resident.rows())[-1].payload.get("buttons")
    await resident.say("1")
    assert len(await _answers(services)) == 1
