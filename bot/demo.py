"""``cpbot demo``: the local Telegram and WeChat emulators, the bot and its scheduler on SQLite.

Everything runs in one process: a fresh database in the demo folder, the Telegram emulator
serving the Bot API and the chat page, the WeChat emulator serving an Official Account's API
and its phone-like chat page, and the bot polling the one and taking the other's pushes on its
WeChat callback. The seeded Telegram people register through the bot itself, as real people
would, so their chats show the whole way in; the WeChat residents follow the account by
scanning a contact point's poster on the page.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import socket
import string
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from bot.runners import serve_polling
from bot.serving import prepare, stop_on_signals
from bot.settings import load_settings
from emulator.config import BotConfig, EmulatorConfig
from emulator.core import Emulator
from emulator.runner import start_emulator
from emulator.wechat import Account, RunningWeChat, start_wechat
from emulator.wechat.page import Poster
from locales import load_catalog
from services.sealing import new_key

log = logging.getLogger(__name__)

TOKEN = "700001:DEMO-contact-point-bot"
USERNAME = "contact_point_demo_bot"
POINTS = """code,name,region,address,lat,lon,tz
XH01,新华街道联系点,芜湖市/镜湖区,镜湖区新华路12号,31.3526,118.3764,Asia/Shanghai
JH02,镜湖社区联系点,芜湖市/镜湖区,镜湖区湖滨路1号,31.3428,118.3765,Asia/Shanghai
YJ03,弋江村联系点,芜湖市/弋江区,弋江区弋江村村委会,31.2960,118.3715,Asia/Shanghai
WZ04,湾沚镇联系点,芜湖市/湾沚区,湾沚区湾沚镇政府一楼,31.1390,118.5680,Asia/Shanghai
"""
ZONE = "Asia/Shanghai"  # every demo point's zone: the page shows its times in it
ACCOUNT_NAME = "联系点 Contact Point"
# The poster a WeChat resident of each page language scans first: the point of that language's
# Telegram cadre, so their case reaches the cadre in the pane beside them.
WECHAT_POSTERS = {"zh_Hans": "XH01", "en": "JH02"}
Message = dict[str, Any]


class Seeder:
    """Plays the demo's people through the bot's own flows."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.catalog = load_catalog("bot")

    def label(self, locale: str, key: str) -> str:
        return self.catalog.text(locale, key)

    async def wait(
        self, user_id: int, predicate: Callable[[Message], bool], patience: float = 20
    ) -> Message:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        while loop.time() < deadline:
            for msg in reversed(self.emulator.history(user_id)):
                if msg.get("from", {}).get("is_bot") and predicate(msg):
                    return dict(msg)
            await asyncio.sleep(0.05)
        raise RuntimeError("the bot did not answer the demo's set-up in time")

    async def press(self, user_id: int, label: str) -> None:
        def has(msg: Message) -> bool:
            return any(b["text"] == label for row in _inline(msg) for b in row)

        msg = await self.wait(user_id, has)
        data = next(b["callback_data"] for row in _inline(msg) for b in row if b["text"] == label)
        self.emulator.user_press(user_id, None, msg["message_id"], data)

    async def say(self, user_id: int, text: str, then: Callable[[Message], bool]) -> None:
        count = len(self.emulator.history(user_id))
        self.emulator.user_send(user_id, text=text)
        await self.wait(user_id, lambda m: m["message_id"] > count and then(m))

    async def join(
        self, user: Message, locale: str, start: str, *, title: str | None = None
    ) -> None:
        uid = user["id"]
        await self.say(uid, f"/start {start}".strip(), lambda m: bool(_inline(m)))
        privacy = len(self.emulator.history(uid))
        await self.press(uid, self.label(locale, "reg.accept"))
        if start.startswith("inv_"):
            await self.wait(
                uid,
                lambda m: any(
                    b["text"] == self.label(locale, "btn.skip") for row in _inline(m) for b in row
                ),
            )
            if title:
                self.emulator.user_send(uid, text=title)
            else:
                await self.press(uid, self.label(locale, "btn.skip"))
        elif start.startswith("cp_"):
            ask = self.label(locale, "reg.ask_phone")
            await self.wait(uid, lambda m: m.get("text") == ask)
            self.emulator.user_send(uid, text=self.label(locale, "reg.skip_phone"))
        else:
            await self.wait(uid, lambda m: m["message_id"] > privacy)


def _inline(msg: Message) -> list[list[dict[str, Any]]]:
    return list((msg.get("reply_markup") or {}).get("inline_keyboard") or [])


def demo_account() -> Account:
    """An Official Account with credentials of its own for this run (never printed)."""
    alphanumeric = string.ascii_letters + string.digits
    return Account(
        app_id="wx" + secrets.token_hex(8),
        app_secret=secrets.token_hex(16),
        token=secrets.token_hex(16),
        encoding_aes_key="".join(secrets.choice(alphanumeric) for _ in range(43)),
    )


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


async def open_wechat_account(app: Any, wechat: RunningWeChat, points: dict[str, str]) -> None:
    """What an account's developer does once: the menu (as ``cpbot wechat menu``), each point's
    poster (as ``cpbot points qr --wechat``), and two people on the page who may scan one."""
    channel = app.wechat
    await channel.api.set_menu(channel.menu())
    page = wechat.page
    page.account_name = ACCOUNT_NAME
    for code, name in points.items():
        ticket = (await channel.point_qr(code)).rsplit("/", 1)[-1]
        page.posters.append(Poster(wechat.platform.scene_of(ticket), name, ticket))
    # Not following yet: they scan the poster on the page, as residents do in the street.
    zh = page.add_follower("王芳", "zh_CN")
    en = page.add_follower("Olivia Chen", "en")
    page.panes.update({"zh_Hans": zh.openid, "en": en.openid})
    page.posters_for.update({locale: f"cp_{code}" for locale, code in WECHAT_POSTERS.items()})


def fresh_database(folder: Path) -> Path:
    """A demo starts fresh: the emulator keeps its chats in memory only."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("demo.sqlite3*"):
        stale.unlink()
    return folder / "demo.sqlite3"


async def run_demo(folder: Path, host: str, port: int) -> None:
    click.echo("Starting the emulator, the bot and the chat page...")
    database = fresh_database(folder)
    emulator = Emulator(EmulatorConfig(bots=(BotConfig(TOKEN, USERNAME, "联系点 Contact Point"),)))
    # Chinese names are written whole, without the space Telegram puts between two fields.
    admin = emulator.create_user("周敏", None, "zhoumin", "zh-hans")
    cadre = emulator.create_user("李伟", None, "liwei", "zh-hans")
    inspector = emulator.create_user("陈静", None, "chenjing", "zh-hans")
    resident_zh = emulator.create_user("张秀英", None, None, "zh-hans")
    # The English pair shares a point of its own, so the resident's cases reach that cadre.
    cadre_en = emulator.create_user("Daniel", "Brooks", "dbrooks", "en")
    resident_en = emulator.create_user("Emma", "Wilson", None, "en")
    # The page opens on the pair in the browser's language, its clocks in the points' zone.
    emulator.config.page.update(
        {
            "time_zone": ZONE,
            "panes": {
                "zh_Hans": [resident_zh["id"], cadre["id"]],
                "en": [resident_en["id"], cadre_en["id"]],
            },
        }
    )
    running = await start_emulator(emulator, host, port)
    account = demo_account()
    wechat = await start_wechat(account, host, 0)
    callback_port = free_port("127.0.0.1")
    wechat.platform.account = replace(
        account, callback_url=f"http://127.0.0.1:{callback_port}/wechat"
    )
    emulator.config.page.update({"wechat": {"port": int(wechat.url.rsplit(":", 1)[1])}})
    settings = load_settings(
        token=TOKEN,
        api_base=running.url,
        bot_username=USERNAME,
        database_url=f"sqlite+aiosqlite:///{database}",
        admin_ids=str(admin["id"]),
        outbox_poll_seconds=2,
        tipoff_key=new_key(),  # the demo's anonymous reports are sealed like the real ones
        # The WeChat channel against the WeChat emulator; its callback on a port of its own.
        wechat_app_id=account.app_id,
        wechat_app_secret=account.app_secret,
        wechat_token=account.token,
        wechat_aes_key=account.encoding_aes_key,
        wechat_api_base=wechat.url,
        wechat_path="/wechat",
        webhook_host="127.0.0.1",
        webhook_port=callback_port,
    )
    app = await prepare(settings)
    await app.services.points.import_csv(POINTS)
    await open_wechat_account(app, wechat, _point_names(POINTS))
    stop = asyncio.Event()
    stop_on_signals(stop)
    bot_task = asyncio.create_task(serve_polling(app, stop))
    try:
        click.echo("Registering the demo's people through the bot (a few seconds)...")
        seeder = Seeder(emulator)
        cadre_invite = await app.services.staff.create_invite("cadre", point_code="XH01")
        cadre_en_invite = await app.services.staff.create_invite("cadre", point_code="JH02")
        inspector_invite = await app.services.staff.create_invite("inspector")
        await asyncio.gather(
            seeder.join(admin, "zh_Hans", ""),
            seeder.join(
                cadre, "zh_Hans", _payload(cadre_invite.link), title="新华街道党工委副书记"
            ),
            seeder.join(cadre_en, "en", _payload(cadre_en_invite.link), title="Community liaison"),
            seeder.join(inspector, "zh_Hans", _payload(inspector_invite.link)),
            seeder.join(resident_zh, "zh_Hans", "cp_XH01"),
            seeder.join(resident_en, "en", "cp_JH02"),
        )
        # The page's address comes first: scripts and tests take the first URL printed.
        click.echo(f"Open the chat page: {running.url}/")
        click.echo(
            f"For developers, the bot's Bot API: {running.url}/bot{TOKEN}/<method>"
            f" (e.g. getMe); its token: {TOKEN}. Stop with Ctrl-C."
        )
        click.echo(f"The WeChat resident's phone (also a pane of the chat page): {wechat.url}/")
        await stop.wait()
    finally:
        stop.set()
        await bot_task
        await emulator.aclose()
        await running.stop()
        await wechat.stop()


def _point_names(csv: str) -> dict[str, str]:
    rows = [line.split(",") for line in csv.strip().splitlines()[1:]]
    return {row[0]: row[1] for row in rows}


def _payload(link: str) -> str:
    match = re.search(r"start=(\S+)", link)
    assert match is not None
    return match.group(1)
