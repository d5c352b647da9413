"""The callback URL against the WeChat emulator's pushes: verified, decrypted, kept once under
WeChat's retries (also when the database is slower than WeChat's five seconds), answered at once,
and nothing of a wrongly signed push kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from emulator.wechat import Account, start_wechat
from emulator.wechat.push import UNAVAILABLE
from models.channels import ChannelInbox
from models.db import Database
from services import channel_inbox
from wechat.callback import Callback, dedupe_key
from wechat.crypto import MessageCrypto, signature

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
    yield database
    await database.dispose()


class Bot:
    """The callback served over HTTP, keeping pushes in the inbox (optionally slowly)."""

    def __init__(self, db: Database, account: Account, slow_first: float = 0.0) -> None:
        self.db = db
        self.slow_first = slow_first
        self.calls = 0
        crypto = MessageCrypto(account.token, account.encoding_aes_key, account.app_id)
        self.callback = Callback(crypto, self.keep)

    async def keep(self, key: str, sender: str, fields: dict[str, str]) -> bool:
        self.calls += 1
        if self.calls == 1 and self.slow_first:
            await asyncio.sleep(self.slow_first)  # a database slower than WeChat waits
        return await channel_inbox.accept(self.db, "wechat", key, sender, fields, NOW)

    async def serve(self) -> tuple[web.AppRunner, str]:
        app = web.Application()
        app.add_routes(self.callback.routes("/wechat"))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        return runner, f"http://{host}:{port}/wechat"


async def _rows(db: Database) -> list[ChannelInbox]:
    async with db.read() as session:
        return list((await session.execute(select(ChannelInbox))).scalars())


async def test_a_push_is_kept_once_and_answered(db: Database) -> None:
    bot = Bot(db, Account())
    runner, url = await bot.serve()
    try:
        async with await start_wechat(Account(callback_url=url), push_wait=2.0) as wechat:
            follower = wechat.platform.new_follower()
            followed = await wechat.pusher.follow(follower, scene="cp_XH01")
            texted = await wechat.pusher.text(follower, "小区路灯坏了三天")
    finally:
        await runner.cleanup()
    assert followed.attempts == ["200"] and texted.attempts == ["200"]
    rows = await _rows(db)
    assert [r.payload.get("Event") or r.payload.get("Content") for r in rows] == [
        "subscribe",
        "小区路灯坏了三天",
    ]
    assert rows[0].payload["EventKey"] == "qrscene_cp_XH01"
    assert {r.sender for r in rows} == {follower.openid}


async def test_a_slow_database_under_wechats_retries_keeps_one(db: Database) -> None:
    bot = Bot(db, Account(), slow_first=0.6)
    runner, url = await bot.serve()
    try:
        async with await start_wechat(Account(callback_url=url), push_wait=0.3) as wechat:
            follower = wechat.platform.new_follower()
            follower.following = True
            result = await wechat.pusher.text(follower, "路灯")
            await asyncio.sleep(0.5)  # the first, slow try finishes after WeChat gave up on it
    finally:
        await runner.cleanup()
    assert result.attempts[0] == "timeout"
    assert result.delivered  # a retry was answered
    assert bot.calls >= 2
    assert [r.payload["Content"] for r in await _rows(db)] == ["路灯"]
    assert UNAVAILABLE not in [m.get("Content") for m in follower.received]


async def test_a_wrongly_signed_push_is_refused_and_nothing_kept(db: Database) -> None:
    bot = Bot(db, Account())
    runner, url = await bot.serve()
    try:
        wrong = Account(callback_url=url, token="not-our-token")
        async with await start_wechat(wrong, push_wait=1.0) as wechat:
            follower = wechat.platform.new_follower()
            follower.following = True
            result = await wechat.pusher.text(follower, "hi")
    finally:
        await runner.cleanup()
    assert result.attempts == ["403", "403", "403"]
    assert await _rows(db) == []


async def test_the_url_check_echoes_only_for_our_token(db: Database) -> None:
    account = Account()
    bot = Bot(db, account)
    runner, url = await bot.serve()
    good = {"timestamp": "1", "nonce": "2", "echostr": "hello"}
    good["signature"] = signature(account.token, "1", "2")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url, params=good) as response:
                assert (response.status, await response.text()) == (200, "hello")
            async with http.get(url, params={**good, "nonce": "3"}) as response:
                assert response.status == 403
            params = {"timestamp": "1", "nonce": "2", "signature": good["signature"]}
            async with http.post(url, params=params, data=b"<xml><oops") as response:
                assert response.status == 400
            big = b"<xml><Content>" + b"x" * 70_000 + b"</Content></xml>"
            async with http.post(url, params=params, data=big) as response:
                assert response.status == 413
    finally:
        await runner.cleanup()
    assert await _rows(db) == []


async def test_inbox_claims_each_senders_oldest_first(db: Database) -> None:
    for key, sender in [("1", "a"), ("2", "a"), ("3", "b")]:
        assert await channel_inbox.accept(db, "wechat", key, sender, {"Content": key}, NOW)
    assert not await channel_inbox.accept(db, "wechat", "1", "a", {"Content": "1"}, NOW)
    first = await channel_inbox.claim(db, "wechat", NOW)
    assert sorted(i.payload["Content"] for i in first) == ["1", "3"]
    assert await channel_inbox.claim(db, "wechat", NOW) == []  # a's next waits for its first
    for inbound in first:
        await channel_inbox.finish(db, inbound.id)
    second = await channel_inbox.claim(db, "wechat", NOW)
    assert [i.payload["Content"] for i in second] == ["2"]
    assert all(r.payload == {} for r in await _rows(db) if r.status == "done")


def test_events_are_told_apart_by_sender_time_and_kind() -> None:
    base = {"FromUserName": "o1", "CreateTime": "100", "Event": "subscribe"}
    assert dedupe_key(base) != dedupe_key({**base, "Event": "CLICK"})
    assert dedupe_key({**base, "MsgId": "7"}) == "msg:7"
