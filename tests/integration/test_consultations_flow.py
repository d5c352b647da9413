"""Consultations through the real dispatcher: a cadre pastes the form and sends it, residents
answer in their language one question at a time (buttons, typed answers, Back, Skip, summary,
Submit), a redelivered Submit stores nothing twice, results and the export for the author."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.consultations import ConsultRoll, ConsultSubmission
from tests.harness import Person as Phone
from tests.harness import World, join_staff, load_points, register_resident, t

FORM = """
title = { en = "Street lamps", zh_Hans = "路灯征求意见" }
intro = "Tell us where light is missing."
closes = "{closes}"

[[questions]]
kind = "single"
text = { en = "What first?", zh_Hans = "先做什么？" }
options = { en = ["Lamps", "Benches"], zh_Hans = ["路灯", "长椅"] }

[[questions]]
kind = "multiple"
required = false
text = { en = "What else?", zh_Hans = "还有什么？" }
options = { en = ["Paint", "Signs"], zh_Hans = ["粉刷", "标牌"] }

[[questions]]
kind = "scale"
text = { en = "How urgent?", zh_Hans = "有多紧迫？" }

[[questions]]
kind = "number"
text = { en = "How many lamps?", zh_Hans = "需要几盏灯？" }

[[questions]]
kind = "text"
required = false
text = { en = "Anything else?", zh_Hans = "其他意见？" }
"""


@pytest.fixture
async def county(world: World) -> dict[str, Phone]:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre, title="Deputy head")
    other = world.person("Wang", "en")
    await join_staff(world, other, point="JH02")
    people = {"cadre": cadre, "other": other}
    for key, name, loc, point in (
        ("en", "Zhang", "en", "XH01"),
        ("zh", "赵", "zh", "XH01"),
        ("far", "Sun", "en", "JH02"),
    ):
        people[key] = world.person(name, loc)
        await register_resident(people[key], point=point)
    return people


async def _tick(world: World) -> None:
    for _ in range(3):
        await world.app.services.consultations.tick()
        await world.settle()


async def _count(world: World, table: type) -> int:
    async with world.app.db.read() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_compose_answer_in_both_languages_and_results(
    world: World, county: dict[str, Phone]
) -> None:
    cadre, en, zh, far = county["cadre"], county["en"], county["zh"], county["far"]
    await cadre.send("/consult")
    assert cadre.last_text() == t("en", "consult.ask_file")
    await cadre.send("title = [")  # bad input: told where, still in the step
    assert cadre.last_text().startswith(t("en", "consult.file_syntax", problem="")[:20])
    closes = (world.app.services.ctx.clock.now() + timedelta(days=20)).strftime("%Y-%m-%d 18:00")
    await cadre.send(FORM.replace("{closes}", closes))
    assert "Residents reached" not in cadre.last_text()
    assert "residents reached: 2" in cadre.last_text()
    await cadre.press(t("en", "consult.btn_send"))
    assert cadre.last_text().startswith("🗳 Consultation #1 is stored")
    await _tick(world)
    invite_en = next(m for m in en.bot_messages() if "Street lamps" in (m.get("text") or ""))
    invite_zh = next(m for m in zh.bot_messages() if "路灯征求意见" in (m.get("text") or ""))
    assert not [m for m in far.bot_messages() if "Street lamps" in (m.get("text") or "")]

    # English: buttons, a tick and Done, the scale, a typed number, Skip, the summary.
    await en.press(t("en", "consult.btn_answer"), invite_en)
    assert "What first?" in en.last_text()
    await en.press("Lamps")
    await en.press("Paint")
    assert "☑️ Paint" in str(en.last().get("reply_markup"))
    await en.press(t("en", "consult.btn_done"))
    await en.press("4")
    await en.send("many")
    assert en.last_text() == t("en", "consult.answer_number")
    await en.send("12")
    await en.press(t("en", "consult.btn_skip"))
    summary = en.last_text()
    assert "Lamps" in summary and "Paint" in summary and "12" in summary
    submit = await en.press(t("en", "consult.btn_submit"))
    assert en.last_text() == t("en", "consult.submitted_new")
    # Telegram redelivers the Submit press: nothing is stored twice.
    await world.redeliver({"update_id": 888_888, "callback_query": submit})
    assert await _count(world, ConsultRoll) == 1
    assert await _count(world, ConsultSubmission) == 1

    # Chinese: Back returns to the previous question, a required question has no Skip.
    await zh.press(t("zh_Hans", "consult.btn_answer"), invite_zh)
    assert "先做什么？" in zh.last_text()
    assert t("zh_Hans", "consult.btn_skip") not in str(zh.last().get("reply_markup"))
    await zh.press("长椅")
    await zh.press(t("zh_Hans", "btn.back"))
    assert "先做什么？" in zh.last_text()
    await zh.press("路灯")
    await zh.press(t("zh_Hans", "consult.btn_skip"))
    await zh.press("2")
    await zh.send("3")
    await zh.send("学校附近需要更多路灯")
    await zh.press(t("zh_Hans", "consult.btn_submit"))
    assert zh.last_text() == t("zh_Hans", "consult.submitted_new")

    # Named: Zhang changes the answer from /consultations before the deadline.
    await en.send("/consultations")
    assert t("en", "consult.resident_mine") in en.last_text()

    # Someone at another point is refused; the author sees the results and gets the file.
    await cadre.send("/consults")
    await cadre.press("📊 #1")
    results = cadre.last_text()
    assert "Answered: 2" in results and "100% · Lamps (2)" in results
    # Before the text: an album of the choice and scale questions' charts.
    photos = [m for m in cadre.bot_messages() if m.get("photo")]
    assert len(photos) == 3 and len({m.get("media_group_id") for m in photos}) == 1
    assert photos[0]["caption"].startswith("📊 #1 Street lamps")
    await cadre.press(t("en", "consult.btn_export"))
    assert cadre.last().get("document") is not None
    other = county["other"]
    await other.send("/consults")
    assert other.last_text() == t("en", "consult.none_yours")


async def test_an_anonymous_answer_leaves_no_trace_of_its_author(
    world: World, county: dict[str, Phone], caplog: pytest.LogCaptureFixture
) -> None:
    """Through the bot: after Submit the free-text answer is stored once, in the submissions
    table, and nowhere else — not in the conversation state, the outbox or the logs."""
    import logging

    from sqlalchemy import text
    from sqlmodel import SQLModel

    cadre, en = county["cadre"], county["en"]
    closes = (world.app.services.ctx.clock.now() + timedelta(days=20)).strftime("%Y-%m-%d 18:00")
    form = FORM.replace("{closes}", closes).replace('closes = "', 'anonymous = true\ncloses = "', 1)
    await cadre.send("/consult")
    await cadre.send(form)
    assert t("en", "consult.preview_anonymous")[:30] in cadre.last_text()
    await cadre.press(t("en", "consult.btn_send"))
    await _tick(world)
    # Every logger at DEBUG except the libraries bot/logs.py caps (they echo SQL parameters).
    caplog.set_level(logging.DEBUG)
    for chatty in ("aiosqlite", "sqlalchemy", "asyncpg", "aiohttp.access"):
        caplog.set_level(logging.WARNING, logger=chatty)
    await en.press(t("en", "consult.btn_answer"))
    await en.press("Benches")
    await en.press(t("en", "consult.btn_skip"))
    await en.press("5")
    await en.send("7")
    secret = "Zebra crossing at the bakery"
    await en.send(secret)
    await en.press(t("en", "consult.btn_submit"))
    assert en.last_text() == t("en", "consult.submitted_new")
    async with world.app.db.read() as session:
        for table in SQLModel.metadata.sorted_tables:
            dump = repr((await session.execute(select(table))).all())
            assert (secret in dump) == (table.name == "consult_submissions"), table.name
        named = (await session.execute(text("SELECT count(*) FROM consult_named"))).scalar()
    assert named == 0
    assert secret not in caplog.text
    # Answering again is refused: nothing links the answer to them, so it cannot be changed.
    await en.send("/consultations")
    assert t("en", "consult.resident_mine") in en.last_text()
    assert "✏️" not in str(en.last().get("reply_markup"))
    await en.press(t("en", "consult.btn_answer"))  # the invitation's button, pressed again
    assert en.toasts()[-1] == t("en", "consult.anonymous_final")
