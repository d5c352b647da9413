"""A walk through the administrators' guide (docs/guide-administrators.md, .zh.md), section by
section, from the administrator's phone, checking that the bot says every phrase the section
quotes (tests/guide_quotes.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from services.clock import FakeClock
from tests.guide_quotes import DOCS, sections
from tests.guide_walk import (
    CASTS,
    Walk,
    callback,
    consult_form,
    labels,
    person,
    points_csv,
    start_admin,
    tr,
)
from tests.harness import World, file_case, register_resident
from tests.integration.test_admin_points import wire

GUIDES = {"en": "guide-administrators.md", "zh": "guide-administrators.zh.md"}

HEADINGS = {
    "en": {
        "becoming": "Becoming an administrator",
        "scope": "Your scope",
        "menu": "Your menu",
        "admin": "The administration menu: /admin",
        "points": "📍 Contact points",
        "staff": "👥 Staff",
        "categories": "🏷 Categories",
        "delivery": "📮 Delivery problems",
        "rules": "📏 Visit rules",
        "fallback": "Cases no cadre can take",
        "digest": "Weekly digest of recurring problems: /digest",
        "stats": "Figures: /stats",
        "report": "Monthly report: /report",
        "visits": "Visits and pairing",
        "notices": "Policy notices",
        "consult": "Consultations and surveys",
        "tipoffs": "Discipline inspectors and tip-offs",
        "data": "Residents' data and retention",
        "audit": "The audit log: /audit",
    },
    "zh": {
        "becoming": "成为管理员",
        "scope": "管理范围",
        "menu": "菜单",
        "admin": "管理后台：/admin",
        "points": "📍 联系点",
        "staff": "👥 工作人员",
        "categories": "🏷 诉求类别",
        "delivery": "📮 投递失败",
        "rules": "📏 走访规则",
        "fallback": "无人承接的诉求",
        "digest": "每周群众反映集中问题：/digest",
        "stats": "数据统计：/stats",
        "report": "月报：/report",
        "visits": "走访和结对帮扶",
        "notices": "政策通知",
        "consult": "征求意见和调研",
        "tipoffs": "纪检监察干部和举报",
        "data": "群众个人信息和保存期限",
        "audit": "操作审计日志：/audit",
    },
}

# Sections about the server, not the chat: `cpbot` and the settings (their words are tested
# with the CLI's own tests).
NOT_WALKED = {
    "en": {
        "On the server: cpbot",
        "Contact points",
        "The visit rule",
        "Staff, categories, delivery",
        "Running the bot",
        "Settings",
    },
    "zh": {
        "服务器上的 cpbot 命令",
        "联系点",
        "走访规则",
        "工作人员、诉求类别、投递失败",
        "运行机器人",
        "系统设置",
    },
}

# Quoted words that are not the bot's, per section (each with why).
SKIPS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        # Said only when no administrator is active at all, which an installation with one
        # named in CPBOT_ADMIN_IDS never is.
        "fallback": ("the office will assign it",),
        # The question the resident was asked, named in a definition.
        "stats": ("is it resolved?",),
        # An example of an anonymous reporter's alias (a random code).
        "tipoffs": ("anonymous #1A2B",),
    },
    "zh": {
        # Telegram's own Start button.
        "becoming": ("开始",),
        "fallback": ("将由管理员派单",),
        "stats": ("是否解决",),
        "tipoffs": ("匿名举报人 #1A2B",),
        # Terms in quotation marks (the three rates; the month's problem), not the bot's words.
        "report": ("三率",),
        "digest": ("每月一题",),
    },
}


@pytest.fixture(autouse=True)
def _wired(monkeypatch: pytest.MonkeyPatch) -> None:
    wire(monkeypatch)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_section_is_walked(language: str) -> None:
    """A section added to the guide is walked here too (or this test says why not)."""
    walked = set(HEADINGS[language].values())
    assert set(sections(DOCS / GUIDES[language])) == walked | NOT_WALKED[language]


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_walk_the_administrators_guide(world: World, clock: FakeClock, language: str) -> None:
    cast = CASTS[language]
    h = HEADINGS[language]
    walk = Walk.of(world, GUIDES[language])
    await world.app.services.points.import_csv(points_csv(cast))
    staff = world.app.services.staff
    admin = await start_admin(world, cast)
    li = person(world, cast, cast.cadre)
    invite = await staff.create_invite("cadre", point_code="XH01")
    await li.send("/start " + invite.link.split("start=", 1)[1])
    await li.press(tr(cast, "reg.accept"))
    await li.send(cast.title)
    emma = person(world, cast, cast.resident)
    await register_resident(emma, phone=True)

    # -- Becoming an administrator: by invitation, for a region ----------------------------
    walk.section(h["becoming"])
    sun = person(world, cast, ("Sun", "Hua"))
    regional = await staff.create_invite("admin", region="Jinghu")
    await sun.send("/start " + regional.link.split("start=", 1)[1])
    await sun.press(tr(cast, "reg.accept"))
    await sun.press(tr(cast, "btn.skip"))

    # -- Your scope: a button for a point outside the region -------------------------------
    walk.section(h["scope"])
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.points"))
    yijiang = callback(admin.last(), "YJ03")
    await sun.send("/admin")
    await sun.press(tr(cast, "admin.btn.points"))
    await sun.press_data(sun.last()["message_id"], yijiang)

    # -- Your menu and the administration menu -------------------------------------------
    walk.section(h["menu"])
    walk.add(admin.keyboard())
    await admin.send("/help")
    walk.section(h["admin"])
    walk.add(admin.keyboard())
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.points"))
    await admin.press(tr(cast, "btn.back"))
    await admin.press(tr(cast, "admin.btn.close"))

    # -- Contact points --------------------------------------------------------------------
    walk.section(h["points"])
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.points"))
    await admin.press(tr(cast, "admin.btn.search"))
    await admin.send("Jinghu")
    await admin.press(tr(cast, "admin.btn.clear_search"))
    await admin.press(tr(cast, "admin.btn.add_point"))
    await admin.send("Riverside Hall")
    await admin.send("RS05")
    await admin.send("Jinghu")
    await admin.press(tr(cast, "btn.skip"))  # no address
    await admin.press(tr(cast, "btn.skip"))  # no location
    await admin.press("Asia/Shanghai")
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.points"))
    await admin.press("XH01")
    await admin.press(tr(cast, "admin.btn.edit"))
    await admin.press(tr(cast, "admin.point.field_location"))
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.points"))
    await admin.press("XH01")
    await admin.press(tr(cast, "admin.btn.deactivate"))
    await admin.press(tr(cast, "admin.btn.confirm_off"))
    await admin.press(tr(cast, "admin.btn.reactivate"))
    await admin.press(tr(cast, "admin.btn.poster"))

    # -- Staff -------------------------------------------------------------------------------
    walk.section(h["staff"], h["data"])
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.staff"))
    await admin.press(tr(cast, "admin.btn.invite"))
    await admin.press(tr(cast, "btn.back"))
    await admin.press(li.name)
    await admin.press(tr(cast, "admin.btn.assign"))
    await admin.press("JH02")
    await admin.press(tr(cast, "admin.btn.unassign"))
    await admin.press("JH02")
    wang = person(world, cast, cast.colleague)
    invite = await staff.create_invite("cadre", point_code="XH01")
    await wang.send("/start " + invite.link.split("start=", 1)[1])
    await wang.press(tr(cast, "reg.accept"))
    await wang.press(tr(cast, "btn.skip"))
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.staff"))
    await admin.press(wang.name)
    await admin.press(tr(cast, "admin.btn.primary"))
    await admin.press("XH01")
    await file_case(emma, "Broken lamp", category="roads")  # Wang's, until suspended
    await admin.press(tr(cast, "admin.btn.suspend"))
    await admin.press(tr(cast, "admin.btn.confirm_suspend"))
    await admin.press(tr(cast, "admin.btn.reinstate"))
    await admin.press(tr(cast, "admin.btn.remove"))
    await admin.press(tr(cast, "admin.btn.confirm_remove"))

    # -- Categories ----------------------------------------------------------------------------
    walk.section(h["categories"])
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.categories"))
    await admin.press(re.compile("Education|教育"))
    await admin.press(tr(cast, "admin.btn.retire"))
    await admin.press(tr(cast, "admin.btn.restore"))

    # -- Delivery problems: a resident who blocked the bot -----------------------------------
    walk.section(h["delivery"])
    world.emulator.user_block_bot(emma.id)
    await li.send("/cases")
    await li.press(re.compile(r"\d{4}-\d{4}"))
    await li.press(tr(cast, "btn.accept"))
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.delivery"))
    await admin.press(re.compile(r"^🚫"))
    world.emulator.people.unblock_bot(emma.id)

    # -- Visit rules: the default, then one point's own; bad numbers are answered --------------
    walk.section(h["rules"])
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.visit_rules"))
    await admin.press(tr(cast, "admin.vr.btn.visits"))
    await admin.send("twice")
    await admin.send("40")
    await admin.send("1")
    await admin.press(tr(cast, "admin.vr.btn.unverified"))
    await admin.press(tr(cast, "admin.vr.btn.unverified"))
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.points"))
    await admin.press("JH02")
    await admin.press(tr(cast, "admin.btn.visit_rule"))
    await admin.press(tr(cast, "admin.vr.btn.days"))
    await admin.press(tr(cast, "btn.back"))
    await admin.press(tr(cast, "btn.back"))
    await admin.press(tr(cast, "admin.btn.edit"))

    # -- Cases no cadre can take: YJ03 has no cadre --------------------------------------
    walk.section(h["fallback"])
    far = world.person("Far", cast.lang)
    await register_resident(far, point="YJ03")
    await file_case(far, "Bridge is cracked", category="roads")
    walk.add(labels(admin.last()))  # the fallback owner's card

    # -- Figures ------------------------------------------------------------------------------
    walk.section(h["stats"])
    walk.add(admin.keyboard())
    await admin.send("/stats")
    await admin.press(re.compile("Last month|上月"))
    await admin.press(re.compile("This year|今年"))
    await admin.send("/stats XH01")
    await sun.send("/stats YJ03")

    # -- Visits and pairing --------------------------------------------------------------------
    walk.section(h["visits"])
    await admin.send("/pair")
    await admin.send(emma.name)
    await admin.press(re.compile(re.escape(emma.name)))
    await admin.press(re.compile(re.escape(li.name)))
    await admin.press(re.compile(re.escape(li.name)))

    # -- Policy notices ------------------------------------------------------------------------
    walk.section(h["notices"])
    await admin.send("/notice")
    await admin.send("Water is off on Tuesday.")
    await admin.press(tr(cast, "notices.btn_next"))
    walk.add(labels(admin.last()))  # the three ways to address a notice
    await admin.press(tr(cast, "notices.btn_everyone"))
    await admin.press(tr(cast, "notices.btn_now"))
    await admin.press(tr(cast, "notices.btn_send"))
    await world.app.services.notices.tick()
    await world.settle()

    # -- Discipline inspectors and tip-offs ----------------------------------------------------
    walk.section(h["tipoffs"])
    await admin.send("/admin")
    await admin.press(tr(cast, "admin.btn.staff"))
    await admin.press(tr(cast, "admin.btn.invite"))
    await admin.press(tr(cast, "admin.role.inspector"))
    await admin.send("Jinghu")
    token = re.search(r"start=(inv_\S+)", admin.last_text())
    assert token, admin.transcript()
    chen = person(world, cast, ("Chen", "Jing"))
    await chen.send(f"/start {token.group(1)}")
    await chen.press(tr(cast, "reg.accept"))
    await chen.press(tr(cast, "btn.skip"))
    walk.add(chen.keyboard())
    for how in ("btn.report_named", "btn.report_anonymous"):
        await emma.send("/report")
        await emma.press(tr(cast, how))
        await emma.press(tr(cast, "btn.tip_nobody"))
        await emma.send("The clerk asked for money")
        await emma.press(tr(cast, "btn.done"))
        await emma.press(tr(cast, "btn.send"))
    card = chen.last()
    await chen.send("/tipoffs")
    await chen.reply(card, "We are looking into it")

    # -- Cases no cadre can take: escalation, days later -----------------------------------
    walk.section(h["fallback"])
    for _ in range(12):
        clock.advance(hours=24)
        await world.app.services.reminders.tick()
        await world.settle()

    # -- Visits: on the 1st, April's missed visits (March was Li's first month) -------------
    walk.section(h["visits"])
    clock.set(datetime(2026, 5, 1, 2, 0, tzinfo=UTC))
    await world.app.services.visits.plan_reminders()
    await world.app.services.reminders.tick()
    await world.settle()

    # -- Monthly report: offered on the 1st; then asked for, for the area and one point -------
    walk.section(h["report"])
    await world.app.services.reports.plan_monthly()
    await world.app.services.reminders.tick()
    await world.settle()
    await admin.press(tr(cast, "report.btn.get"))
    await admin.send("/report XH01")
    await admin.press(re.compile(r"^\d{4}-\d{2}$"))

    # -- Weekly digest: offered on Monday at 09:00, and asked for ---------------------------
    walk.section(h["digest"])
    clock.set(datetime(2026, 5, 4, 1, 0, tzinfo=UTC))  # Monday 09:00 in Asia/Shanghai
    await world.app.services.digests.plan_weekly()
    await world.app.services.reminders.tick()
    await world.settle()
    await admin.press(tr(cast, "digest.btn.show"))
    await admin.send("/digest")

    # -- Consultations: Li consults XH01; the administrator sees, exports and closes it ------
    walk.section(h["consult"])
    await li.send("/consult")
    await li.send(consult_form(clock.now()))
    await li.press(tr(cast, "consult.btn_send"))
    await world.app.services.consultations.tick()
    await world.settle()
    await admin.send("/consults")
    await admin.press(re.compile(r"^📊 #\d+"))
    await admin.press(tr(cast, "consult.btn_export"))
    await admin.press(tr(cast, "consult.btn_close"))
    await admin.send("Nothing to change yet")
    await admin.send("0")

    # -- Figures again: the month's consultation and its participation -------------------------
    walk.section(h["stats"])
    await admin.send("/stats")

    # -- The audit log ---------------------------------------------------------------------------
    walk.section(h["audit"])
    await admin.send("/audit")
    await admin.press(tr(cast, "btn.next"))
    await admin.press(tr(cast, "btn.prev"))
    await sun.send("/audit")

    walk.check({h[key]: skip for key, skip in SKIPS[language].items()})
