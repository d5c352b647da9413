"""WeChat's server API, as the bot calls it: httpx, never blocking the event loop.

Every call carries the shared access token (``services.channel_tokens``); when WeChat calls a
token invalid or expired (40001, 40014, 42001) it is dropped and the call made once more with a
fresh one. Other refusals raise :class:`WeChatApiError` with WeChat's code, for the caller to
decide (45015 "out of the reply window" is the outbox's business, not an error to retry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from services.channel_media import MediaGone
from services.channel_tokens import Fetched, SharedToken

DEFAULT_BASE = "https://api.weixin.qq.com"
TOKEN_REFUSED = frozenset({40001, 40014, 42001})
# WeChat's codes the outbox treats as final for a message (the resident cannot get it now).
OUT_OF_WINDOW = frozenset({45015, 45047})
MEDIA_GONE = 40007  # invalid media_id: expired (three days) or never there


class WeChatApiError(RuntimeError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"WeChat {code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Credentials:
    app_id: str
    app_secret: str


async def fetch_token(client: httpx.AsyncClient, credentials: Credentials) -> Fetched:
    """Ask WeChat for a new token: only ever through a :class:`SharedToken`."""
    response = await client.get(
        "/cgi-bin/token",
        params={
            "grant_type": "client_credential",
            "appid": credentials.app_id,
            "secret": credentials.app_secret,
        },
    )
    body = _checked(response)
    return Fetched(token=str(body["access_token"]), expires_in=int(body["expires_in"]))


class WeChatApi:
    """One Official Account's API over ``client`` (its base URL set), with a shared token."""

    def __init__(self, client: httpx.AsyncClient, token: SharedToken) -> None:
        self._client = client
        self.token = token

    # -- calls ------------------------------------------------------------------------------

    async def send_custom(self, message: dict[str, Any]) -> None:
        """A customer-service message (inside the resident's 48-hour window)."""
        await self._call("POST", "/cgi-bin/message/custom/send", json=message)

    async def send_subscription(self, notice: dict[str, Any]) -> None:
        """A subscription notice (订阅通知), outside the window, if the resident allowed one."""
        await self._call("POST", "/cgi-bin/message/subscribe/bizsend", json=notice)

    async def upload_media(self, kind: str, name: str, data: bytes, mime_type: str) -> str:
        body = await self._call(
            "POST",
            "/cgi-bin/media/upload",
            params={"type": kind},
            files={"media": (name, data, mime_type)},
        )
        return str(body["media_id"])

    async def download_media(self, media_id: str) -> tuple[bytes, str]:
        """A temporary medium's bytes and type: a follower's photo, voice or video (WeChat
        answers a video with its ``video_url``, fetched then). :class:`MediaGone` once WeChat
        no longer keeps it (40007: three days after it was sent)."""
        response = await self._request("GET", "/cgi-bin/media/get", {"media_id": media_id})
        code = _errcode(response)
        if code == MEDIA_GONE:
            raise MediaGone(media_id)
        if code:
            _checked(response)  # raises with WeChat's code
        response.raise_for_status()
        mime = response.headers.get("content-type", "application/octet-stream").split(";")[0]
        if mime in ("application/json", "text/plain"):
            url = response.json().get("video_url") if mime == "application/json" else None
            if not url:
                raise WeChatApiError(-1, "media/get answered no file")
            response = await self._client.get(str(url))
            response.raise_for_status()
            mime = "video/mp4"
        return response.content, mime

    async def create_qrcode(self, scene: str) -> str:
        """A permanent QR code carrying ``scene``; returns its ticket."""
        return str((await self.qrcode(scene))["ticket"])

    async def qrcode(self, scene: str) -> dict[str, Any]:
        """A permanent QR code carrying ``scene``: WeChat's answer, with its ``ticket`` and the
        ``url`` the code encodes (what a poster prints)."""
        return await self._call(
            "POST",
            "/cgi-bin/qrcode/create",
            json={
                "action_name": "QR_LIMIT_STR_SCENE",
                "action_info": {"scene": {"scene_str": scene}},
            },
        )

    async def set_menu(self, menu: dict[str, Any]) -> None:
        await self._call("POST", "/cgi-bin/menu/create", json=menu)

    async def user_info(self, openid: str, lang: str = "zh_CN") -> dict[str, Any]:
        return await self._call(
            "GET", "/cgi-bin/user/info", params={"openid": openid, "lang": lang}
        )

    # -- plumbing ---------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        return _checked(await self._request(method, path, params or {}, json, files))

    async def _request(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        json: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        token = await self.token.get()
        response = await self._client.request(
            method, path, params={**params, "access_token": token}, json=json, files=files
        )
        if _errcode(response) in TOKEN_REFUSED:
            # Expired early or replaced by a fetch elsewhere: once more with a fresh one.
            await self.token.invalidate(token)
            token = await self.token.get()
            response = await self._client.request(
                method, path, params={**params, "access_token": token}, json=json, files=files
            )
        return response


def _checked(response: httpx.Response) -> dict[str, Any]:
    response.raise_for_status()
    body = response.json()
    if not isinstance(body, dict):
        raise WeChatApiError(-1, "not a JSON object")
    code = int(body.get("errcode", 0) or 0)
    if code:
        raise WeChatApiError(code, str(body.get("errmsg", "")))
    return body


def _errcode(response: httpx.Response) -> int:
    if not response.headers.get("content-type", "").startswith(("application/json", "text/plain")):
        return 0  # media bytes
    try:
        body = response.json()
    except ValueError:
        return 0
    return int(body.get("errcode", 0) or 0) if isinstance(body, dict) else 0
