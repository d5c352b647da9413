"""The WeChat platform's rules, kept in memory: access tokens, followers and their reply windows,
temporary media, QR codes, the menu and subscription notices.

Plain Python with an injectable clock, so tests move time instead of sleeping. ``api.py`` carries
these methods over HTTP; ``push.py`` delivers what followers do to the account's callback URL.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.wechat.errors import WeChatError

__all__ = ["Account", "Follower", "Platform", "WeChatError"]

TOKEN_TTL = 7200
# After a new token is issued the previous one keeps working this long (WeChat: five minutes).
TOKEN_OVERLAP = 300
TOKEN_DAILY_LIMIT = 2000
MEDIA_TTL = 3 * 24 * 3600
# What a follower's action allows the account to send with the customer-service API
# (service accounts, as WeChat documents it): count and validity.
WINDOWS: dict[str, tuple[int, int]] = {
    "message": (5, 48 * 3600),
    "menu": (3, 60),
    "follow": (3, 60),
    "scan": (3, 60),
}
# Temporary media: size limits in bytes and accepted file types per kind.
MEDIA_RULES: dict[str, tuple[int, tuple[str, ...]]] = {
    "image": (10 * 1024 * 1024, ("image/jpeg", "image/png", "image/gif", "image/bmp")),
    "voice": (2 * 1024 * 1024, ("audio/amr", "audio/mpeg", "audio/mp3")),
    "video": (10 * 1024 * 1024, ("video/mp4",)),
    "thumb": (64 * 1024, ("image/jpeg",)),
}
TEXT_LIMIT = 2048  # bytes of a customer-service text message's content
MESSAGE_TYPES = ("text", "image", "voice", "video", "news", "msgmenu")


@dataclass(frozen=True)
class Account:
    """One Official Account: what its developer settings page shows."""

    app_id: str = "wx0000000000demo"
    app_secret: str = "demo-app-secret"
    token: str = "demo-callback-token"
    # 43 characters of base64; the emulator encrypts pushes with it (safe mode).
    encoding_aes_key: str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    original_id: str = "gh_contactpoint"
    # The bot's callback URL (服务器地址); None until the bot's address is known.
    callback_url: str | None = None
    # Pushes in the safe mode (安全模式) when True, the plain mode otherwise.
    safe_mode: bool = True


@dataclass
class _Grant:
    """What one follower action allows: ``remaining`` messages until ``until``."""

    remaining: int
    until: float


@dataclass
class Follower:
    openid: str
    language: str = "zh_CN"
    following: bool = False
    followed_at: float | None = None
    scene: str | None = None  # the QR scene of the last scan, as WeChat reports it
    grants: list[_Grant] = field(default_factory=list)
    # What the account sent: (kind, body) in order, for tests and the chat page.
    received: list[dict[str, Any]] = field(default_factory=list)
    # Subscription-notice authorisations left, per template id.
    subscriptions: dict[str, int] = field(default_factory=dict)


@dataclass
class _Token:
    value: str
    expires_at: float


@dataclass
class _Media:
    kind: str
    data: bytes
    mime_type: str
    created_at: float


class Platform:
    """WeChat as one Official Account and its followers see it."""

    def __init__(self, account: Account | None = None, clock: Callable[[], float] = time.time):
        self.account = account or Account()
        self.clock = clock
        self.followers: dict[str, Follower] = {}
        self.menu: dict[str, Any] | None = None
        self.templates: dict[str, str] = {"TPL_REPLY_WAITING": "reply waiting"}
        self._tokens: list[_Token] = []
        self._media: dict[str, _Media] = {}
        self._qrcodes: dict[str, str] = {}  # ticket -> scene
        self._msg_ids = itertools.count(int(self.clock()) * 1000)
        self.counters: dict[str, int] = {"token": 0, "send": 0, "refused": 0}
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []

    # -- tokens -----------------------------------------------------------------------------

    def issue_token(self, grant_type: str, app_id: str, secret: str) -> dict[str, Any]:
        if grant_type != "client_credential":
            raise WeChatError(40002)
        if app_id != self.account.app_id:
            raise WeChatError(40013)
        if not secrets.compare_digest(secret, self.account.app_secret):
            raise WeChatError(40125)
        self.counters["token"] += 1
        if self.counters["token"] > TOKEN_DAILY_LIMIT:
            raise WeChatError(45009)
        now = self.clock()
        # The previous token stays valid for the overlap, then only the new one works.
        for old in self._tokens:
            old.expires_at = min(old.expires_at, now + TOKEN_OVERLAP)
        token = _Token(secrets.token_urlsafe(48), now + TOKEN_TTL)
        self._tokens.append(token)
        self._tokens = [t for t in self._tokens if t.expires_at > now]
        return {"access_token": token.value, "expires_in": TOKEN_TTL}

    def check_token(self, value: str | None) -> None:
        if not value:
            raise WeChatError(41001)
        now = self.clock()
        for token in self._tokens:
            if secrets.compare_digest(token.value, value):
                if token.expires_at <= now:
                    raise WeChatError(42001)
                return
        raise WeChatError(40001)

    def expire_tokens(self) -> None:
        """Every issued token stops working now (tests: a token expiring mid-run)."""
        now = self.clock()
        for token in self._tokens:
            token.expires_at = now

    # -- followers --------------------------------------------------------------------------

    def follower(self, openid: str) -> Follower:
        found = self.followers.get(openid)
        if found is None:
            raise WeChatError(40003)
        return found

    def new_follower(self, language: str = "zh_CN") -> Follower:
        openid = "o" + secrets.token_urlsafe(20)[:27]
        follower = Follower(openid=openid, language=language)
        self.followers[openid] = follower
        return follower

    def interact(self, follower: Follower, action: str) -> None:
        """A follower did something that opens a reply window (see ``WINDOWS``)."""
        count, seconds = WINDOWS[action]
        follower.grants.append(_Grant(count, self.clock() + seconds))

    def next_msg_id(self) -> int:
        return next(self._msg_ids)

    def user_info(self, openid: str) -> dict[str, Any]:
        follower = self.follower(openid)
        if not follower.following:
            return {"subscribe": 0, "openid": openid}
        return {
            "subscribe": 1,
            "openid": openid,
            "language": follower.language,
            "subscribe_time": int(follower.followed_at or 0),
            "subscribe_scene": "ADD_SCENE_QR_CODE" if follower.scene else "ADD_SCENE_SEARCH",
            "qr_scene_str": follower.scene or "",
        }

    # -- customer-service messages ----------------------------------------------------------

    def send_custom(self, body: dict[str, Any]) -> None:
        """``message/custom/send``: only inside a follower's reply window and its count."""
        openid = body.get("touser")
        kind = body.get("msgtype")
        if not isinstance(openid, str) or not isinstance(kind, str):
            raise WeChatError(44002 if not body else 47001, "touser and msgtype are required")
        if kind not in MESSAGE_TYPES:
            raise WeChatError(40008)
        content = body.get(kind)
        if not isinstance(content, dict):
            raise WeChatError(47001, f"{kind} object is required")
        self._check_content(kind, content)
        follower = self.follower(openid)
        if not follower.following:
            self._refuse(45015)
        now = self.clock()
        open_grants = [g for g in follower.grants if g.until > now]
        usable = sorted((g for g in open_grants if g.remaining > 0), key=lambda g: g.until)
        if not usable:
            self._refuse(45047 if open_grants else 45015)
        usable[0].remaining -= 1
        # Spent grants stay until they lapse: a send then is "out of count", not "too late".
        follower.grants = open_grants
        self.counters["send"] += 1
        self._deliver(follower, {"via": "custom", "msgtype": kind, kind: content})

    def _check_content(self, kind: str, content: dict[str, Any]) -> None:
        if kind == "text":
            text = content.get("content")
            if not isinstance(text, str) or not text:
                raise WeChatError(47001, "text.content is required")
            if len(text.encode()) > TEXT_LIMIT:
                raise WeChatError(45002, "content size out of limit")
        elif kind in ("image", "voice", "video"):
            media_id = content.get("media_id")
            if not isinstance(media_id, str) or self._live_media(media_id) is None:
                raise WeChatError(40007)
        elif kind == "msgmenu":
            items = content.get("list")
            if not isinstance(items, list) or not items:
                raise WeChatError(47001, "msgmenu.list is required")
            for item in items:
                if not (isinstance(item, dict) and item.get("id") and item.get("content")):
                    raise WeChatError(47001, "each msgmenu item needs id and content")

    def _refuse(self, code: int) -> None:
        self.counters["refused"] += 1
        raise WeChatError(code)

    def _deliver(self, follower: Follower, message: dict[str, Any]) -> None:
        message = {"at": self.clock(), **message}
        follower.received.append(message)
        for listener in self.listeners:
            listener(follower.openid, message)

    def passive_reply(self, openid: str, fields: dict[str, str]) -> None:
        """A reply given in the callback's own answer (被动回复)."""
        self._deliver(self.follower(openid), {"via": "reply", **fields})

    # -- subscription notices ---------------------------------------------------------------

    def authorize(self, openid: str, template_id: str, times: int = 1) -> None:
        """The follower agreed to receive this notice ``times`` more times."""
        follower = self.follower(openid)
        follower.subscriptions[template_id] = follower.subscriptions.get(template_id, 0) + times

    def send_subscription(self, body: dict[str, Any]) -> None:
        """``message/subscribe/bizsend``: one authorisation spent per notice."""
        openid, template_id = body.get("touser"), body.get("template_id")
        if not isinstance(openid, str) or not isinstance(template_id, str):
            raise WeChatError(47001, "touser and template_id are required")
        if template_id not in self.templates:
            raise WeChatError(40037)
        data = body.get("data")
        if not isinstance(data, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("value"), str) for v in data.values()
        ):
            raise WeChatError(47001, "data must map keys to {value}")
        follower = self.follower(openid)
        if not follower.following or follower.subscriptions.get(template_id, 0) <= 0:
            self._refuse(43101)
        follower.subscriptions[template_id] -= 1
        self._deliver(follower, {"via": "subscription", "template_id": template_id, "data": data})

    # -- media ------------------------------------------------------------------------------

    def upload_media(self, kind: str, data: bytes, mime_type: str) -> dict[str, Any]:
        rule = MEDIA_RULES.get(kind)
        if rule is None:
            raise WeChatError(40004)
        limit, types = rule
        if mime_type not in types:
            raise WeChatError(40005)
        if not data or len(data) > limit:
            raise WeChatError(40006)
        media_id = secrets.token_urlsafe(48)
        now = self.clock()
        self._media[media_id] = _Media(kind, data, mime_type, now)
        return {"type": kind, "media_id": media_id, "created_at": int(now)}

    def _live_media(self, media_id: str) -> _Media | None:
        media = self._media.get(media_id)
        if media is None or media.created_at + MEDIA_TTL <= self.clock():
            return None
        return media

    def media(self, media_id: str) -> tuple[bytes, str]:
        media = self._live_media(media_id)
        if media is None:
            raise WeChatError(40007)
        return media.data, media.mime_type

    def add_media(self, kind: str, data: bytes, mime_type: str) -> str:
        """Media a follower sent (a photo, a voice message): kept as WeChat keeps it."""
        return str(self.upload_media(kind, data, mime_type)["media_id"])

    # -- QR codes and the menu --------------------------------------------------------------

    def create_qrcode(self, body: dict[str, Any]) -> dict[str, Any]:
        action = body.get("action_name")
        scene = (body.get("action_info") or {}).get("scene") or {}
        value = scene.get("scene_str", scene.get("scene_id"))
        if action not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"):
            raise WeChatError(47001, "action_name")
        if value is None or not 0 < len(str(value)) <= 64:
            raise WeChatError(47001, "scene_str is 1 to 64 characters")
        ticket = secrets.token_urlsafe(32)
        self._qrcodes[ticket] = str(value)
        answer: dict[str, Any] = {"ticket": ticket, "url": f"weixin-emulator://qr/{ticket}"}
        if not action.startswith("QR_LIMIT"):
            answer["expire_seconds"] = int(body.get("expire_seconds") or 60)
        return answer

    def scene_of(self, ticket: str) -> str:
        scene = self._qrcodes.get(ticket)
        if scene is None:
            raise WeChatError(47001, "unknown ticket")
        return scene

    def set_menu(self, body: dict[str, Any]) -> None:
        buttons = body.get("button")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise WeChatError(47001, "button: one to three")
        for button in buttons:
            subs = button.get("sub_button") if isinstance(button, dict) else None
            if not isinstance(button, dict) or not button.get("name"):
                raise WeChatError(47001, "every button needs a name")
            if subs is not None and not (isinstance(subs, list) and len(subs) <= 5):
                raise WeChatError(47001, "sub_button: at most five")
            for item in subs or [button]:
                if item.get("type") == "click" and not item.get("key"):
                    raise WeChatError(47001, "a click button needs a key")
        self.menu = {"button": buttons}
