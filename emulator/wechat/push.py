"""What followers do, pushed to the account's callback URL as WeChat pushes it.

WeChat signs every push (token, timestamp, nonce), encrypts it in the safe mode, and waits five
seconds for an answer; without one it tries again, three tries in all, with the same ``MsgId``
(events: the same sender and ``CreateTime``). An answer of ``success`` or nothing means "no
reply"; an XML answer is a passive reply shown to the follower. After three failures the follower
sees "该公众号暂时无法提供服务，请稍后再试".
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field

import aiohttp

from emulator.wechat.crypto import Envelope, EnvelopeError, sign
from emulator.wechat.platform import Follower, Platform
from emulator.wechat.xml import XmlError, read_xml, write_xml

# The thumbnail WeChat makes of a video (a 1x1 JPEG is enough here).
THUMB = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912"
    "130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b0800"
    "01000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002"
    "010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f024"
    "33627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768"
    "696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3"
    "c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fb"
    "d3ffd9"
)
TRIES = 3
UNAVAILABLE = "该公众号暂时无法提供服务，请稍后再试"  # what WeChat shows the follower
WAIT = 5.0


@dataclass
class PushResult:
    """How a push went: its attempts (HTTP status or "timeout"/"error") and the answer."""

    attempts: list[str] = field(default_factory=list)
    delivered: bool = False
    reply: dict[str, str] | None = None


class Pusher:
    def __init__(self, platform: Platform, wait: float = WAIT, tries: int = TRIES) -> None:
        self.platform = platform
        self.wait = wait
        self.tries = tries
        account = platform.account
        self._envelope = Envelope(account.token, account.encoding_aes_key, account.app_id)
        self._session: aiohttp.ClientSession | None = None
        self.results: list[PushResult] = []

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    # -- what followers do ------------------------------------------------------------------

    async def text(self, follower: Follower, content: str) -> PushResult:
        return await self._message(follower, "text", {"Content": content})

    async def image(self, follower: Follower, data: bytes, mime_type: str) -> PushResult:
        media_id = self.platform.add_media("image", data, mime_type)
        url = f"weixin-emulator://media/{media_id}"
        return await self._message(follower, "image", {"PicUrl": url, "MediaId": media_id})

    async def voice(self, follower: Follower, data: bytes, mime_type: str) -> PushResult:
        media_id = self.platform.add_media("voice", data, mime_type)
        return await self._message(
            follower, "voice", {"MediaId": media_id, "Format": mime_type.rsplit("/", 1)[-1]}
        )

    async def video(
        self, follower: Follower, data: bytes, mime_type: str = "video/mp4", short: bool = False
    ) -> PushResult:
        """A video (or a short video, 小视频) with its thumbnail, as WeChat pushes them."""
        media_id = self.platform.add_media("video", data, mime_type)
        thumb = self.platform.add_media("thumb", THUMB, "image/jpeg")
        kind = "shortvideo" if short else "video"
        return await self._message(follower, kind, {"MediaId": media_id, "ThumbMediaId": thumb})

    async def menu_choice(self, follower: Follower, item_id: str, content: str) -> PushResult:
        """A click on an item of a clickable menu message (msgmenu): WeChat sends the item's
        text as the follower's message, with the item's id (``bizmsgmenuid``)."""
        return await self._message(follower, "text", {"Content": content, "bizmsgmenuid": item_id})

    async def location(
        self, follower: Follower, lat: float, lon: float, label: str = ""
    ) -> PushResult:
        fields = {"Location_X": f"{lat:.6f}", "Location_Y": f"{lon:.6f}", "Scale": "15"}
        return await self._message(follower, "location", {**fields, "Label": label})

    async def click(self, follower: Follower, key: str) -> PushResult:
        self.platform.interact(follower, "menu")
        return await self._event(follower, {"Event": "CLICK", "EventKey": key})

    async def follow(self, follower: Follower, scene: str | None = None) -> PushResult:
        """Follow the account, through a poster's QR code when ``scene`` is given; scanning
        again while following is a ``SCAN`` event with the bare scene."""
        already = follower.following
        follower.following = True
        if not already:
            follower.followed_at = self.platform.clock()
        if scene is not None:
            follower.scene = scene
        self.platform.interact(follower, "scan" if scene is not None else "follow")
        if already and scene is not None:
            return await self._event(follower, {"Event": "SCAN", "EventKey": scene})
        event = {"Event": "subscribe"}
        if scene is not None:
            event["EventKey"] = f"qrscene_{scene}"
        return await self._event(follower, event)

    async def unfollow(self, follower: Follower) -> PushResult:
        follower.following = False
        follower.grants.clear()
        return await self._event(follower, {"Event": "unsubscribe"})

    # -- delivery ---------------------------------------------------------------------------

    async def _message(self, follower: Follower, kind: str, fields: dict[str, str]) -> PushResult:
        self.platform.interact(follower, "message")
        body: dict[str, str | int] = {**self._head(follower, kind), **fields}
        body["MsgId"] = self.platform.next_msg_id()
        return await self._push(follower, body)

    async def _event(self, follower: Follower, fields: dict[str, str]) -> PushResult:
        return await self._push(follower, {**self._head(follower, "event"), **fields})

    def _head(self, follower: Follower, kind: str) -> dict[str, str | int]:
        return {
            "ToUserName": self.platform.account.original_id,
            "FromUserName": follower.openid,
            "CreateTime": int(self.platform.clock()),
            "MsgType": kind,
        }

    async def _push(self, follower: Follower, fields: dict[str, str | int]) -> PushResult:
        account = self.platform.account
        result = PushResult()
        self.results.append(result)
        if account.callback_url is None:
            result.attempts.append("no callback URL")
            return result
        plain = write_xml(fields)
        for _ in range(self.tries):
            # Each try is signed afresh, as WeChat does; the message inside stays the same.
            timestamp, nonce = str(int(self.platform.clock())), str(secrets.randbelow(10**10))
            query = {"timestamp": timestamp, "nonce": nonce, "openid": follower.openid}
            query["signature"] = sign(account.token, timestamp, nonce)
            body = plain
            if account.safe_mode:
                encrypted, msg_signature = self._envelope.seal(plain, timestamp, nonce)
                query |= {"encrypt_type": "aes", "msg_signature": msg_signature}
                body = write_xml({"ToUserName": account.original_id, "Encrypt": encrypted})
            outcome = await self._post(account.callback_url, query, body)
            result.attempts.append(outcome[0])
            if outcome[0] == "200":
                result.delivered = True
                result.reply = self._read_reply(outcome[1])
                if result.reply is not None:
                    self.platform.passive_reply(follower.openid, result.reply)
                return result
        self.platform.passive_reply(follower.openid, {"MsgType": "system", "Content": UNAVAILABLE})
        return result

    async def _post(self, url: str, query: dict[str, str], body: str) -> tuple[str, str]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(self.wait):
                async with self._session.post(
                    url, params=query, data=body.encode(), headers={"Content-Type": "text/xml"}
                ) as response:
                    return str(response.status), await response.text()
        except TimeoutError:
            return "timeout", ""
        except aiohttp.ClientError:
            return "error", ""

    def _read_reply(self, text: str) -> dict[str, str] | None:
        text = text.strip()
        if text in ("", "success"):
            return None
        try:
            fields = read_xml(text)
            if "Encrypt" in fields:
                # A safe-mode reply: the account signed and encrypted it.
                fields = read_xml(
                    self._envelope.open(
                        fields["Encrypt"],
                        fields.get("MsgSignature", ""),
                        fields.get("TimeStamp", ""),
                        fields.get("Nonce", ""),
                    )
                )
        except (XmlError, EnvelopeError):
            return {"MsgType": "invalid", "Content": text[:200]}
        return fields
