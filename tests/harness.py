"""The real dispatcher, all routers and middlewares, against the emulator in-process.

``EmulatorSession`` is an aiogram session that hands each request to the emulator's core as
aiogram would have sent it over HTTP (same value encoding), so integration tests exercise the
real Bot API shapes without sockets. ``World.settle()`` feeds every pending update to the
dispatcher in order and drains the outbox, until nothing moves.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile, Update

from bot.factory import App, build_app
from bot.flood import FloodControl
from bot.limits import MemoryLimiter
from bot.settings import Settings, load_settings
from emulator.config import BotConfig, EmulatorConfig, LimitsConfig
from emulator.core import Emulator, UploadedFile
from emulator.people import Attachment
from services.clock import FakeClock
from tests.conftest import TIPOFF_KEY

TOKEN = "123456:TEST-TOKEN"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
    b"\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


class EmulatorSession(BaseSession):
    def __init__(self, emulator: Emulator) -> None:
        super().__init__()
        self.emulator = emulator

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        files: dict[str, InputFile] = {}
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                params[key] = prepared
        uploads = {}
        for key, file in files.items():
            data = b"".join([chunk async for chunk in file.read(bot)])
            uploads[key] = UploadedFile(data, file.filename)
        response = await self.emulator.call(bot.token, method.__api_method__, params, uploads)
        checked = self.check_response(
            bot=bot, method=method, status_code=response.status, content=json.dumps(response.body)
        )
        return checked.result  # type: ignore[return-value]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        # A file the bot downloads (getFile's path): straight from the emulator's store.
        path = url.split("/file/bot", 1)[1].split("/", 1)[1]
        stored = self.emulator.world.files.by_path(path)
        if stored is None:
            raise RuntimeError(f"no file at {path}")
        yield stored.data

    async def close(self) -> None:
        return None


@dataclass
class Person:
    world: World
    user: dict[str, Any]

    @property
    def id(self) -> int:
        return int(self.user["id"])

    # -- doing things ---------------------------------------------------------------------

    async def send(self, text: str, **kw: Any) -> dict[str, Any]:
        msg = self.world.emulator.user_send(self.id, text=text, **kw)
        await self.world.settle()
        return msg

    async def send_photo(self, caption: str | None = None, **kw: Any) -> dict[str, Any]:
        msg = self.world.emulator.user_send(
            self.id, photo=Attachment(PNG, "p.png", "image/png"), caption=caption, **kw
        )
        await self.world.settle()
        return msg

    async def send_other(self, **kw: Any) -> dict[str, Any]:
        msg = self.world.emulator.user_send(self.id, **kw)
        await self.world.settle()
        return msg

    async def reply(self, to: dict[str, Any] | int, text: str) -> dict[str, Any]:
        message_id = to if isinstance(to, int) else to["message_id"]
        return await self.send(text, reply_to_message_id=message_id)

    async def press(
        self,
        label: str | re.Pattern[str],
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Press the newest inline button whose text matches ``label``."""
        for msg in [message] if message else reversed(self.bot_messages()):
            for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if _matches(label, button["text"]) and "callback_data" in button:
                        return await self.press_data(msg["message_id"], button["callback_data"])
        raise AssertionError(f"no button {label!r} in {self.name}'s chat:\n{self.transcript()}")

    async def press_data(self, message_id: int, data: str) -> dict[str, Any]:
        query = self.world.emulator.user_press(self.id, None, message_id, data)
        await self.world.settle()
        return query

    # -- looking -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return str(self.user.get("first_name"))

    def history(self) -> list[dict[str, Any]]:
        return self.world.emulator.history(self.id)

    def bot_messages(self) -> list[dict[str, Any]]:
        return [
            m for m in self.history() if m.get("from", {}).get("is_bot") and not m.get("deleted")
        ]

    def last(self) -> dict[str, Any]:
        return self.bot_messages()[-1]

    def last_text(self) -> str:
        msg = self.last()
        return str(msg.get("text") or msg.get("caption") or "")

    def texts(self) -> list[str]:
        return [str(m.get("text") or m.get("caption") or "") for m in self.bot_messages()]

    def transcript(self) -> str:
        return "\n---\n".join(self.texts()[-8:])

    def toasts(self) -> list[str]:
        return [str(a.get("text") or "") for a in self.world.emulator.callback_answers(self.id)]

    def keyboard(self) -> list[str]:
        board = self.world.emulator.keyboard(self.id)["keyboard"] or {}
        rows = board.get("keyboard") or []
        return [b["text"] if isinstance(b, dict) else str(b) for row in rows for b in row]

    def saw(self, fragment: str) -> bool:
        return any(fragment in text for text in self.texts())


def _matches(label: str | re.Pattern[str], text: str) -> bool:
    if isinstance(label, re.Pattern):
        return bool(label.search(text))
    return label in text


class World:
    """One county: the emulator, the bot app, and helpers to play residents and cadres."""

    def __init__(self, app: App, emulator: Emulator, admin: dict[str, Any]) -> None:
        self.app = app
        self.emulator = emulator
        self.admin = Person(self, admin)
        self.offset = 0
        self.updates_handled = 0
        self.flood: FloodControl | None = None
        self.settings: Settings | None = None
        self.clock: FakeClock | None = None

    @classmethod
    async def create(
        cls,
        db_path: Path,
        clock: FakeClock,
        *,
        database_url: str | None = None,
        redis_url: str | None = None,
    ) -> World:
        emulator = Emulator(
            EmulatorConfig(
                bots=(BotConfig(TOKEN, "cp_test_bot"),),
                limits=LimitsConfig(enabled=False),
                check_results=True,
            )
        )
        # The administrator named in the settings, as an office bootstraps its first one.
        admin = emulator.create_user("Admin", "Zhou", language_code="en")
        settings = load_settings(
            token=TOKEN,
            database_url=database_url or f"sqlite+aiosqlite:///{db_path}",
            redis_url=redis_url,
            admin_ids=str(admin["id"]),
            bot_username="cp_test_bot",
            tipoff_key=TIPOFF_KEY,
        )
        # Flood control as in production, but with room for a test's quick presses: on a fast
        # machine a wizard's dozen steps can come within a few milliseconds, and a burst of 6 at
        # 200 a second then told the tester to slow down (a stray reply; test_safety freezes the
        # clock and narrows the burst to see that reply on purpose).
        flood = FloodControl(rate=1000, burst=100)
        app = await build_app(
            settings,
            session=EmulatorSession(emulator),
            clock=clock,
            limiter=MemoryLimiter(rate=10_000, chat_interval=0),
            flood=flood,
        )
        world = cls(app, emulator, admin)
        world.flood = flood
        world.settings = settings
        world.clock = clock
        return world

    async def restart(self) -> None:
        """The bot process ends and a new one starts on the same database: new bot, dispatcher
        and sender objects, nothing kept in memory (the emulator, Telegram, stays)."""
        assert self.settings is not None
        await self.app.sender.drain()
        await self.app.close()
        self.flood = FloodControl(rate=1000, burst=100)
        self.app = await build_app(
            self.settings,
            session=EmulatorSession(self.emulator),
            clock=self.clock,
            limiter=MemoryLimiter(rate=10_000, chat_interval=0),
            flood=self.flood,
        )

    async def close(self) -> None:
        await self.app.bot.session.close()
        await self.app.db.dispose()
        await self.emulator.aclose()

    def person(
        self,
        first_name: str,
        language: str = "en",
        last_name: str | None = None,
    ) -> Person:
        code = "zh-hans" if language.startswith("zh") else language
        return Person(self, self.emulator.create_user(first_name, last_name, language_code=code))

    async def settle(self, rounds: int = 50) -> None:
        for _ in range(rounds):
            response = await self.emulator.call(
                TOKEN, "getUpdates", {"offset": self.offset, "timeout": 0}
            )
            updates = response.body["result"]
            for raw in updates:
                self.offset = raw["update_id"] + 1
                update = Update.model_validate(raw, context={"bot": self.app.bot})
                await self.app.dp.feed_update(self.app.bot, update)
                self.updates_handled += 1
            sent = await self.app.sender.drain()
            if not updates and not sent:
                return
        raise AssertionError("the world did not settle")

    async def redeliver(self, raw_update: dict[str, Any]) -> None:
        """Feed an update again, as Telegram does after a timeout."""
        update = Update.model_validate(raw_update, context={"bot": self.app.bot})
        await self.app.dp.feed_update(self.app.bot, update)
        await self.app.sender.drain()


POINTS_CSV = """code,name,region,address,lat,lon,tz
XH01,新华街道联系点 Xinhua Street,Jinghu,新华路12号,31.3526,118.3764,Asia/Shanghai
JH02,镜湖社区联系点 Jinghu Lake,Jinghu,湖滨路1号,31.3400,118.3700,Asia/Shanghai
YJ03,弋江村联系点 Yijiang Village,Yijiang,村委会,31.3000,118.4000,Asia/Shanghai
"""


def t(locale: str, key: str, **params: Any) -> str:
    """A catalog message as the bot would say it, tags stripped as Telegram shows them."""
    from locales import load_catalog

    text = load_catalog("bot").text(locale, key, **params)
    return re.sub(r"<[^>]+>", "", text).replace("&lt;", "<").replace("&gt;", ">")


def locale_of(person: Person) -> str:
    return "zh_Hans" if str(person.user.get("language_code", "")).startswith("zh") else "en"


async def load_points(world: World) -> None:
    await world.app.services.points.import_csv(POINTS_CSV)


async def register_resident(person: Person, point: str = "XH01", phone: bool = False) -> None:
    loc = locale_of(person)
    await person.send(f"/start cp_{point}")
    await person.press(t(loc, "reg.accept"))
    if phone:
        await person.send_other(
            contact={
                "phone_number": "+8613800000000",
                "first_name": person.name,
                "user_id": person.id,
            }
        )
    else:
        await person.send(t(loc, "reg.skip_phone"))


async def join_staff(
    world: World,
    person: Person,
    role: str = "cadre",
    point: str | None = "XH01",
    title: str | None = None,
) -> None:
    loc = locale_of(person)
    invite = await world.app.services.staff.create_invite(role, point_code=point)
    token = invite.link.split("start=", 1)[1]
    await person.send(f"/start {token}")
    await person.press(t(loc, "reg.accept"))
    if title:
        await person.send(title)
    else:
        await person.press(t(loc, "btn.skip"))


async def file_case(
    person: Person, text: str, kind: str = "complaint", category: str = "water", photo: bool = False
) -> str:
    """Walk the filing wizard; returns the case number from the confirmation."""
    loc = locale_of(person)
    await person.send(t(loc, "menu.new_case"))
    await person.press(t(loc, f"kind.{kind}"))
    names = {c.code: c.name(loc) for c in await person.world.app.services.cases.categories()}
    await person.press(names[category])
    await person.send(text)
    if photo:
        await person.send_photo("photo of it")
    await person.press(t(loc, "btn.done"))
    await person.press(t(loc, "btn.send"))
    match = re.search(r"\d{4}-\d{4}", person.last_text())
    assert match, person.transcript()
    return match.group(0)
