"""End to end across the two channels: a WeChat resident (the WeChat emulator over HTTP, pushing
to the bot's callback in the safe mode, the bot calling its API) and a Telegram cadre (the
Telegram emulator, the real dispatcher). The resident scans the point's QR code, accepts the
privacy notice, files a case; the cadre replies natively; the resident receives it. WeChat's
retries of one message file one case; a reply outside the 48-hour window waits, is never
"sent", the cadre is told, and it arrives when the resident next writes."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.factory import telegram_files
from emulator.wechat import Account, Platform, start_wechat
from emulator.wechat.platform import Follower
from emulator.wechat.runner import RunningWeChat
from models.enums import OutboxStatus
from models.tables import Case, Outbox
from services.channels import WECHAT
from services.clock import FakeClock
from tests.harness import World, join_staff, load_points
from wechat.channel import WeChatChannel, WeChatConfig

TEMPLATE = "TPL_REPLY_WAITING"


class Clock:
    """The WeChat platform's clock (seconds), moved by the test."""

    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclasses.dataclass
class Both:
    world: World
    wechat: RunningWeChat
    channel: WeChatChannel
    time: Clock

    async def settle(self) -> None:
        """Until nothing moves: WeChat's kept pushes handled, both outboxes delivered."""
        for _ in range(20):
            moved = await self.channel.handle_inbox()
            moved += await self.channel.sender.drain()
            before = self.world.updates_handled
            await self.world.settle()
            moved += await self.world.app.sender.drain()
            if not moved and self.world.updates_handled == before:
                return
        raise AssertionError("did not settle")

    async def say(self, follower: Follower, text: str) -> None:
        result = await self.wechat.pusher.text(follower, text)
        assert result.attempts == ["200"] and result.reply is None  # "success", at once
        await self.settle()


def received(follower: Follower) -> list[str]:
    """What the resident read: texts, and clickable menus (msgmenu) as their head and items."""
    return [
        str(m["text"]["content"])
        if m["msgtype"] == "text"
        else "\n\n".join(
            [m["msgmenu"]["head_content"], "\n".join(i["content"] for i in m["msgmenu"]["list"])]
        )
        for m in follower.received
        if m.get("via") == "custom" and m.get("msgtype") in ("text", "msgmenu")
    ]


@pytest.fixture
async def both(db_path: Path, clock: FakeClock) -> AsyncIterator[Both]:
    world = await World.create(db_path, clock)
    time = Clock()
    wechat = await start_wechat(Platform(Account(), clock=time))
    account = wechat.platform.account
    config = WeChatConfig(
        app_id=account.app_id,
        app_secret=account.app_secret,
        token=account.token,
        encoding_aes_key=account.encoding_aes_key,
        api_base=wechat.url,
        subscription_template=TEMPLATE,
    )
    # Files cross both ways as in cpbot (bot.factory): from Telegram by getFile, from WeChat
    # by its media API.
    channel = WeChatChannel(world.app.services, config, fetch_file=telegram_files(world.app.bot))
    world.app.sender.channel_files[WECHAT] = channel.fetch_media
    app = web.Application()
    app.add_routes(channel.routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    wechat.platform.account = dataclasses.replace(
        account, callback_url=f"http://{host}:{port}/wechat"
    )
    try:
        yield Both(world, wechat, channel, time)
    finally:
        await runner.cleanup()
        await channel.close()
        await wechat.stop()
        await world.close()


async def _resident_with_case(both: Both) -> tuple[Follower, Case, Any]:
    world = both.world
    await load_points(world)
    cadre = world.person("Li", "en")
    await join_staff(world, cadre)
    follower = both.wechat.platform.new_follower("en")
    # The poster's QR code, made by the bot through WeChat's API.
    url = await both.channel.point_qr("XH01")
    ticket = url.rsplit("/", 1)[1]
    scene = both.wechat.platform.scene_of(ticket)
    result = await both.wechat.pusher.follow(follower, scene)
    assert result.attempts == ["200"]
    await both.settle()
    # The privacy notice with its numbered choices, in the language of their WeChat profile.
    assert "1." in received(follower)[-1] and "Welcome" in received(follower)[-1]
    await both.say(follower, "1")  # I agree
    assert any("Xinhua Street" in text for text in received(follower))
    await both.say(follower, "The water pipe in our stairwell is leaking")
    await both.say(follower, "1")  # a complaint
    categories = await world.app.services.cases.categories()
    water = next(i for i, c in enumerate(categories, 1) if c.code == "water")
    await both.say(follower, str(water))
    async with world.app.db.read() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.public_no in received(follower)[-1]  # the resident's record of the case
    return follower, case, cadre


def _card(cadre: Any, case: Case) -> dict[str, Any]:
    return next(
        m for m in reversed(cadre.bot_messages()) if case.public_no in (m.get("text") or "")
    )


async def test_scan_register_file_cadre_replies_resident_receives(both: Both) -> None:
    follower, case, cadre = await _resident_with_case(both)
    # The case reached the Telegram cadre as today: the card with the resident's words.
    card = next(
        m for m in reversed(cadre.bot_messages()) if case.public_no in (m.get("text") or "")
    )
    assert "water pipe" in card["text"]
    # A follow-up from WeChat goes to the same case and reaches the cadre.
    await both.say(follower, "It is getting worse")
    assert cadre.saw("It is getting worse")
    # The cadre answers with Telegram's reply; it reaches the resident on WeChat, also when
    # WeChat retired the bot's access token meanwhile (fetched again, once).
    tokens = both.wechat.platform.counters["token"]
    both.wechat.platform.expire_tokens()
    await cadre.reply(card, "A plumber comes at 3 pm")
    await both.settle()
    assert any("A plumber comes at 3 pm" in text for text in received(follower))
    assert both.wechat.platform.counters["token"] == tokens + 1


async def test_wechat_retries_of_one_message_file_one_case(both: Both) -> None:
    follower, _case, _cadre = await _resident_with_case(both)
    await both.say(follower, "0")  # leave the case in hand: the next message begins a new one
    pusher = both.wechat.pusher
    message: dict[str, str | int] = {
        **pusher._head(follower, "text"),
        "Content": "The street lamp at the gate is broken",
        "MsgId": both.wechat.platform.next_msg_id(),
    }
    for _ in range(3):  # WeChat's three tries of one message, the same MsgId
        assert (await pusher._push(follower, message)).attempts == ["200"]
    await both.settle()
    await both.say(follower, "1")
    await both.say(follower, "1")
    async with both.world.app.db.read() as session:
        lamps = (
            await session.execute(
                select(func.count()).select_from(Case).where(Case.summary.like("%street lamp%"))  # type: ignore[attr-defined]
            )
        ).scalar_one()
    assert lamps == 1


async def test_reply_outside_the_window_waits_then_arrives(both: Both) -> None:
    follower, case, cadre = await _resident_with_case(both)
    both.wechat.platform.authorize(follower.openid, TEMPLATE, 1)
    card = next(
        m for m in reversed(cadre.bot_messages()) if case.public_no in (m.get("text") or "")
    )
    both.time.now += 49 * 3600  # two days of silence: the reply window closed
    before = len(received(follower))
    await cadre.reply(card, "Could you send a photo?")
    await both.settle()
    assert len(received(follower)) == before  # nothing went out…
    async with both.world.app.db.read() as session:
        row = (
            await session.execute(
                select(Outbox)
                .where(Outbox.chat_id < -(2**60))  # type: ignore[operator]
                .order_by(Outbox.id.desc())  # type: ignore[attr-defined]
                .limit(1)
            )
        ).scalar_one()
    assert row.status == OutboxStatus.WAITING and row.sent_at is None  # …and none is "sent"
    assert "Could you send a photo?" in row.payload["text"]
    subscriptions = [m for m in follower.received if m.get("via") == "subscription"]
    assert len(subscriptions) == 1  # the resident was told a reply waits
    assert cadre.saw(case.public_no) and any("48" in text for text in cadre.texts()[-2:])
    # The resident writes again: the waiting reply arrives, before the answer to what they wrote.
    await both.say(follower, "Hello?")
    texts = received(follower)[before:]
    assert any("Could you send a photo?" in text for text in texts)
    assert "Could you send a photo?" in texts[0]


async def test_choices_are_clickable_menus_and_a_click_answers_them(both: Both) -> None:
    follower, _case, _cadre = await _resident_with_case(both)
    await both.say(follower, "0")  # leave the case in hand
    await both.say(follower, "The bench in the park is broken")
    menu = follower.received[-1]
    assert menu["msgtype"] == "msgmenu"  # the kinds, as WeChat's clickable menu
    items = menu["msgmenu"]["list"]
    assert items[0]["content"].startswith("1. ")
    # The resident clicks the first kind: WeChat sends its text with the item's id.
    await both.wechat.pusher.menu_choice(follower, items[0]["id"], items[0]["content"])
    await both.settle()
    # The areas: twelve, more than a menu takes (ten), so numbered text.
    assert "Water supply" in received(follower)[-1]
    assert follower.received[-1]["msgtype"] == "text"
    # A click on the older menu is refused as such, and files nothing.
    await both.wechat.pusher.menu_choice(follower, items[1]["id"], items[1]["content"])
    await both.settle()
    assert "no longer valid" in received(follower)[-1]
    async with both.world.app.db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Case))).scalar_one() == 1


async def test_the_language_of_the_wechat_profile_until_one_is_chosen(both: Both) -> None:
    await load_points(both.world)
    chinese = both.wechat.platform.new_follower("zh_CN")
    english = both.wechat.platform.new_follower("en")
    for follower in (chinese, english):
        await both.wechat.pusher.follow(follower, "cp_XH01")
    await both.settle()
    assert "欢迎" in received(chinese)[-1] and "Welcome" in received(english)[-1]
    await both.say(english, "3")  # chosen: the other language, whatever the profile says
    assert "欢迎" in received(english)[-1]
