"""Registering: the privacy notice first, then the contact point and an optional phone."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from models.tables import Residency, User
from tests.harness import World, load_points, locale_of, register_resident, t


async def users(world: World) -> int:
    async with world.app.db.read() as session:
        return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_deep_link_registration_with_phone(world: World, language: str) -> None:
    await load_points(world)
    person = world.person("Zhang", language)
    loc = locale_of(person)
    await person.send("/start cp_XH01")
    assert t(loc, "reg.privacy").split("\n")[0] in person.last_text()
    assert await users(world) == 0  # nothing kept before consent
    await person.press(t(loc, "reg.accept"))
    assert person.saw(t(loc, "reg.point_set", point="新华街道联系点 Xinhua Street"))
    assert person.last_text() == t(loc, "reg.ask_phone")
    assert t(loc, "reg.share_phone") in person.keyboard()
    await person.send_other(
        contact={"phone_number": "+86 138 0000 0000", "first_name": "Zhang", "user_id": person.id}
    )
    assert t(loc, "reg.done") in person.last_text()
    assert t(loc, "menu.new_case") in person.keyboard()
    async with world.app.db.read() as session:
        user = (await session.execute(select(User))).scalar_one()
    assert user.phone == "+8613800000000"
    assert user.phone_consent_at is not None
    assert user.locale == loc


async def test_someone_elses_contact_is_not_taken_as_the_phone(world: World) -> None:
    await load_points(world)
    person = world.person("Zhang")
    await person.send("/start cp_XH01")
    await person.press(t("en", "reg.accept"))
    await person.send_other(
        contact={"phone_number": "+8613900000000", "first_name": "Other", "user_id": person.id + 1}
    )
    assert person.last_text() == t("en", "reg.phone_not_yours")


async def test_declining_keeps_nothing(world: World) -> None:
    person = world.person("Wary")
    await person.send("/start")
    await person.press(t("en", "reg.decline"))
    assert person.last_text() == t("en", "reg.declined")
    assert await users(world) == 0
    await person.send("hello?")
    assert person.last_text() == t("en", "guest.start_first")


async def test_language_is_guessed_and_can_be_switched_before_consent(world: World) -> None:
    person = world.person("Li", "zh")
    await person.send("/start")
    assert "隐私说明" in person.last_text()
    await person.press("English")
    assert "Privacy notice" in person.last_text()  # edited in place
    await person.press(t("en", "reg.accept"))
    async with world.app.db.read() as session:
        assert (await session.execute(select(User.locale))).scalar_one() == "en"


async def test_finding_a_point_by_name_and_by_location(world: World) -> None:
    await load_points(world)
    person = world.person("Wang")
    await person.send("/start")
    await person.press(t("en", "reg.accept"))
    assert person.last_text() == t("en", "reg.ask_point")
    await person.send("nowhere at all")
    assert person.last_text() == t("en", "reg.no_points_found", query="nowhere at all")
    await person.send_other(location=(31.3001, 118.4001))
    assert person.last_text() == t("en", "reg.pick_point")
    first_button = person.last()["reply_markup"]["inline_keyboard"][0][0]["text"]
    assert first_button.startswith("弋江村联系点")
    await person.send("镜湖")
    await person.press("镜湖社区联系点")
    await person.send(t("en", "reg.skip_phone"))
    async with world.app.db.read() as session:
        residency = (await session.execute(select(Residency))).scalar_one()
    point = await world.app.services.points.by_code("JH02")
    assert residency.contact_point_id == point.id


async def test_point_can_be_changed_later(world: World) -> None:
    await load_points(world)
    person = world.person("Wang")
    await register_resident(person, "XH01")
    await person.send("/point")
    assert "新华街道联系点" in person.last_text()
    await person.press(t("en", "btn.change_point"))
    await person.send("YJ03")
    await person.press("弋江村联系点")
    assert t("en", "reg.point_set", point="弋江村联系点 Yijiang Village") in person.texts()[-2]
    async with world.app.db.read() as session:
        residency = (await session.execute(select(Residency))).scalar_one()
    assert residency.contact_point_id == (await world.app.services.points.by_code("YJ03")).id


async def test_unknown_point_link_falls_back_to_asking(world: World) -> None:
    await load_points(world)
    person = world.person("Wang")
    await person.send("/start cp_NOPE")
    await person.press(t("en", "reg.accept"))
    assert person.saw(t("en", "reg.point_link_unknown"))
    assert person.last_text() == t("en", "reg.ask_point")


async def test_language_command_switches_the_menu(world: World) -> None:
    await load_points(world)
    person = world.person("Wang")
    await register_resident(person)
    await person.send(t("en", "menu.language"))
    await person.press("中文")
    assert t("zh_Hans", "menu.new_case") in person.keyboard()
    await person.send("/help")
    assert "可以办理的事项" in person.last_text()
