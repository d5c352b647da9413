"""WeChat's global return codes (全局返回码) the emulator answers, with WeChat's messages."""

from __future__ import annotations

MESSAGES: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid meida size",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41005: "media data missing",
    42001: "access_token expired",
    43101: "user refuse to accept the msg",
    44002: "empty post data",
    45002: "content size out of limit",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    46003: "menu no exist",
    47001: "data format error",
    65400: "please enable new custom menu",
}


class WeChatError(Exception):
    """An API call WeChat answers with a non-zero ``errcode``."""

    def __init__(self, code: int, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code} {MESSAGES.get(code, 'error')}{': ' + detail if detail else ''}")

    def body(self) -> dict[str, object]:
        message = MESSAGES.get(self.code, "error")
        if self.detail:
            message += f" hint: [{self.detail}]"
        return {"errcode": self.code, "errmsg": message}
