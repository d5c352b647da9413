"""Every input the bot can't use gets a clear answer in the person's language."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from bot.callbacks import Act
from models.tables import Case, CaseEvent, Invite, Outbox
from services.clock import FakeClock
from tests.harness import World, file_case, join_staff, load_points, register_resident, t


@pytest.fixture
async def county(world: World):  # type: ignore[no-untyped-def]
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    return cadre


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
async def test_stickers_and_polls_get_an_answer(world: World, county, language: str) -> None:
    res = world.person("Zhang", "zh" if language == "zh_Hans" else "en")
    await register_resident(res)
    await res.send_other(sticker="CAACAgIAAxkBAAE")
    assert res.last_text() == t(language, "input.unsupported", what=t(language, "content.sticker"))
    await res.send(t(language, "menu.new_case"))
    await res.press(t(language, "kind.complaint"))
    await res.press("供水" if language == "zh_Hans" else "Water supply")
    await res.send_other(poll={"question": "?", "options": ["a", "b"]})
    assert res.last_text() == t(language, "input.unsupported", what=t(language, "content.poll"))


async def test_text_over_the_limit(world: World, county) -> None:
    res = world.person("Zhang")
    await register_resident(res)
    await res.send("x" * 3900)
    assert res.last_text() == t("en", "input.too_long", length=3900, limit=3800)


async def test_unknown_command(world: World, county) -> None:
    res = world.person("Zhang", "zh")
    await register_resident(res)
    await res.send("/frobnicate")
    assert res.last_text() == t("zh_Hans", "command.unknown")


async def test_stale_and_forged_buttons(world: World, county) -> None:
    cadre = county
    res = world.person("Zhang")
    neighbour = world.person("Zhao")
    await register_resident(res)
    await register_resident(neighbour)
    await res.send(t("en", "menu.new_case"))
    wizard = res.last()
    await res.send("/cancel")
    await res.press(t("en", "kind.complaint"), message=wizard)  # after cancelling: stale
    assert res.toasts()[-1] == t("en", "button.stale")
    await file_case(res, "Mine")
    case_id = 1
    # The neighbour forges the resident's "open case" and "add message" buttons.
    await neighbour.press_data(
        neighbour.last()["message_id"], Act(do="rc_open", ref=case_id).pack()
    )
    assert neighbour.toasts()[-1] == t("en", "case.not_found")
    await neighbour.press_data(neighbour.last()["message_id"], Act(do="rc_add", ref=case_id).pack())
    assert neighbour.toasts()[-1] == t("en", "case.not_found")
    # A resident forging a cadre's button is refused by the router (not staff).
    await res.press_data(res.last()["message_id"], Act(do="case_accept", ref=case_id).pack())
    assert res.toasts()[-1] == t("en", "button.stale")
    # Rubbish data that isn't ours at all.
    await res.press_data(res.last()["message_id"], "totally-forged")
    assert res.toasts()[-1] == t("en", "button.stale")
    # A cadre of another point forging a case button.
    other = world.person("Wang")
    await join_staff(world, other, point="JH02")
    await other.press_data(other.last()["message_id"], Act(do="case_resolve", ref=case_id).pack())
    assert other.toasts()[-1] == t("en", "case.not_assigned", no="2026-0001")
    async with world.app.db.read() as session:
        status = (await session.execute(select(Case.status))).scalar_one()
    assert status == "new"
    assert cadre.bot_messages()  # untouched


async def test_asking_for_someone_elses_case_by_reply(world: World, county) -> None:
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "Mine")
    stranger = world.person("Zhao")
    await register_resident(stranger)
    # Message links are per chat: the same message id in the stranger's chat finds nothing.
    linked = res.last()["message_id"]
    own = [m for m in stranger.bot_messages() if m["message_id"] <= linked][-1]
    await stranger.reply(own, "let me in")
    assert stranger.last_text() == t("en", "loose.what_to_do")
    await stranger.send("/cases")
    assert stranger.last_text() == t("en", "cases.none_resident")
    async with world.app.db.read() as session:
        n = (await session.execute(select(func.count()).select_from(CaseEvent))).scalar_one()
    assert n == 2  # filed + the resident's message; nothing added


async def test_a_redelivered_update_files_nothing_twice(world: World, county) -> None:
    cadre = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "Once only")
    # Telegram redelivers the last few updates (the "Send" press and a follow-up).
    response = await world.emulator.call(
        "123456:TEST-TOKEN", "getUpdates", {"offset": 0, "timeout": 0}
    )
    assert response.body["result"] == []  # all confirmed; redeliver from our own record
    await res.reply(res.last(), "Follow-up")
    cadre_messages = len(cadre.bot_messages())
    history = world.emulator.history(res.id)
    follow_up = next(m for m in history if m.get("text") == "Follow-up")
    update = {"update_id": 999_999, "message": follow_up}
    await world.redeliver(update)
    await world.redeliver(update | {"update_id": 1_000_000})  # same message, new update id
    assert len(cadre.bot_messages()) == cadre_messages
    async with world.app.db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Case))).scalar_one() == 1


async def test_invites_are_single_use_and_expire(world: World, county, clock: FakeClock) -> None:
    invite = await world.app.services.staff.create_invite("cadre", point_code="JH02")
    token = invite.link.split("start=", 1)[1]
    first, second = world.person("First"), world.person("Second")
    await first.send(f"/start {token}")
    await first.press(t("en", "reg.accept"))
    assert first.saw("You are now a cadre")
    await second.send(f"/start {token}")
    await second.press(t("en", "reg.accept"))
    assert second.saw(t("en", "invite.used"))
    late = await world.app.services.staff.create_invite("cadre", point_code="JH02")
    clock.advance(hours=73)
    third = world.person("Third")
    await third.send("/start " + late.link.split("start=", 1)[1])
    await third.press(t("en", "reg.accept"))
    assert third.saw(t("en", "invite.expired"))
    async with world.app.db.read() as session:
        hashes = (await session.execute(select(Invite.token_hash))).scalars().all()
    assert token.removeprefix("inv_") not in hashes  # only hashes are stored


async def test_a_resident_who_blocked_the_bot(world: World, county) -> None:
    cadre = county
    res = world.person("Zhang")
    await register_resident(res)
    await file_case(res, "x")
    world.emulator.user_block_bot(res.id)
    await world.settle()
    card = cadre.bot_messages()[-1]
    await cadre.reply(card, "Hello?")
    async with world.app.db.read() as session:
        # The newest row to the resident (the cadre's card is redrawn in the cadre's chat).
        row = (
            (
                await session.execute(
                    select(Outbox).where(Outbox.chat_id == res.id).order_by(Outbox.id.desc())
                )
            )
            .scalars()
            .first()
        )
    assert row is not None and row.status == "dead" and "blocked" in (row.last_error or "")
    world.emulator.user_unblock_bot(res.id)
    await res.send("/start")
    assert res.saw("Welcome back")
