"""A consultation answered on WeChat, end to end: the WeChat emulator over HTTP pushing to the
bot's callback and taking its customer-service messages. The invitation arrives as a clickable
menu; the resident clicks *Answer*, answers each kind of question by click, "1,2" or words,
goes back once, sees the summary and clicks *Submit*; one submission is stored."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from models.consultations import ConsultSubmission
from services.consultations import parse_form
from tests import factories
from tests.e2e.test_wechat_e2e import Both, both, received  # noqa: F401 (the fixture)
from tests.harness import load_points
from tests.unit.test_consultations import FORM


async def test_a_wechat_resident_answers_a_consultation(both: Both) -> None:  # noqa: F811
    services = both.world.app.services
    await load_points(both.world)
    cadre = await factories.staff(services, "Li Wei", "cadre", "XH01")
    follower = both.wechat.platform.new_follower("en")
    await both.wechat.pusher.follow(follower, "cp_XH01")
    await both.settle()
    await both.say(follower, "1")  # I agree
    assert any("Xinhua Street" in text for text in received(follower))

    form = parse_form(
        FORM.replace("{anonymous}", "false"), "en", "Asia/Shanghai", services.ctx.clock.now()
    )
    await services.consultations.create(cadre.user_id, form)
    await services.consultations.tick()
    await both.settle()
    invitation = follower.received[-1]
    assert invitation["msgtype"] == "msgmenu"
    assert "The fund for Xinhua Street" in invitation["msgmenu"]["head_content"]
    answer = invitation["msgmenu"]["list"][0]
    await both.wechat.pusher.menu_choice(follower, answer["id"], answer["content"])
    await both.settle()

    question = follower.received[-1]
    assert question["msgtype"] == "msgmenu" and "What first?" in question["msgmenu"]["head_content"]
    benches = question["msgmenu"]["list"][1]
    assert benches["content"] == "2. Benches"
    await both.wechat.pusher.menu_choice(follower, benches["id"], benches["content"])
    await both.settle()
    assert "What else?" in received(follower)[-1]
    await both.say(follower, "1,2")  # Paint and Signs
    assert "How urgent?" in received(follower)[-1]
    await both.say(follower, "3")
    assert "How many lamps?" in received(follower)[-1]
    await both.say(follower, "back")
    assert "How urgent?" in received(follower)[-1]
    await both.say(follower, "4")
    await both.say(follower, "12")
    assert "Anything else?" in received(follower)[-1]
    await both.say(follower, "More light near the school")
    summary = follower.received[-1]
    assert summary["msgtype"] == "msgmenu"
    assert "Paint, Signs" in summary["msgmenu"]["head_content"]
    submit = summary["msgmenu"]["list"][0]
    assert "Submit" in submit["content"]
    await both.wechat.pusher.menu_choice(follower, submit["id"], submit["content"])
    await both.settle()
    assert "your answers are in" in received(follower)[-1]
    async with services.ctx.db.read() as session:
        stored = (await session.execute(select(col(ConsultSubmission.answers)))).scalars().all()
    assert [dict(a) for a in stored] == [
        {"0": 1, "1": [0, 1], "2": 4, "3": 12, "4": "More light near the school"}
    ]
