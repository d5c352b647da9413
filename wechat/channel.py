"""The WeChat channel put together: settings -> callback, API client, sender and inbox worker.

Built by ``bot.factory`` only when the WeChat settings are all present; otherwise the channel
is off and nothing of it runs. The callback keeps each push and answers ``success`` at once;
the inbox worker turns kept pushes into use cases (``services.wechat_residents``), one row per
resident at a time, in order; the sender delivers the channel's outbox rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

import httpx
from aiohttp import web

from services import channel_inbox
from services.app import Services
from services.channel_media import FetchFile
from services.channel_tokens import SharedToken
from services.channels import WECHAT
from services.wechat_residents import WeChatResidents
from wechat.api import DEFAULT_BASE, Credentials, WeChatApi, fetch_token
from wechat.callback import Callback
from wechat.crypto import MessageCrypto
from wechat.sender import WeChatSender

log = logging.getLogger(__name__)

GIVE_UP_AFTER = 5  # tries of one inbox row before it is set aside as failed


@dataclass(frozen=True)
class WeChatConfig:
    app_id: str
    app_secret: str
    token: str
    encoding_aes_key: str
    api_base: str = DEFAULT_BASE
    path: str = "/wechat"
    subscription_template: str | None = None
    poll_seconds: float = 5.0


class WeChatChannel:
    def __init__(
        self,
        services: Services,
        config: WeChatConfig,
        *,
        fetch_file: FetchFile | None = None,
        worker_id: str | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.services = services
        self.ctx = services.ctx
        self.config = config
        self.http = http or httpx.AsyncClient(base_url=config.api_base, timeout=10.0)
        credentials = Credentials(config.app_id, config.app_secret)
        token = SharedToken(
            self.ctx.db,
            self.ctx.clock,
            f"wechat:{config.app_id}",
            lambda: fetch_token(self.http, credentials),
        )
        self.api = WeChatApi(self.http, token)
        crypto = MessageCrypto(config.token, config.encoding_aes_key, config.app_id)
        self.callback = Callback(crypto, self.keep)
        self.sender = WeChatSender(
            services,
            self.api,
            worker_id=worker_id,
            poll_seconds=config.poll_seconds,
            subscription_template=config.subscription_template,
            fetch_file=fetch_file,
        )
        self.residents = WeChatResidents(services, self.profile_language)
        self._inbox = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.ctx.db.on_outbox_commit(self.sender.wake)

    async def profile_language(self, openid: str) -> str | None:
        """The language of a follower's WeChat profile (user info), for their first answers."""
        info = await self.api.user_info(openid)
        return str(info.get("language") or "") or None

    async def fetch_media(self, media_id: str) -> tuple[bytes, str]:
        """A resident's photo, voice or video kept by WeChat (for the Telegram sender)."""
        return await self.api.download_media(media_id)

    def routes(self) -> list[web.RouteDef]:
        return self.callback.routes(self.config.path)

    async def keep(self, key: str, sender: str, fields: dict[str, str]) -> bool:
        kept = await channel_inbox.accept(
            self.ctx.db, WECHAT, key, sender, fields, self.ctx.clock.now()
        )
        self._inbox.set()
        return kept

    # ---- the background: inbox worker and sender ----------------------------------------------

    async def start(self) -> None:
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(self._work_inbox(), name="wechat-inbox"),
            asyncio.create_task(self.sender.run(self._stop), name="wechat-sender"),
        ]

    async def stop(self) -> None:
        self._stop.set()
        self._inbox.set()
        self.sender.wake()
        for task in self._tasks:
            with contextlib.suppress(Exception):
                await task
        self._tasks = []

    async def close(self) -> None:
        await self.http.aclose()

    async def handle_inbox(self) -> int:
        """Handle every kept push now (tests, tools); returns how many rows were handled."""
        handled = 0
        while rows := await channel_inbox.claim(self.ctx.db, WECHAT, self.ctx.clock.now()):
            await asyncio.gather(*(self._handle(row) for row in rows))
            handled += len(rows)
        return handled

    async def _work_inbox(self) -> None:
        while not self._stop.is_set():
            try:
                if await self.handle_inbox():
                    continue
            except Exception:
                log.exception("wechat inbox: a round failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._inbox.wait(), self.config.poll_seconds)
            self._inbox.clear()

    async def _handle(self, row: channel_inbox.Inbound) -> None:
        try:
            await self.residents.handle(row)
        except Exception:
            log.exception("wechat inbox: a message could not be handled (try %d)", row.attempts)
            if row.attempts >= GIVE_UP_AFTER:
                await channel_inbox.finish(self.ctx.db, row.id, failed=True)
            else:
                delay = timedelta(seconds=2**row.attempts)
                await channel_inbox.postpone(self.ctx.db, row.id, self.ctx.clock.now() + delay)
            return
        await channel_inbox.finish(self.ctx.db, row.id)

    # ---- the account ----------------------------------------------------------------------

    def menu(self) -> dict[str, object]:
        """The account's menu in the default language (WeChat shows one menu to everyone)."""
        texts, locale = self.ctx.texts, self.ctx.config.default_locale

        def click(key: str, label: str) -> dict[str, str]:
            return {"type": "click", "name": texts(locale, label), "key": key}

        return {
            "button": [
                click("NEW_CASE", "wx.menu_new_case"),
                click("MY_CASES", "wx.menu_my_cases"),
                {
                    "name": texts(locale, "wx.menu_more"),
                    "sub_button": [
                        click("MY_POINT", "wx.menu_my_point"),
                        click("NOTICES", "wx.menu_notices"),
                        click("REPORT", "wx.menu_report"),
                        click("CONSULTATIONS", "wx.menu_consultations"),
                    ],
                },
            ]
        }

    async def point_qr(self, code: str) -> str:
        """What the permanent QR code of point ``code`` encodes: following the account through
        it (or scanning it again) sets the follower's point."""
        return str((await self.api.qrcode(f"cp_{code}"))["url"])
