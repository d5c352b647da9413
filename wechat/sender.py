"""The WeChat channel's sender: outbox rows of channel ``wechat`` as customer-service messages.

Its own lane beside Telegram's (``bot/sender.py``), with WeChat's rules:
- a customer-service message goes only within 48 hours of the resident's last message and
  within its count (WeChat answers 45015 or 45047 otherwise). Such a row is never "sent": it
  and the chat's later rows are parked (``waiting``), the resident gets a subscription notice
  (订阅通知) that a message waits if they allowed one, the cadre is told, and everything goes
  out in order when the resident next writes;
- an invalid or expired token is refreshed once (``WeChatApi``);
- WeChat's system errors and network failures are retried with back-off, then given up
  (``dead``) like Telegram's, the author told; a resident who unfollowed is "blocked".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import select
from sqlmodel import col

from models.tables import CaseEvent
from services import channel_outbox
from services.app import Services
from services.channels import WECHAT, external_id_of
from services.outbox import Claimed, Result
from wechat.api import OUT_OF_WINDOW, WeChatApi, WeChatApiError
from wechat.render import Unsupported, plain, render

log = logging.getLogger(__name__)

# WeChat's codes meaning the follower is gone (unfollowed, or not a follower of this account).
GONE = frozenset({43004, 40003})
# Codes worth another try later (system busy, quota for today).
TRANSIENT = frozenset({-1, 45009, 45011})
# Media that may cross from Telegram (kind on Telegram -> WeChat's media type).
MEDIA = {"photo": "image", "voice": "voice", "video": "video"}

FetchFile = Callable[[str], Awaitable[tuple[bytes, str]]]
"""Telegram's file id -> (bytes, MIME type): how a cadre's photo reaches WeChat."""


class WeChatSender:
    def __init__(
        self,
        services: Services,
        api: WeChatApi,
        *,
        worker_id: str | None = None,
        poll_seconds: float = 5.0,
        subscription_template: str | None = None,
        fetch_file: FetchFile | None = None,
    ) -> None:
        self.services = services
        self.ctx = services.ctx
        self.api = api
        self.store = services.outbox(worker_id, channel=WECHAT)
        self.poll_seconds = poll_seconds
        self.template = subscription_template
        self.fetch_file = fetch_file
        self._wake = asyncio.Event()
        self._openids: dict[int, str] = {}
        self.sent = 0
        self.parked = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        with contextlib.suppress(Exception):
            await self.store.recover()  # rows a stopped sender of ours had claimed
        while not stop.is_set():
            try:
                handled = await self.drain()
            except Exception:
                log.exception("wechat sender: a round failed; trying again shortly")
                handled = 0
            if handled:
                continue
            timeout = self.poll_seconds
            with contextlib.suppress(Exception):
                due = await self.store.next_due_in()
                if due is not None:
                    timeout = min(timeout, max(due, 0.05))
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=timeout, return_when="FIRST_COMPLETED")
            waiter.cancel()
            stopper.cancel()
            self._wake.clear()
        with contextlib.suppress(Exception):
            await self.store.release()

    async def drain(self, batch: int = 50) -> int:
        """Deliver everything due now; returns the rows handled."""
        handled = 0
        while claimed := await self.store.claim(batch):
            results = await asyncio.gather(*(self.deliver_row(row) for row in claimed))
            await self.store.complete([r for r in results if r is not None])
            handled += len(claimed)
        return handled

    async def deliver_row(self, row: Claimed) -> Result | None:
        """Send one row; None when it was parked (recorded already)."""
        openid = await self._openid(row.chat_id)
        if openid is None:
            return _done(row, "dead", "the resident's WeChat identity is gone")
        locale = await channel_outbox.locale_of(self.ctx, row.recipient_user_id)
        payload = await self._with_media_kind(row)
        try:
            messages = render(payload, lambda kind: self.ctx.texts(locale, f"content.{kind}"))
        except Unsupported as exc:
            return _done(row, "dead", str(exc))
        try:
            for message in messages:
                await self.api.send_custom({"touser": openid, **message})
            await self._send_media(openid, payload)
        except WeChatApiError as exc:
            if exc.code in OUT_OF_WINDOW:
                await self._park(row, openid, locale, exc)
                return None
            if exc.code in GONE:
                return _done(row, "blocked", str(exc))
            if exc.code in TRANSIENT:
                return _done(row, "retry", str(exc))
            return _done(row, "dead", str(exc))
        except (httpx.HTTPError, OSError) as exc:
            return _done(row, "retry", f"{type(exc).__name__}: {exc}"[:500])
        self.sent += 1
        return _done(row, "sent", None)

    async def _park(self, row: Claimed, openid: str, locale: str, exc: WeChatApiError) -> None:
        parked = await channel_outbox.park(self.ctx, self.store.worker_id, row, str(exc))
        self.parked += parked.rows
        if not parked.first or not self.template:
            return
        note = plain(self.ctx.texts(locale, "wx.subscription_waiting"))
        try:
            await self.api.send_subscription(
                {
                    "touser": openid,
                    "template_id": self.template,
                    "data": {"thing1": {"value": note[:20]}},
                }
            )
        except WeChatApiError as refused:
            # 43101: the resident allowed no notice; the message waits all the same.
            log.info("wechat: no subscription notice (%s)", refused.code)
        except httpx.HTTPError:
            log.info("wechat: subscription notice not sent (network)")

    async def _with_media_kind(self, row: Claimed) -> dict[str, Any]:
        """A copied message says what it was (its kind and Telegram file) from its event."""
        payload = dict(row.payload)
        if payload.get("type") != "copy" or not row.event_id:
            return payload
        async with self.ctx.db.read() as session:
            media = (
                await session.execute(
                    select(col(CaseEvent.media)).where(col(CaseEvent.id) == row.event_id)
                )
            ).scalar()
        if isinstance(media, dict):
            payload["kind"] = media.get("kind", "other")
            if media.get("file_id"):
                payload["file_id"] = media["file_id"]
        return payload

    async def _send_media(self, openid: str, payload: dict[str, Any]) -> None:
        """A cadre's photo, voice or video, downloaded from Telegram and uploaded to WeChat as
        temporary media (WeChat's size limits apply: a refusal leaves the text, which said what
        it was)."""
        kind = payload.get("kind") if payload.get("type") == "copy" else payload.get("type")
        media_type = MEDIA.get(str(kind))
        file_id = payload.get("file_id")
        if self.fetch_file is None or media_type is None or not file_id:
            return
        try:
            data, mime = await self.fetch_file(str(file_id))
            media_id = await self.api.upload_media(media_type, f"file.{media_type}", data, mime)
        except Exception as exc:  # too large, wrong type, Telegram unreachable: text stands
            log.info("wechat: a %s could not cross from Telegram (%s)", kind, type(exc).__name__)
            return
        await self.api.send_custom(
            {"touser": openid, "msgtype": media_type, media_type: {"media_id": media_id}}
        )

    async def _openid(self, address: int) -> str | None:
        if address not in self._openids:
            found = await external_id_of(self.ctx.db, address)
            if found is None:
                return None
            self._openids[address] = found[1]
        return self._openids[address]


def _done(row: Claimed, outcome: Any, error: str | None) -> Result:
    result = Result(row.id, outcome, error=error)
    result.claimed = row
    return result
