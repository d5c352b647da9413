"""Safe to speak: tip-offs through the bot, /mydata and /forget, the audit log, flood control."""

from __future__ import annotations

import json
import re

from sqlmodel import func, select

from models.tables import Case
from tests.harness import World, file_case, register_resident, t


async def report(res, text: str, *, anonymous: bool, about: str | None = None) -> str:  # type: ignore[no-untyped-def]
    await res.send(t("en", "menu.tipoff"))
    assert "only</b>" not in res.last_text() and "will not see it" in res.last_text()
    await res.press(t("en", "btn.report_anonymous" if anonymous else "btn.report_named"))
    if about:
        await res.press(about)
    await res.press(t("en", "btn.tip_nobody"))
    await res.send(text)
    await res.press(t("en", "btn.done"))
    await res.press(t("en", "btn.send"))
    return res.last_text()


async def test_an_anonymous_tipoff_end_to_end(world: World, county) -> None:
    cadre, inspector = county
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    cadre_seen = len(cadre.texts())
    confirmation = await report(
        res, "Li Wei asks for money to stamp forms", anonymous=True, about="Li Wei"
    )
    code = re.search(r"[A-Z2-9]{5}-[A-Z2-9]{5}", confirmation)
    assert code and "J2026-0001" in confirmation
    card = inspector.bot_messages()[-1]
    assert "Tip-off J2026-0001" in card["text"] and "anonymous #" in card["text"]
    assert "Zhang" not in card["text"]
    assert "Li Wei" in card["text"]  # whom it concerns
    assert len(cadre.texts()) == cadre_seen  # not a word to the cadre it concerns
    # The inspector asks; the reporter hears it from "discipline inspection".
    await inspector.reply(card, "Which office, and when?")
    answer = res.last_text()
    assert "Which office, and when?" in answer and "discipline inspection" in answer
    assert "Chen" not in answer
    # The reporter follows with the code and answers.
    await res.send("/tipoff")
    await res.send(code.group(0))
    assert "Which office, and when?" in res.last_text()
    await res.send("Room 3, last Tuesday")
    assert res.last_text() == t("en", "tipoff.relayed", no="J2026-0001")
    assert "Room 3, last Tuesday" in inspector.last_text()
    await res.press(t("en", "btn.done"))
    # Concluded, with a note for the reporter.
    await inspector.press(t("en", "btn.close"), message=card)
    await inspector.send("Investigated; disciplinary action taken")
    assert "Investigated" in res.last_text()
    assert len(cadre.texts()) == cadre_seen


async def test_a_wrong_receipt_code(world: World, county) -> None:
    res = world.person("Zhang")
    await register_resident(res)
    await res.send("/tipoff")
    await res.send("ZZZZZ-ZZZZZ")
    assert res.last_text() == t("en", "tipoff.receipt_unknown")


async def test_a_named_tipoff_shows_the_reporter_to_inspectors_only(world: World, county) -> None:
    _cadre, inspector = county
    res = world.person("Zhang", "en", "San")
    await register_resident(res, phone=True)
    confirmation = await report(res, "Misuse of the village fund", anonymous=False)
    assert "under your name" in confirmation
    card = inspector.last_text()
    assert "Zhang San" in card and "+8613800000000" in card and "Acknowledge by" in card
    await inspector.press(t("en", "btn.accept"))
    assert res.last_text() == t("en", "tipoff.accepted_notice", no="J2026-0001")
    await res.send("/tipoff")
    await res.press("J2026-0001")
    assert "being handled" in res.last_text()


async def test_no_cadre_can_see_list_count_or_learn_of_a_tipoff(world: World, county) -> None:
    cadre, _ = county
    admin = world.admin
    await admin.send("/start")
    await admin.press(t("en", "reg.accept"))
    res = world.person("Zhang")
    await register_resident(res)
    await report(res, "Something about the office", anonymous=True)
    await report(res, "Something else", anonymous=False)
    for staff_member in (cadre, admin):
        assert not staff_member.saw("J2026")  # no card, no notice, no reminder
        await staff_member.send("/cases")
        assert staff_member.last_text() == t("en", "cases.none_staff")
        await staff_member.send("/stats")
        assert "Cases: 0" in staff_member.last_text()
        await staff_member.send("/case J2026-0001")
        assert staff_member.last_text() == t("en", "case.no_such_number", no="J2026-0001")
        await staff_member.send("/tipoffs")
        assert staff_member.last_text() == t("en", "command.unknown")
    await admin.send("/audit")
    assert "tipoff" not in admin.last_text()
    async with world.app.db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Case))).scalar_one() == 0


async def test_mydata_and_forget(world: World, county) -> None:
    cadre, _ = county
    res = world.person("Zhang", "en", "San")
    await register_resident(res, phone=True)
    await file_case(res, "Broken lift")
    await res.send("/mydata")
    document = res.last()
    assert "document" in document
    stored = world.emulator.world.files.get(document["document"]["file_id"])
    assert stored is not None
    data = json.loads(stored.data)
    assert data["you"]["name"] == "Zhang San" and data["you"]["phone"] == "+8613800000000"
    assert data["cases"][0]["number"] == "2026-0001"
    await res.send("/forget")
    await res.press(t("en", "btn.forget_yes"))
    assert res.saw(t("en", "privacy.forgotten"))
    await res.send("/mydata")
    assert res.last_text() == t("en", "guest.start_first")
    await cadre.send("/case 2026-0001")
    history, card = cadre.texts()[-2:]
    assert "Zhang" not in history and "Zhang" not in card and "+86" not in card
    await cadre.send("/forget")
    assert cadre.last_text() == t("en", "privacy.staff_cannot_forget")


async def test_audit_log_for_administrators(world: World, county) -> None:
    cadre, _ = county
    admin = world.admin
    await admin.send("/start")
    await admin.press(t("en", "reg.accept"))
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    await report(res, "The clerk asks for money", anonymous=True)
    await world.app.services.tipoffs.route_waiting()  # nothing waits: no entry either
    inspector_card = county[1].bot_messages()[-1]
    await county[1].press(t("en", "btn.accept"), message=inspector_card)
    await admin.send("/audit")
    text = admin.last_text()
    assert "Audit log" in text
    assert t("en", "audit.act.invite_redeem") in text and "invite:redeem" not in text
    assert "tipoff" not in text and t("en", "audit.act.tipoff_accept") not in text
    assert "Mon 2 Mar 09:00 · Chen Jing · joined by invitation" in text  # Shanghai time
    await cadre.send("/audit")
    assert cadre.last_text() == t("en", "command.unknown")
    # A regional administrator's own actions are in the trail: it is read from above.
    regional = world.person("Zhou", "en", "Min")
    invite = await world.app.services.staff.create_invite("admin", region="Jinghu")
    await regional.send("/start " + invite.link.split("start=", 1)[1])
    await regional.press(t("en", "reg.accept"))
    await regional.press(t("en", "btn.skip"))
    await regional.send("/audit")
    assert regional.last_text() == t("en", "audit.whole_area_only")


async def test_flood_control_slows_but_drops_nothing(world: World, county) -> None:
    cadre, _ = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "First message")
    await res.send("/cases")
    await res.press("2026-0001")
    await res.press(t("en", "btn.add_message"))
    # Stop the refill: from now on, every message past the burst of 6 has to wait its turn.
    assert world.flood is not None
    world.flood.clock = lambda: 1_000.0
    world.flood.burst = 6
    world.flood._buckets.clear()
    for n in range(12):
        world.emulator.user_send(res.id, text=f"part {n}")
    await world.settle()
    assert res.texts().count(t("en", "flood.slow_down")) == 1
    relayed = [text for text in cadre.texts() if re.search(r"part \d+", text)]
    assert [re.search(r"part (\d+)", r).group(1) for r in relayed] == [  # type: ignore[union-attr]
        str(n) for n in range(12)
    ]


async def test_a_swipe_reply_to_the_inspector_goes_to_the_report_not_a_case(
    world: World, county
) -> None:
    cadre, inspector = county
    anonymous, named = world.person("Zhang", "en", "San"), world.person("Wang", "en", "Fang")
    await register_resident(anonymous)
    await register_resident(named)
    confirmation = await report(anonymous, "The clerk asks for money", anonymous=True)
    code = re.search(r"[A-Z2-9]{5}-[A-Z2-9]{5}", confirmation)
    assert code
    await report(named, "The fund is misused", anonymous=False)
    cards = [m for m in inspector.bot_messages() if "Tip-off J2026-" in (m.get("text") or "")]
    await inspector.reply(cards[0], "Which office?")
    await inspector.reply(cards[1], "Since when?")
    cadre_seen = len(cadre.texts())

    # Anonymous: the answer waits for the receipt code, then reaches the inspector.
    await anonymous.reply(anonymous.bot_messages()[-1], "Room 3")
    assert anonymous.last_text() == t("en", "tipoff.reply_needs_receipt", no="J2026-0001")
    assert "Room 3" not in inspector.last_text()
    await anonymous.send(code.group(0))
    assert "Room 3" in anonymous.last_text()  # the thread, with the answer in it
    assert "Room 3" in inspector.last_text()

    # Named: the reporter is known by their account; the answer goes straight through.
    await named.reply(named.bot_messages()[-1], "Since March")
    assert named.last_text() == t("en", "tipoff.relayed", no="J2026-0002")
    assert "Since March" in inspector.last_text()

    assert len(cadre.texts()) == cadre_seen
    async with world.app.services.ctx.db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Case))).scalar_one() == 0


async def test_whom_a_report_concerns_is_ticked_and_can_be_unticked(world: World, county) -> None:
    _cadre, inspector = county
    res = world.person("Zhang", "en", "San")
    await register_resident(res)
    await res.send(t("en", "menu.tipoff"))
    await res.press(t("en", "btn.report_anonymous"))
    await res.press("Li Wei")
    assert res.toasts()[-1] == t("en", "tipoff.concern_noted")
    await res.press("✅ Li Wei")  # a second tap: not about them after all
    assert res.toasts()[-1] == t("en", "tipoff.concern_removed")
    labels = [b["text"] for row in res.last()["reply_markup"]["inline_keyboard"] for b in row]
    assert "Li Wei" in labels and "✅ Li Wei" not in labels
    await res.press(t("en", "btn.tip_nobody"))
    await res.send("Forms go missing")
    await res.press(t("en", "btn.done"))
    await res.press(t("en", "btn.send"))
    card = inspector.bot_messages()[-1]["text"]
    assert "Tip-off J2026-0001" in card and "Li Wei" not in card
