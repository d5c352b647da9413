"""Two ``cpbot webhook`` processes sharing one PostgreSQL database (and Redis), both serving
WeChat's callback: every push of the resident reaches both of them at once — as WeChat's
retries may land on different replicas behind a load balancer — and each is handled exactly
once: one privacy notice, one registration, one case, one answer to each message."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import types
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from emulator.runner import RunningEmulator
from emulator.wechat import Account, start_wechat
from emulator.wechat.platform import Follower, Platform
from emulator.wechat.push import Pusher
from tests import pg
from tests.e2e.conftest import BotProcess, free_port
from tests.e2e.test_webhook_e2e import wait_ready
from tests.e2e.test_wechat_process import _texts, checked_url
from tests.harness import POINTS_CSV

REDIS_DB = 11


@pytest.fixture
async def database() -> AsyncIterator[str]:
    base = pg.base_url()
    if not base:
        pytest.skip(f"{pg.ENV} is not set")
    template = await pg.create_template(base)
    name = await pg.create_copy(base, template)
    try:
        yield pg.async_url(base, name)
    finally:
        await pg.drop(base, name)
        await pg.drop(base, template)


def _replica_pusher(platform: Platform, callback_url: str) -> Pusher:
    """A pusher of the same platform delivering to another replica's URL."""
    view = types.SimpleNamespace(
        account=dataclasses.replace(platform.account, callback_url=callback_url),
        clock=platform.clock,
        passive_reply=platform.passive_reply,
    )
    return Pusher(view)  # type: ignore[arg-type]


async def _wait(check: Callable[[], Any], what: str, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"waited in vain for {what}")


async def test_two_replicas_each_push_handled_once(  # type: ignore[no-untyped-def]
    emulator: RunningEmulator, make_bot, database: str, tmp_path
) -> None:
    from redis.asyncio import Redis

    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    wechat = await start_wechat(Account())
    account = wechat.platform.account
    ports = [free_port(), free_port()]
    env = dict(
        PYTHONFAULTHANDLER="1",
        CPBOT_DATABASE_URL=database,
        CPBOT_REDIS_URL=redis_url,
        CPBOT_WEBHOOK_URL=f"http://127.0.0.1:{ports[0]}/telegram",
        CPBOT_WECHAT_APP_ID=account.app_id,
        CPBOT_WECHAT_APP_SECRET=account.app_secret,
        CPBOT_WECHAT_TOKEN=account.token,
        CPBOT_WECHAT_AES_KEY=account.encoding_aes_key,
        CPBOT_WECHAT_API_BASE=wechat.url,
    )
    first = make_bot(**env, CPBOT_WEBHOOK_PORT=str(ports[0]))
    (tmp_path / "second").mkdir()
    second = BotProcess(tmp_path / "second", {**first.env, "CPBOT_WEBHOOK_PORT": str(ports[1])})
    urls = [f"http://127.0.0.1:{port}/wechat" for port in ports]
    pushers = [_replica_pusher(wechat.platform, url) for url in urls]
    dsn = database.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(dsn)
    try:
        (first.workdir / "points.csv").write_text(POINTS_CSV, encoding="utf-8")
        imported = await asyncio.to_thread(first.cli, "points", "import", "points.csv")
        assert imported.returncode == 0, imported.stderr
        first.start("webhook")
        second.start("webhook")
        for url in urls:
            await wait_ready(checked_url(url, account.token), timeout=90)

        platform = wechat.platform
        follower: Follower = platform.new_follower("en")

        async def to_both(fields: dict[str, str | int]) -> None:
            results = await asyncio.gather(*(p._push(follower, fields) for p in pushers))
            assert all(r.attempts == ["200"] for r in results), [r.attempts for r in results]

        async def say(text: str) -> None:
            platform.interact(follower, "message")
            head = pushers[0]._head(follower, "text")
            await to_both({**head, "Content": text, "MsgId": platform.next_msg_id()})

        async def answered(fragment: str) -> None:
            await _wait(
                lambda: _async(any(fragment in t for t in _texts(follower))), repr(fragment)
            )

        follower.following, follower.followed_at = True, platform.clock()
        platform.interact(follower, "scan")
        await to_both(
            {
                **pushers[0]._head(follower, "event"),
                "Event": "subscribe",
                "EventKey": "qrscene_cp_XH01",
            }
        )
        await answered("Welcome")
        await say("1")  # I agree
        await answered("Xinhua Street")
        await say("The pipe in the stairwell is leaking")
        await _wait(lambda: _async("1." in _texts(follower)[-1]), "the kinds")
        await say("1")  # a complaint
        await answered("Water")
        areas = _texts(follower)[-1]
        await say(next(line.split(".")[0] for line in areas.splitlines() if "Water" in line))

        async def settled() -> bool:
            open_rows = await conn.fetchval(
                "SELECT count(*) FROM channel_inbox WHERE status NOT IN ('done', 'failed')"
            )
            pending = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE channel = 'wechat' "
                "AND status IN ('pending', 'sending')"
            )
            cases = await conn.fetchval("SELECT count(*) FROM cases")
            return open_rows == 0 and pending == 0 and cases >= 1

        await _wait(settled, "both replicas done")
        # Five pushes, each stored once (the second copy found its key taken) and handled once.
        assert await conn.fetchval("SELECT count(*) FROM channel_inbox") == 5
        assert await conn.fetchval("SELECT count(*) FROM channel_inbox WHERE status='done'") == 5
        assert await conn.fetchval("SELECT count(*) FROM cases") == 1
        assert await conn.fetchval("SELECT count(*) FROM channel_identities") == 1
        sent = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE channel = 'wechat' AND status = 'sent'"
        )
        texts = _texts(follower)
        assert len(texts) == sent  # every answer once, none twice
        assert sum("Welcome" in t for t in texts) == 1
        assert sum("Li Wei" in t or "received" in t.lower() for t in texts) <= 1
    except AssertionError:
        for process in (first, second):  # a stuck process says where (faulthandler)
            if process.proc and process.proc.poll() is None:
                process.proc.send_signal(signal.SIGABRT)
                process.proc.wait(10)
            print(process.output()[-5000:])
        raise
    finally:
        await conn.close()
        for pusher in pushers:
            await pusher.aclose()
        await wechat.stop()
        for process in (first, second):
            await asyncio.to_thread(process.stop)
    for process in (first, second):
        assert "Traceback" not in process.output(), process.output()[-4000:]


async def _async(value: bool) -> bool:
    return value
