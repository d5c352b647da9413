"""/consult → ✏️ New through the real dispatcher: every step with buttons, Back, Keep and
Cancel, a refusal in the author's language for every bad input, buttons gone from the steps
that ended, a Chinese variant, the draft as a document, preview, Send — and the stored
consultation is the one a file would have made; residents receive it in their language."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.callbacks import Act
from emulator.contents import Attachment
from models.consultations import Consultation
from tests.harness import Person as Phone
from tests.harness import World, join_staff, load_points, register_resident, t


@pytest.fixture
async def people(world: World) -> dict[str, Phone]:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre, title="Deputy head")
    zh = world.person("赵", "zh")
    await register_resident(zh, point="XH01")
    admin_zh = world.person("周", "zh")
    await join_staff(world, admin_zh, role="admin")
    return {"cadre": cadre, "zh": zh, "admin_zh": admin_zh}


def _buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def _prompt(phone: Phone, key: str, **params: Any) -> dict[str, Any]:
    """The message that asked ``key`` (its first line is enough to find it)."""
    head = t("en", key, **params).splitlines()[0][:30]
    return next(m for m in reversed(phone.bot_messages()) if (m.get("text") or "").startswith(head))


async def _stored(world: World) -> list[Consultation]:
    async with world.app.db.read() as session:
        return list((await session.execute(select(Consultation))).scalars().all())


async def test_a_consultation_composed_with_buttons(world: World, people: dict[str, Phone]) -> None:
    cadre, zh = people["cadre"], people["zh"]
    await cadre.send("/consult")
    await cadre.press(t("en", "consult.btn_new"))
    assert cadre.last_text().startswith(t("en", "consult.w_ask_title").splitlines()[0])
    # Title: a photo and an over-long title are refused, the step stays.
    await cadre.send_photo()
    assert cadre.last_text() == t("en", "consult.w_text_only")
    await cadre.send("x" * 130)
    assert cadre.last_text() == t("en", "consult.w_title_bad", most=120)
    await cadre.send("Street lamps")
    assert _buttons(_prompt(cadre, "consult.w_ask_title")) == []  # the step ended
    # Introduction, then a document instead of a text is asked for.
    await cadre.send("We have 200,000 yuan to spend.")
    await cadre.send("hello")
    assert cadre.last_text() == t("en", "consult.w_send_document")
    pdf = Attachment(b"%PDF-1.4 draft", "draft.pdf", "application/pdf")
    await cadre.send_other(document=pdf)
    assert t("en", "consult.w_kind_single") in _buttons(cadre.last())
    # Question 1: single choice; Back from its words returns to the kinds.
    await cadre.press(t("en", "consult.w_kind_single"))
    await cadre.press(t("en", "btn.back"))
    assert t("en", "consult.w_kind_single") in _buttons(cadre.last())
    await cadre.press(t("en", "consult.w_kind_single"))
    await cadre.send("What first?")
    await cadre.send("Lamps")  # one option is not a choice
    assert cadre.last_text() == t("en", "consult.w_options_bad", most=10, length=60)
    await cadre.send("Lamps\nlamps")
    assert cadre.last_text() == t("en", "consult.w_options_twice")
    await cadre.send("Lamps\nBenches")
    await cadre.send("Required, please")  # buttons expected
    assert cadre.last_text() == t("en", "consult.w_use_buttons")
    await cadre.press(t("en", "consult.w_btn_required"))
    # Question 2: a scale, optional; question 3: free text.
    await cadre.press(t("en", "consult.w_kind_scale"))
    await cadre.send("How urgent?")
    await cadre.press(t("en", "consult.w_btn_optional"))
    await cadre.press(t("en", "consult.w_kind_text"))
    await cadre.send("Anything else?")
    await cadre.press(t("en", "consult.w_btn_optional"))
    # Back from the kinds re-opens question 3; Keep leaves its words as they were.
    await cadre.press(t("en", "btn.back"))
    await cadre.press(t("en", "btn.back"))
    assert "Anything else?" in cadre.last_text()
    await cadre.press(t("en", "consult.w_btn_keep"))
    await cadre.press(t("en", "consult.w_btn_optional"))
    assert "3. Anything else?" in cadre.last_text()
    await cadre.press(t("en", "consult.w_btn_questions_done"))
    # A cadre ticks among their points (all ticked).
    assert cadre.last_text() == t("en", "notices.ask_points")
    await cadre.press(t("en", "notices.btn_next"))
    assert t("en", "consult.w_reach", points=1, residents=1) in cadre.last_text()
    await cadre.press(t("en", "consult.w_btn_open_later"))
    await cadre.send("tomorrow-ish")
    assert cadre.last_text() == t("en", "notices.time_format")
    await cadre.press(t("en", "btn.back"))
    await cadre.press(t("en", "consult.w_btn_open_now"))
    await cadre.send("2020-01-01 10:00")  # a deadline in the past
    assert cadre.last_text() == t("en", "notices.time_past")
    await cadre.press(t("en", "consult.w_btn_days", days=7))
    assert cadre.saw("no link to the person")  # the deadline's message, redrawn in place
    await cadre.press(t("en", "consult.w_btn_anonymous"))
    # The Chinese version, field by field; a wrong number of options is refused.
    await cadre.press(t("en", "consult.w_btn_add_variant", language="中文"))
    await cadre.send("路灯征求意见")
    await cadre.send("我们有二十万元。")
    await cadre.send("先做什么？")
    await cadre.send("路灯")
    assert cadre.last_text() == t("en", "consult.w_options_count", count=2)
    await cadre.send("路灯\n长椅")
    await cadre.send("有多紧迫？")
    await cadre.send("其他意见？")
    assert "中文" in cadre.last_text() and "English" in cadre.last_text()
    await cadre.press(t("en", "consult.w_btn_preview"))
    preview = cadre.bot_messages()[-2]
    assert preview["document"]["file_name"] == "draft.pdf"
    assert "Street lamps" in preview["caption"] and "200,000" in preview["caption"]
    assert t("en", "consult.preview_anonymous")[:30] in cadre.last_text()
    # Send pressed twice stores one consultation.
    await cadre.press(t("en", "consult.btn_send"))
    assert cadre.last_text().startswith(t("en", "consult.created", id=1, opens="")[:15])
    stored = await _stored(world)
    assert len(stored) == 1
    made = stored[0]
    assert made.title == {"en": "Street lamps", "zh_Hans": "路灯征求意见"}
    assert made.anonymous and made.document and made.document["name"] == "draft.pdf"
    assert [q["kind"] for q in made.questions] == ["single", "scale", "text"]
    assert [q["required"] for q in made.questions] == [True, False, False]
    assert made.questions[0]["options"] == {"en": ["Lamps", "Benches"], "zh_Hans": ["路灯", "长椅"]}
    # It opens: the resident reads it in Chinese, the draft attached.
    for _ in range(3):
        await world.app.services.consultations.tick()
        await world.settle()
    invite = zh.last()
    assert invite["document"]["file_name"] == "draft.pdf"
    assert "路灯征求意见" in invite["caption"] and "二十万元" in invite["caption"]
    assert t("zh_Hans", "consult.btn_answer") in _buttons(invite)


async def test_cancel_and_bad_input_in_chinese(world: World, people: dict[str, Phone]) -> None:
    admin = people["admin_zh"]
    await admin.send("/consult")
    await admin.press(t("zh_Hans", "consult.btn_new"))
    await admin.send("路灯")
    await admin.press(t("zh_Hans", "consult.w_btn_no_intro"))
    await admin.press(t("zh_Hans", "consult.w_btn_no_document"))
    await admin.send("随便写")
    assert admin.last_text() == t("zh_Hans", "consult.w_use_buttons")
    await admin.press(t("zh_Hans", "consult.w_kind_number"))
    await admin.send("x" * 301)
    assert admin.last_text() == t("zh_Hans", "consult.w_question_bad", most=300)
    await admin.send("需要几盏灯？")
    await admin.press(t("zh_Hans", "consult.w_btn_required"))
    await admin.press(t("zh_Hans", "consult.w_btn_questions_done"))
    # An administrator chooses whom: everyone in their area.
    assert admin.last_text() == t("zh_Hans", "consult.w_ask_audience")
    await admin.press(t("zh_Hans", "notices.btn_everyone"))
    await admin.press(t("zh_Hans", "btn.cancel"))
    assert admin.last_text() == t("zh_Hans", "flow.cancelled")
    # No step of the wizard keeps a button after it ended.
    messages = admin.bot_messages()
    start = next(i for i, m in enumerate(messages) if "1/8" in (m.get("text") or ""))
    assert all(_buttons(m) == [] for m in messages[start:])
    # A forged or old press after Cancel stores nothing.
    await admin.press_data(messages[-1]["message_id"], Act(do="cw_kind", ref=4).pack())
    await admin.press_data(messages[-1]["message_id"], Act(do="cs_send").pack())
    assert await _stored(world) == []
