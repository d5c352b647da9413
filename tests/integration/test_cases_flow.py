"""A resident files a case; it reaches the cadre's phone; the conversation flows both ways."""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from models.tables import Case, CaseEvent
from tests.harness import (
    World,
    file_case,
    join_staff,
    load_points,
    locale_of,
    register_resident,
    t,
)


async def cases(world: World) -> int:
    async with world.app.db.read() as session:
        return int((await session.execute(select(func.count()).select_from(Case))).scalar_one())


@pytest.fixture
async def county(world: World):  # type: ignore[no-untyped-def]
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre, title="Deputy head")
    return cadre


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_file_a_case_and_talk_both_ways(world: World, county, language: str) -> None:
    cadre = county
    res = world.person("Zhang", language, "San")
    loc = locale_of(res)
    await register_resident(res, phone=True)
    number = await file_case(res, "No water since Monday <urgent>", photo=True)
    assert number == "2026-0001"
    confirmation = res.last_text()
    li_wei = t(loc, "staff.name_title", name="Li Wei", title="Deputy head")
    assert li_wei in confirmation
    assert t(loc, "menu.new_case") in res.keyboard()
    # The cadre's phone: the card, then the photo copied with the case label.
    card, photo = cadre.bot_messages()[-2:]
    assert "2026-0001" in card["text"] and "Zhang San · +8613800000000" in card["text"]
    assert "No water since Monday <urgent>" in card["text"]
    buttons = [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [
        t("en", key) for key in ("btn.accept", "btn.reply", "btn.transfer", "btn.note", "btn.close")
    ]
    assert "photo" in photo and "2026-0001" in photo["caption"]
    # A native reply to the card reaches the resident, labelled.
    await cadre.reply(card, "We are on it")
    relayed = res.last_text()
    assert "2026-0001" in relayed and li_wei in relayed
    assert "We are on it" in relayed
    assert cadre.last_text() == t("en", "chat.sent_to_resident", no="2026-0001")
    # The resident answers natively; it reaches the cadre.
    await res.reply(res.last(), "Thank you")
    assert "Thank you" in cadre.last_text() and "Zhang San" in cadre.last_text()
    assert res.last_text() == t(loc, "chat.relayed", no="2026-0001", name=li_wei)
    # A cadre's photo reply is copied with the label as caption.
    await cadre.send_photo("fixed pipe", reply_to_message_id=photo["message_id"])
    last = res.last()
    assert "photo" in last and "fixed pipe" in last["caption"] and "Li Wei" in last["caption"]


async def test_cadre_accepts_resolves_and_the_resident_hears(world: World, county) -> None:
    cadre = county
    res = world.person("Zhao", "zh")
    await register_resident(res)
    await file_case(res, "路灯坏了", category="roads")
    await cadre.press(t("en", "btn.accept"))
    assert cadre.toasts()[-1] == t("en", "case.accepted_toast", no="2026-0001")
    card = cadre.bot_messages()[-1]
    labels = [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
    assert t("en", "btn.accept") not in labels and t("en", "btn.resolve") in labels
    assert "已由" in res.last_text() and "Li Wei" in res.last_text()
    await cadre.press(t("en", "btn.resolve"))
    await cadre.send("/cancel")
    assert cadre.last_text() == t("en", "flow.cancelled")
    await cadre.press(t("en", "btn.resolve"), message=card)
    await cadre.send_photo()  # a note must be text
    assert cadre.last_text() == t("en", "flow.text_needed")
    await cadre.send("Replaced the bulb")
    assert cadre.last_text() == t("en", "resolve.done", no="2026-0001")
    assert "办结" in res.last_text() and "Replaced the bulb" in res.last_text()


async def test_transfer_to_another_point(world: World, county) -> None:
    cadre = county
    other = world.person("Wang", "en", "Fang")
    await join_staff(world, other, point="JH02")
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "Flooding", photo=True)
    await cadre.press(t("en", "btn.transfer"))
    await cadre.press(re.compile("JH02"))
    await cadre.send("It is their street")
    assert cadre.last_text().startswith("🔁")
    card, photo = other.bot_messages()[-2:]
    assert "transferred to you" in card["text"] and "It is their street" in card["text"]
    assert "photo" in photo
    assert "Wang Fang" in res.last_text()
    # The old card's buttons no longer work for the old cadre.
    await cadre.press(t("en", "btn.accept"))
    assert cadre.toasts()[-1] == t("en", "case.not_assigned", no="2026-0001")


async def test_resident_lists_opens_and_adds_to_cases(world: World, county) -> None:
    cadre = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "First problem")
    await file_case(res, "Second problem", category="roads")
    await res.send(t("en", "menu.my_cases"))
    listing = res.last_text()
    assert "2026-0001" in listing and "2026-0002" in listing and "First problem" in listing
    await res.press("2026-0001")
    assert "First problem" in res.last_text()
    await res.press(t("en", "btn.add_message"))
    await res.send("More details")
    await res.send_photo()
    await res.press(t("en", "btn.done"))
    assert cadre.texts()[-2].endswith("More details")
    assert "photo" in cadre.bot_messages()[-1]


async def test_a_stray_message_is_offered_as_a_case_or_a_follow_up(world: World, county) -> None:
    cadre = county
    res = world.person("Zhang")
    await register_resident(res)
    await res.send("The bridge is cracked")
    assert res.last_text() == t("en", "loose.what_to_do")
    await res.press(t("en", "btn.as_new_case"))
    await res.press(t("en", "kind.complaint"))
    await res.press("Roads and traffic")
    assert res.last_text() == t("en", "filing.received", n=1)
    await res.press(t("en", "btn.done"))
    assert "The bridge is cracked" in res.last_text()
    await res.press(t("en", "btn.send"))
    assert "2026-0001" in res.last_text()
    await res.send("Also the railing")
    await res.press(t("en", "btn.add_to_case", no="2026-0001"))
    assert res.last_text() == t("en", "chat.relayed", no="2026-0001", name="Li Wei (Deputy head)")
    assert "Also the railing" in cadre.last_text()
    assert await cases(world) == 1


async def test_an_album_is_one_prompt_and_every_photo_reaches_the_cadre(
    world: World, county
) -> None:
    from emulator.people import AlbumItem, Attachment
    from tests.harness import PNG

    cadre = county
    res = world.person("Zhang")
    await register_resident(res)
    await res.send(t("en", "menu.new_case"))
    await res.press(t("en", "kind.help"))
    await res.press("Other")
    await res.send("Three photos follow")
    assert res.texts().count(t("en", "filing.received", n=1)) == 1
    world.emulator.user_send_album(
        res.id, [AlbumItem("photo", Attachment(PNG, f"{i}.png")) for i in range(3)]
    )
    await world.settle()
    # One prompt for the album, its count kept right by editing it in place.
    assert res.texts().count(t("en", "filing.received", n=4)) == 1
    assert not any(t("en", "filing.received", n=n) in res.texts() for n in (2, 3))
    # The earlier prompt was replaced, not piled up.
    assert res.texts().count(t("en", "filing.received", n=1)) == 0
    await res.press(t("en", "btn.done"))
    await res.press(t("en", "btn.send"))
    photos = [m for m in cadre.bot_messages() if "photo" in m]
    assert len(photos) == 3
    assert [re.search(r"\((\d)/3\)", p["caption"]).group(1) for p in photos] == ["1", "2", "3"]


async def test_cadre_queue_and_case_lookup(world: World, county) -> None:
    cadre = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "A", category="land")
    await file_case(res, "B", category="water")
    await cadre.send("/cases")
    listing = cadre.last_text()
    assert listing.index("2026-0002") < listing.index("2026-0001")  # nearest deadline first
    await cadre.send("/case 2026-0001")
    assert cadre.texts()[-2].startswith("Case 2026-0001")
    await cadre.send("/case 2099-0001")
    assert cadre.last_text() == t("en", "case.no_such_number", no="2099-0001")
    await cadre.send("/case")
    assert cadre.last_text() == t("en", "case.number_needed")


async def test_with_no_cadre_the_administrator_owns_the_case(world: World) -> None:
    await load_points(world)
    admin = world.admin
    await admin.send("/start")
    await admin.press(t("en", "reg.accept"))
    assert t("en", "menu.open_cases") in admin.keyboard()
    res = world.person("Zhang")
    await register_resident(res, "YJ03")
    await file_case(res, "Nobody here")
    assert "2026-0001" in admin.texts()[-1]
    assert t("en", "staff.administrators") not in res.last_text()
    await admin.press(t("en", "btn.accept"))
    assert "Admin Zhou" in res.last_text()


async def test_events_are_recorded_in_order(world: World, county) -> None:
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "x")
    async with world.app.db.read() as session:
        types = (await session.execute(select(CaseEvent.type).order_by(CaseEvent.id))).all()
    assert [row[0] for row in types] == ["filed", "message"]
