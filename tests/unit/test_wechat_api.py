"""The bot's WeChat API client against the WeChat emulator over HTTP: one access token shared by
every process through the database, refreshed once when WeChat refuses it, WeChat's refusals
passed on with their codes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from emulator.wechat import Account, start_wechat
from emulator.wechat.runner import RunningWeChat
from models.channels import ChannelToken
from models.db import Database
from services.channel_media import MediaGone
from services.channel_tokens import Fetched, SharedToken
from services.clock import FakeClock
from wechat.api import Credentials, WeChatApi, WeChatApiError, fetch_token

ACCOUNT = Account()
KEY = f"wechat:{ACCOUNT.app_id}"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
    yield database
    await database.dispose()


@pytest.fixture
async def wechat() -> AsyncIterator[RunningWeChat]:
    async with await start_wechat(ACCOUNT) as running:
        yield running


@pytest.fixture
async def http(wechat: RunningWeChat) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=wechat.url) as client:
        yield client


def _api(db: Database, clock: FakeClock, http: httpx.AsyncClient, secret: str = "") -> WeChatApi:
    credentials = Credentials(ACCOUNT.app_id, secret or ACCOUNT.app_secret)
    token = SharedToken(db, clock, KEY, lambda: fetch_token(http, credentials))
    return WeChatApi(http, token)


def _window_open(wechat: RunningWeChat) -> str:
    follower = wechat.platform.new_follower()
    follower.following = True
    wechat.platform.interact(follower, "message")
    return follower.openid


def _text(openid: str) -> dict[str, object]:
    return {"touser": openid, "msgtype": "text", "text": {"content": "已收到"}}


async def test_two_processes_share_one_token(
    db: Database, clock: FakeClock, http: httpx.AsyncClient, wechat: RunningWeChat
) -> None:
    first, second = _api(db, clock, http), _api(db, clock, http)
    openid = _window_open(wechat)
    await asyncio.gather(first.send_custom(_text(openid)), second.send_custom(_text(openid)))
    await second.send_custom(_text(openid))
    assert wechat.platform.counters["token"] == 1
    assert len(wechat.platform.follower(openid).received) == 3


async def test_a_token_refused_mid_run_is_fetched_again_once(
    db: Database, clock: FakeClock, http: httpx.AsyncClient, wechat: RunningWeChat
) -> None:
    api, other = _api(db, clock, http), _api(db, clock, http)
    openid = _window_open(wechat)
    await api.send_custom(_text(openid))
    wechat.platform.expire_tokens()  # WeChat retired it early
    await api.send_custom(_text(openid))
    await other.send_custom(_text(openid))  # the other process takes the new one from the row
    assert wechat.platform.counters["token"] == 2
    assert len(wechat.platform.follower(openid).received) == 3


async def test_a_token_near_expiry_is_renewed_before_it_lapses(
    db: Database, clock: FakeClock, http: httpx.AsyncClient, wechat: RunningWeChat
) -> None:
    api = _api(db, clock, http)
    openid = _window_open(wechat)
    await api.send_custom(_text(openid))
    clock.advance(seconds=7200 - 200)  # inside the five-minute margin
    await api.send_custom(_text(openid))
    assert wechat.platform.counters["token"] == 2


async def test_a_crashed_fetchers_lease_lapses(
    db: Database, clock: FakeClock, http: httpx.AsyncClient, wechat: RunningWeChat
) -> None:
    api = _api(db, clock, http)
    await api.token.get()
    async with db.write() as session:
        await session.execute(
            update(ChannelToken).values(
                token=None, lease_owner="dead", lease_until=clock.now() + timedelta(seconds=5)
            )
        )
    clock.advance(seconds=6)
    api2 = _api(db, clock, http)
    assert await api2.token.get()
    assert wechat.platform.counters["token"] == 2


async def test_one_fetch_when_both_ask_at_once(db: Database, clock: FakeClock) -> None:
    calls = 0

    async def slow_fetch() -> Fetched:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return Fetched(token=f"t{calls}", expires_in=7200)

    a = SharedToken(db, clock, KEY, slow_fetch, poll=0.01)
    b = SharedToken(db, clock, KEY, slow_fetch, poll=0.01)
    assert await asyncio.gather(a.get(), b.get()) == ["t1", "t1"]
    assert calls == 1


async def test_wechats_refusals_keep_their_codes(
    db: Database, clock: FakeClock, http: httpx.AsyncClient, wechat: RunningWeChat
) -> None:
    api = _api(db, clock, http)
    closed = wechat.platform.new_follower()
    closed.following = True
    with pytest.raises(WeChatApiError) as out_of_window:
        await api.send_custom(_text(closed.openid))
    assert out_of_window.value.code == 45015
    with pytest.raises(MediaGone):  # 40007: expired after three days, or never there
        await api.download_media("no-such-media")
    media_id = await api.upload_media("image", "photo.png", b"\x89PNG-data", "image/png")
    assert await api.download_media(media_id) == (b"\x89PNG-data", "image/png")
    bad = _api(db, clock, http, secret="wrong")
    async with db.write() as session:  # no token stored yet for the wrong secret to use
        await session.execute(update(ChannelToken).values(token=None))
    with pytest.raises(WeChatApiError) as refused:
        await bad.token.get()
    assert refused.value.code == 40125
    # The failed fetch gave its lease back: the right secret gets a token at once.
    assert await _api(db, clock, http).token.get()
