"""Policy notices through the real dispatcher: compose (both languages), preview, confirm,
residents read them, /notices, cancelling, groups, and refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.callbacks import Act
from services.clock import FakeClock
from tests.harness import Person as Phone
from tests.harness import (
    World,
    join_staff,
    load_points,
    locale_of,
    register_resident,
    t,
)


async def tick(world: World) -> None:
    """One run of the scheduler's notices tick, then let everything it queued go out."""
    await world.app.services.notices.tick()
    await world.settle()


def notices_of(person: Phone) -> list[dict[str, Any]]:
    """The notices this person received (messages carrying a notice's Read button)."""
    return [
        m
        for m in person.bot_messages()
        if any(
            b.get("callback_data", "").startswith("a:notice_read:")
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        )
    ]


@pytest.fixture
async def county(world: World) -> dict[str, Phone]:
    await load_points(world)
    cadre_en = world.person("Li", "en", "Wei")
    await join_staff(world, cadre_en, title="Deputy head")
    cadre_zh = world.person("王", "zh", "芳")
    await join_staff(world, cadre_zh)
    res_en = world.person("Zhang", "en")
    await register_resident(res_en)
    res_zh = world.person("赵", "zh")
    await register_resident(res_zh)
    far = world.person("Sun", "en")
    await register_resident(far, point="YJ03")
    return {"cadre_en": cadre_en, "cadre_zh": cadre_zh, "en": res_en, "zh": res_zh, "far": far}


@pytest.mark.parametrize("author", ["cadre_en", "cadre_zh"])
async def test_compose_preview_confirm_and_residents_read(
    world: World, county: dict[str, Phone], author: str
) -> None:
    cadre = county[author]
    loc = locale_of(cadre)
    other = "en" if loc == "zh_Hans" else "zh_Hans"
    words = {"en": "Water is off on Tuesday.", "zh_Hans": "周二停水。"}
    await cadre.send("/notice")
    assert cadre.last_text().startswith(t(loc, "notices.ask_text", language="")[:4])
    # Bold kept: the author's entities become HTML.
    await cadre.send(words[loc], entities=[{"type": "bold", "offset": 0, "length": 2}])
    await cadre.press(
        t(loc, "notices.btn_add_variant", language="English" if other == "en" else "中文")
    )
    await cadre.send(words[other])
    assert t(
        loc, "notices.btn_replace_variant", language="English" if other == "en" else "中文"
    ) in str(cadre.last()["reply_markup"])
    await cadre.press(t(loc, "notices.btn_next"))
    # A cadre ticks among their own points only: XH01, ticked already.
    points = cadre.last()
    labels = [b["text"] for row in points["reply_markup"]["inline_keyboard"] for b in row]
    assert any("XH01" in label and label.startswith("✅") for label in labels)
    assert not any("JH02" in label or "YJ03" in label for label in labels)
    await cadre.press(t(loc, "notices.btn_next"))
    await cadre.press(t(loc, "notices.btn_now"))
    preview, summary = cadre.bot_messages()[-2:]
    assert (
        words[loc] in preview["text"]
        and t(loc, "notices.notice", body="", author="")[:6] in preview["text"]
    )
    assert preview["entities"][1]["type"] == "bold" or any(
        e["type"] == "bold" for e in preview["entities"]
    )
    assert "2" in summary["text"]  # two residents at XH01
    await cadre.press(t(loc, "notices.btn_send"))
    assert cadre.toasts()[-1] == t(loc, "notices.sending_toast", id=1)
    progress = cadre.bot_messages()[-1]
    assert progress["message_id"] == summary["message_id"] and "0%" in progress["text"]
    # The scheduler's tick fans it out; residents get their language, with the Read button.
    await tick(world)
    await tick(world)
    en, zh, far = county["en"], county["zh"], county["far"]
    (got_en,) = notices_of(en)
    (got_zh,) = notices_of(zh)
    assert words["en"] in got_en["text"] and "Policy notice" in got_en["text"]
    assert words["zh_Hans"] in got_zh["text"] and "政策通知" in got_zh["text"]
    assert notices_of(far) == []
    assert not notices_of(cadre)
    # The author's message became the final report; a separate message says it is done.
    report = next(m for m in cadre.bot_messages() if m["message_id"] == summary["message_id"])
    assert (
        t(
            loc,
            "notices.report_done",
            id=1,
            sent=2,
            total=2,
            failed=0,
            blocked=0,
            groups=0,
            reads=0,
            took=t(loc, "fanout.took_seconds", seconds=1),
        )
        == report["text"]
    )
    assert cadre.last_text() == t(loc, "notices.finished_ping", id=1)
    # Reading: once counts, twice says so, the button shows it.
    await en.press(t("en", "notices.btn_read"), got_en)
    assert en.toasts()[-1] == t("en", "notices.read_thanks")
    await en.press_data(got_en["message_id"], Act(do="notice_read", ref=1).pack())
    assert en.toasts()[-1] == t("en", "notices.read_already")
    after = next(m for m in en.bot_messages() if m["message_id"] == got_en["message_id"])
    assert after["reply_markup"]["inline_keyboard"][0][0]["text"] == t(
        "en", "notices.btn_read_done"
    )
    # The author's details card counts it.
    await cadre.press(t(loc, "notices.btn_details"))
    assert ("已阅：1" if loc == "zh_Hans" else "Read so far: 1") in cadre.last_text()
    # /notices lists it; opening shows it again.
    await zh.send("/notices")
    listing = zh.last_text()
    assert "#1" in listing and "🆕" in listing
    await zh.press("#1")
    again = zh.last()
    assert words["zh_Hans"] in again["text"]
    assert again["reply_markup"]["inline_keyboard"][0][0]["text"] == t(
        "zh_Hans", "notices.btn_read"
    )
    await cadre.send("/notices")
    assert "#1" in cadre.last_text()


async def test_an_administrator_picks_a_region_and_a_time(
    world: World, county: dict[str, Phone], clock: FakeClock
) -> None:
    admin = world.admin
    await admin.send("/start")
    await admin.press(t("en", "reg.accept"))
    await admin.send("/notice")
    await admin.send("Roadworks on the village road next week.")
    await admin.press(t("en", "notices.btn_next"))
    await admin.press(t("en", "notices.btn_by_region"))
    await admin.press("Yijiang")
    assert "✅ Yijiang" in str(admin.last()["reply_markup"])
    await admin.press(t("en", "notices.btn_next"))
    await admin.press(t("en", "notices.btn_later"))
    await admin.send("next tuesday")
    assert admin.last_text() == t("en", "notices.time_format")
    await admin.send("11:00")  # it is 09:00 at the points
    summary = admin.last_text()
    assert "Yijiang" in summary and "Residents: 1" in summary
    await admin.press(t("en", "notices.btn_schedule"))
    assert "scheduled" in admin.last_text() and "11:00" in admin.last_text()
    await tick(world)
    assert notices_of(county["far"]) == []
    clock.advance(hours=2, minutes=1)
    await tick(world)
    await tick(world)
    assert len(notices_of(county["far"])) == 1
    assert notices_of(county["en"]) == [] and notices_of(county["zh"]) == []


async def test_a_notice_with_a_photo_is_copied_with_its_caption(
    world: World, county: dict[str, Phone]
) -> None:
    cadre = county["cadre_en"]
    await cadre.send("/notice")
    await cadre.send_photo("Vaccination day at the clinic, Saturday 9:00.")
    await cadre.send_photo("a second photo")  # one per notice: said so, not dropped silently
    assert cadre.last_text() == t("en", "notices.use_buttons")
    await cadre.press(t("en", "notices.btn_next"))
    await cadre.press(t("en", "notices.btn_next"))
    await cadre.press(t("en", "notices.btn_now"))
    preview = cadre.bot_messages()[-2]
    assert "photo" in preview and "Vaccination day" in preview["caption"]
    await cadre.press(t("en", "notices.btn_send"))
    await tick(world)
    (got,) = notices_of(county["zh"])
    mine = next(m for m in cadre.history() if "photo" in m and not m["from"]["is_bot"])
    assert got["photo"][-1]["file_id"] == mine["photo"][-1]["file_id"]  # never re-uploaded
    assert "Vaccination day" in got["caption"] and "政策通知" in got["caption"]


async def test_refusals_a_resident_and_a_forged_point(
    world: World, county: dict[str, Phone]
) -> None:
    resident = county["en"]
    await resident.send("/notice")
    assert resident.last_text() == t("en", "notices.staff_only")
    cadre = county["cadre_en"]
    await cadre.send("/notice")
    await cadre.send("Hello")
    await cadre.press(t("en", "notices.btn_next"))
    points = await world.app.services.points.all()
    jh02 = next(p.id for p in points if p.code == "JH02")
    xh01 = next(p.id for p in points if p.code == "XH01")
    board = cadre.last()
    await cadre.press_data(board["message_id"], Act(do="nc_point", ref=xh01).pack())  # untick
    await cadre.press_data(board["message_id"], Act(do="nc_point", ref=jh02).pack())  # forged
    await cadre.press(t("en", "notices.btn_next"))
    assert cadre.toasts()[-1] == t("en", "notices.point_refused")
    # Empty text and a sticker are refused with a reason; /cancel leaves the wizard.
    await cadre.send("/notice")
    await cadre.send_other(sticker="🙂")
    assert cadre.last_text() == t("en", "notices.send_text")
    await cadre.send("/cancel")
    assert cadre.last_text() == t("en", "flow.cancelled")


async def test_stopping_a_notice_from_its_progress_message(
    world: World, county: dict[str, Phone]
) -> None:
    cadre = county["cadre_en"]
    await cadre.send("/notice")
    await cadre.send("Meeting moved.")
    await cadre.press(t("en", "notices.btn_next"))
    await cadre.press(t("en", "notices.btn_next"))
    await cadre.press(t("en", "notices.btn_now"))
    await cadre.press(t("en", "notices.btn_send"))
    await cadre.press(t("en", "notices.btn_cancel"))
    await cadre.press(t("en", "notices.btn_cancel_yes"))
    assert cadre.last_text() == t("en", "notices.cancelled", id=1, sent=0)
    await tick(world)
    assert notices_of(county["en"]) == [] and notices_of(county["zh"]) == []
    progress = next(
        m
        for m in cadre.bot_messages()
        if "#1" in (m.get("text") or "") and "cancelled" in m["text"]
    )
    assert re.search(r"Reached 0 residents", progress["text"])
    # A cadre of another point cannot stop someone else's notice (forged button).
    other = world.person("Wu", "en")
    await join_staff(world, other, point="JH02")
    await other.press_data(other.last()["message_id"], Act(do="notice_cancel_yes", ref=1).pack())
    assert other.toasts()[-1] == t("en", "notices.not_found")


async def test_a_group_is_linked_and_gets_the_points_notices(
    world: World, county: dict[str, Phone]
) -> None:
    cadre = county["cadre_en"]
    stranger = world.person("Wu", "en")
    await join_staff(world, stranger, point="JH02")
    group = world.emulator.create_group("新华街道群", [cadre.id, stranger.id, county["en"].id])
    chat = int(group["id"])
    await world.settle()  # the bot's my_chat_member update (added as an administrator)
    world.emulator.user_send(stranger.id, chat, text="/link XH01")
    await world.settle()

    def group_texts() -> list[dict[str, Any]]:
        return [m for m in world.emulator.history(chat) if m["from"].get("is_bot")]

    assert group_texts()[-1]["text"] == t("en", "notices.link_not_yours", code="XH01")
    world.emulator.user_send(cadre.id, chat, text="/link XH01")
    await world.settle()
    linked = group_texts()[-1]
    assert linked["text"].startswith("✅")
    button = linked["reply_markup"]["inline_keyboard"][0][0]
    assert button["url"] == "https://t.me/cp_test_bot?start=cp_XH01"
    await cadre.send("/notice")
    await cadre.send("Flu shots on Friday.")
    await cadre.press(t("en", "notices.btn_next"))
    await cadre.press(t("en", "notices.btn_next"))
    await cadre.press(t("en", "notices.btn_now"))
    assert "Linked groups: 1" in cadre.last_text()
    await cadre.press(t("en", "notices.btn_send"))
    await tick(world)
    post = group_texts()[-1]
    assert "Flu shots on Friday." in post["text"]
    assert post["reply_markup"]["inline_keyboard"][0][0]["url"].endswith("start=cp_XH01")
    # Unlinked, nothing more is posted there.
    world.emulator.user_send(cadre.id, chat, text="/unlink")
    await world.settle()
    assert group_texts()[-1]["text"].startswith(t("en", "notices.unlinked", point="")[:10])
    assert await world.app.services.notices.group_point(chat) is None


async def test_a_group_where_the_bot_is_not_an_administrator_is_not_linked(
    world: World, county: dict[str, Phone]
) -> None:
    cadre = county["cadre_en"]
    group = world.emulator.create_group("小区群", [cadre.id], bot_is_admin=False)
    chat = int(group["id"])
    await world.settle()
    world.emulator.user_send(cadre.id, chat, text="/link XH01")
    await world.settle()
    [answer] = [m for m in world.emulator.history(chat) if m["from"].get("is_bot")]
    assert answer["text"] == t("en", "notices.link_needs_admin")
    assert await world.app.services.notices.group_point(chat) is None
