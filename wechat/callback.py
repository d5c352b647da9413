"""The account's callback URL (服务器地址): WeChat's check of the URL, and its pushes.

A push is verified (signature in constant time, then decrypted in the safe mode), parsed with
defusedxml, kept once by its key (``MsgId``; for events the sender, ``CreateTime`` and event),
and answered ``success`` at once: the bot's real answer goes out later through the
customer-service API, so WeChat's five-second limit is never at stake and its retries of a slow
answer meet the key already kept. Nothing of a push that fails the signature is read further.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from wechat.crypto import BadEnvelope, MessageCrypto, SignatureMismatch
from wechat.xml import BadXml, parse_message

log = logging.getLogger(__name__)

# WeChat's pushes are small; anything larger is not from WeChat.
MAX_BODY = 64 * 1024

Keep = Callable[[str, str, dict[str, str]], Awaitable[bool]]
"""Keep one push: (dedupe key, sender, fields) -> False when it was kept before."""


def dedupe_key(fields: dict[str, str]) -> str:
    """WeChat's own identity of a push: ``MsgId`` for messages; events have none, and WeChat
    documents sender + ``CreateTime`` for them (the event name keeps two events of one second
    apart)."""
    if fields.get("MsgId"):
        return f"msg:{fields['MsgId']}"
    sender, created, event = (fields.get(k, "") for k in ("FromUserName", "CreateTime", "Event"))
    return f"event:{sender}:{created}:{event}"


class Callback:
    def __init__(self, crypto: MessageCrypto, keep: Keep) -> None:
        self._crypto = crypto
        self._keep = keep

    def routes(self, path: str) -> list[web.RouteDef]:
        return [web.get(path, self.check_url), web.post(path, self.receive)]

    async def check_url(self, request: web.Request) -> web.Response:
        """WeChat's check when the URL is saved: echo ``echostr`` if it is signed with our token."""
        q = request.query
        try:
            self._crypto.check_url(
                q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", "")
            )
        except SignatureMismatch:
            return web.Response(status=403, text="signature")
        return web.Response(text=q.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        q = request.query
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        try:
            self._crypto.check_url(q.get("signature", ""), timestamp, nonce)
            if request.content_length is not None and request.content_length > MAX_BODY:
                return web.Response(status=413, text="too large")
            body = await request.content.read(MAX_BODY + 1)
            if len(body) > MAX_BODY:
                return web.Response(status=413, text="too large")
            fields = parse_message(body)
            if q.get("encrypt_type") == "aes":
                plain = self._crypto.decrypt(
                    fields.get("Encrypt", ""), q.get("msg_signature", ""), timestamp, nonce
                )
                fields = parse_message(plain)
        except SignatureMismatch:
            log.warning("wechat: a push with a wrong signature was refused")
            return web.Response(status=403, text="signature")
        except (BadEnvelope, BadXml):
            log.warning("wechat: a push that is not a message for this account was refused")
            return web.Response(status=400, text="bad message")
        sender = fields.get("FromUserName", "")
        if not sender:
            return web.Response(status=400, text="bad message")
        # An exception here (database down) answers 500: WeChat tries again, nothing is lost.
        await self._keep(dedupe_key(fields), sender, fields)
        return web.Response(text="success")
