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
from typing import Any

import httpx
from sqlalchemy import select
from sqlmodel import col

from models.tables import CaseEvent
from services import channel_outbox
from services.app import Services
from services.channel_media import (
    MB,
    WECHAT_MEDIA,
    FetchFile,
    MediaGone,
    MediaTooLarge,
    file_name,
    sniff,
    wechat_type,
)
from services.channels import WECHAT, external_id_of
from services.outbox import Claimed, Result
from wechat.api import OUT_OF_WINDOW, WeChatApi, WeChatApiError
from wechat.render import Unsupported, as_menu, plain, render

log = logging.getLogger(__name__)

# WeChat's codes meaning the follower is gone (unfollowed, or not a follower of this account).
GONE = frozenset({43004, 40003})
# Codes worth another try later (system busy, quota for today).
TRANSIENT = frozenset({-1, 45009, 45011})
# Telegram's kinds of file that may cross to WeChat, if WeChat takes their type and size.
CROSSING = frozenset({"photo", "voice", "video", "document", "audio", "animation"})
# WeChat's refusals of an upload: its type (40004, 40005) or its size (40006).
MEDIA_REFUSED = frozenset({40004, 40005, 40006})
# WeChat refusing a msgmenu message itself (its type or its form): numbered text instead.
NO_MENU = frozenset({40008, 47001})


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
        self.menus = True  # choices as clickable menus (msgmenu) until WeChat refuses one
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
        if payload.get("type") == "edit":
            return _done(row, "dead", "WeChat cannot edit a message it has shown")
        try:
            # The file first (downloaded from Telegram, uploaded to WeChat): nothing is sent
            # before it is ready, so a failure here is simply tried again.
            media = await self._upload_media(row, payload)
        except WeChatApiError as exc:
            return _done(row, "retry" if exc.code in TRANSIENT else "dead", str(exc))
        except Exception as exc:  # Telegram or WeChat unreachable: another try later
            return _done(row, "retry", f"{type(exc).__name__}: {exc}"[:500])
        try:
            label = lambda kind: self.ctx.texts(locale, f"content.{kind}")  # noqa: E731
            messages = render(payload, label, file_crossed=media is not None)
        except Unsupported as exc:
            return _done(row, "dead", str(exc))
        numbered = list(messages)
        menu = self.menus and as_menu(messages, payload, row.id)
        if media is not None:
            media_type, media_id = media
            messages.append({"msgtype": media_type, media_type: {"media_id": media_id}})
            numbered.append(messages[-1])
        try:
            for i, message in enumerate(messages):
                try:
                    await self.api.send_custom({"touser": openid, **message})
                except WeChatApiError as refused:
                    if not (menu and message["msgtype"] == "msgmenu" and refused.code in NO_MENU):
                        raise
                    # An account (or a WeChat) without clickable menus: numbered text.
                    self.menus = False
                    await self.api.send_custom({"touser": openid, **numbered[i]})
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

    async def _upload_media(self, row: Claimed, payload: dict[str, Any]) -> tuple[str, str] | None:
        """A cadre's photo, voice, video or document, downloaded from Telegram and uploaded to
        WeChat as temporary media: (WeChat's media type, media id), or None when it does not
        cross — WeChat does not take its type or size, or Telegram would not hand it over;
        then the text says what it was and the cadre is told why."""
        kind = str(payload.get("kind") if payload.get("type") == "copy" else payload.get("type"))
        file_id = payload.get("file_id")
        if self.fetch_file is None or kind not in CROSSING or not file_id:
            return None
        try:
            data, _declared = await self.fetch_file(str(file_id))
        except MediaTooLarge as exc:
            await self._not_crossed(row, kind, "wx.media_too_large_download", limit=exc.limit_mb)
            return None
        except MediaGone:
            return None
        mime = sniff(data)
        media_type = wechat_type(mime)
        if media_type is None:
            await self._not_crossed(row, kind, "wx.media_type_refused")
            return None
        limit = WECHAT_MEDIA[media_type][0]
        if len(data) > limit:
            await self._not_crossed(row, kind, "wx.media_too_large", limit=limit // MB)
            return None
        try:
            media_id = await self.api.upload_media(
                media_type, file_name(media_type, mime), data, mime
            )
        except WeChatApiError as exc:
            if exc.code not in MEDIA_REFUSED:
                raise
            key = "wx.media_too_large" if exc.code == 40006 else "wx.media_type_refused"
            await self._not_crossed(row, kind, key, limit=limit // MB)
            return None
        return media_type, media_id

    async def _not_crossed(self, row: Claimed, kind: str, text_key: str, **params: Any) -> None:
        log.info("wechat: a %s did not cross from Telegram (%s)", kind, text_key)
        if row.event_id:
            await channel_outbox.tell_author(
                self.ctx, row.event_id, f"media{row.id}", text_key, kind=kind, **params
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
