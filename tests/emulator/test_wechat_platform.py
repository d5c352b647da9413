"""The WeChat emulator: WeChat's rules for tokens, reply windows, notices and media, its API over
HTTP, and pushes to a callback (safe mode, five-second wait, three tries with the same MsgId)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from emulator.wechat import Account, Platform, WeChatError, start_wechat
from emulator.wechat.crypto import Envelope, EnvelopeError, sign
from emulator.wechat.push import UNAVAILABLE
from wechat.crypto import MessageCrypto
from wechat.xml import parse_message, render_message

ACCOUNT = Account()


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def platform(clock: Clock) -> Platform:
    return Platform(ACCOUNT, clock)


def _token(platform: Platform) -> str:
    return str(
        platform.issue_token("client_credential", ACCOUNT.app_id, ACCOUNT.app_secret)[
            "access_token"
        ]
    )


def _code(excinfo: pytest.ExceptionInfo[WeChatError]) -> int:
    return excinfo.value.code


def _text(openid: str, content: str = "hi") -> dict[str, object]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


# -- the emulator's own envelope against WeChat's example and the bot's implementation --------


def test_the_emulators_envelope_opens_wechats_published_example() -> None:
    from tests.unit.test_wechat_crypto import ENCRYPTED, MSG_SIGNATURE, NONCE, TIMESTAMP

    envelope = Envelope(
        "spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2"
    )
    plain = envelope.open(ENCRYPTED, MSG_SIGNATURE, TIMESTAMP, NONCE)
    assert "<Content><![CDATA[abcdteT]]></Content>" in plain
    with pytest.raises(EnvelopeError):
        envelope.open(ENCRYPTED, "0" * 40, TIMESTAMP, NONCE)


def test_what_one_side_seals_the_other_opens() -> None:
    envelope = Envelope(ACCOUNT.token, ACCOUNT.encoding_aes_key, ACCOUNT.app_id)
    bot = MessageCrypto(ACCOUNT.token, ACCOUNT.encoding_aes_key, ACCOUNT.app_id)
    sealed, signature = envelope.seal("<xml><Content>路灯</Content></xml>", "1", "2")
    assert bot.decrypt(sealed, signature, "1", "2") == "<xml><Content>路灯</Content></xml>"
    sealed, signature = bot.encrypt("<xml><Content>已收到</Content></xml>", "3", "4")
    assert envelope.open(sealed, signature, "3", "4") == "<xml><Content>已收到</Content></xml>"


# -- access tokens ------------------------------------------------------------------------------


def test_tokens_are_refused_with_wechats_codes(platform: Platform, clock: Clock) -> None:
    with pytest.raises(WeChatError) as bad_secret:
        platform.issue_token("client_credential", ACCOUNT.app_id, "wrong")
    assert _code(bad_secret) == 40125
    with pytest.raises(WeChatError) as bad_app:
        platform.issue_token("client_credential", "wxother", ACCOUNT.app_secret)
    assert _code(bad_app) == 40013
    with pytest.raises(WeChatError) as missing:
        platform.check_token(None)
    assert _code(missing) == 41001
    with pytest.raises(WeChatError) as unknown:
        platform.check_token("made-up")
    assert _code(unknown) == 40001

    first = _token(platform)
    platform.check_token(first)
    clock.now += 7200
    with pytest.raises(WeChatError) as expired:
        platform.check_token(first)
    assert _code(expired) == 42001


def test_a_new_token_leaves_the_old_one_five_minutes(platform: Platform, clock: Clock) -> None:
    old = _token(platform)
    new = _token(platform)
    clock.now += 299
    platform.check_token(old)
    platform.check_token(new)
    clock.now += 2
    with pytest.raises(WeChatError):
        platform.check_token(old)
    platform.check_token(new)


def test_expire_tokens_stops_every_token_at_once(platform: Platform) -> None:
    token = _token(platform)
    platform.expire_tokens()
    with pytest.raises(WeChatError) as expired:
        platform.check_token(token)
    assert _code(expired) == 42001


# -- reply windows ------------------------------------------------------------------------------


def _following(platform: Platform) -> str:
    follower = platform.new_follower()
    follower.following = True
    return follower.openid


def test_no_message_without_a_window(platform: Platform) -> None:
    openid = _following(platform)
    with pytest.raises(WeChatError) as closed:
        platform.send_custom(_text(openid))
    assert _code(closed) == 45015


def test_a_residents_message_allows_five_replies_for_48_hours(
    platform: Platform, clock: Clock
) -> None:
    openid = _following(platform)
    platform.interact(platform.follower(openid), "message")
    for _ in range(5):
        platform.send_custom(_text(openid))
    with pytest.raises(WeChatError) as spent:
        platform.send_custom(_text(openid))
    assert _code(spent) == 45047
    platform.interact(platform.follower(openid), "message")
    clock.now += 48 * 3600 - 1
    platform.send_custom(_text(openid))
    clock.now += 2
    with pytest.raises(WeChatError) as late:
        platform.send_custom(_text(openid))
    assert _code(late) == 45015
    assert len(platform.follower(openid).received) == 6


def test_a_menu_click_allows_three_within_a_minute(platform: Platform, clock: Clock) -> None:
    openid = _following(platform)
    platform.interact(platform.follower(openid), "menu")
    platform.send_custom(_text(openid))
    clock.now += 61
    with pytest.raises(WeChatError) as late:
        platform.send_custom(_text(openid))
    assert _code(late) == 45015


def test_bad_messages_are_refused_before_spending_the_window(platform: Platform) -> None:
    openid = _following(platform)
    platform.interact(platform.follower(openid), "message")
    cases = [
        ({"touser": openid, "msgtype": "sticker", "sticker": {}}, 40008),
        ({"touser": openid, "msgtype": "text", "text": {"content": "x" * 2049}}, 45002),
        ({"touser": openid, "msgtype": "image", "image": {"media_id": "nope"}}, 40007),
        ({"touser": "nobody", "msgtype": "text", "text": {"content": "hi"}}, 40003),
        ({"touser": openid, "msgtype": "msgmenu", "msgmenu": {"list": [{"id": "1"}]}}, 47001),
    ]
    for body, code in cases:
        with pytest.raises(WeChatError) as refused:
            platform.send_custom(body)
        assert _code(refused) == code, body
    for _ in range(5):
        platform.send_custom(_text(openid))


def test_an_unfollowed_resident_gets_nothing(platform: Platform) -> None:
    follower = platform.new_follower()
    platform.interact(follower, "message")
    with pytest.raises(WeChatError) as gone:
        platform.send_custom(_text(follower.openid))
    assert _code(gone) == 45015


# -- subscription notices, media, QR codes, the menu -------------------------------------------


def test_a_subscription_notice_spends_one_authorisation(platform: Platform) -> None:
    openid = _following(platform)
    notice = {
        "touser": openid,
        "template_id": "TPL_REPLY_WAITING",
        "data": {"thing1": {"value": "您的诉求有新回复"}},
    }
    with pytest.raises(WeChatError) as refused:
        platform.send_subscription(notice)
    assert _code(refused) == 43101
    platform.authorize(openid, "TPL_REPLY_WAITING")
    platform.send_subscription(notice)
    with pytest.raises(WeChatError):
        platform.send_subscription(notice)
    with pytest.raises(WeChatError) as unknown:
        platform.send_subscription({**notice, "template_id": "TPL_OTHER"})
    assert _code(unknown) == 40037


def test_temporary_media_has_wechats_limits_and_lasts_three_days(
    platform: Platform, clock: Clock
) -> None:
    for kind, data, mime, code in [
        ("sticker", b"x", "image/png", 40004),
        ("image", b"x", "application/pdf", 40005),
        ("image", b"x" * (10 * 1024 * 1024 + 1), "image/png", 40006),
        ("voice", b"x" * (2 * 1024 * 1024 + 1), "audio/amr", 40006),
    ]:
        with pytest.raises(WeChatError) as refused:
            platform.upload_media(kind, data, mime)
        assert _code(refused) == code
    media_id = platform.upload_media("image", b"\x89PNG", "image/png")["media_id"]
    assert platform.media(media_id) == (b"\x89PNG", "image/png")
    clock.now += 3 * 24 * 3600
    with pytest.raises(WeChatError) as gone:
        platform.media(media_id)
    assert _code(gone) == 40007


def test_qr_codes_carry_their_scene(platform: Platform) -> None:
    answer = platform.create_qrcode(
        {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "cp_XH01"}}}
    )
    assert platform.scene_of(answer["ticket"]) == "cp_XH01"
    assert "expire_seconds" not in answer
    with pytest.raises(WeChatError):
        platform.create_qrcode({"action_name": "QR_STR_SCENE", "action_info": {"scene": {}}})


def test_the_menu_is_checked_as_wechat_checks_it(platform: Platform) -> None:
    with pytest.raises(WeChatError):
        platform.set_menu({"button": [{"name": str(i)} for i in range(4)]})
    with pytest.raises(WeChatError):
        platform.set_menu({"button": [{"name": "New case", "type": "click"}]})
    platform.set_menu({"button": [{"name": "New case", "type": "click", "key": "NEW_CASE"}]})
    assert platform.menu is not None


# -- over HTTP ----------------------------------------------------------------------------------


class Callback:
    """A stand-in for the bot's callback: checks what WeChat sends, answers as told."""

    def __init__(self, delay: float = 0.0, answer: str = "success") -> None:
        self.delay = delay
        self.answer = answer
        self.crypto = MessageCrypto(ACCOUNT.token, ACCOUNT.encoding_aes_key, ACCOUNT.app_id)
        self.received: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        q = request.query
        self.crypto.check_url(q["signature"], q["timestamp"], q["nonce"])
        envelope = parse_message(await request.read())
        plain = self.crypto.decrypt(
            envelope["Encrypt"], q["msg_signature"], q["timestamp"], q["nonce"]
        )
        self.received.append(parse_message(plain))
        await asyncio.sleep(self.delay)
        return web.Response(text=self.answer)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _serve(callback: Callback) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/wechat", callback.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/wechat"


async def test_api_over_http_answers_wechats_bodies(http: aiohttp.ClientSession) -> None:
    async with await start_wechat(ACCOUNT) as running:
        async with http.get(
            f"{running.url}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": "x", "secret": "y"},
        ) as response:
            assert await response.json() == {"errcode": 40013, "errmsg": "invalid appid"}
        token = _token(running.platform)
        follower = running.platform.new_follower()
        follower.following = True
        send = f"{running.url}/cgi-bin/message/custom/send"
        async with http.post(
            send, params={"access_token": token}, json=_text(follower.openid)
        ) as r:
            body = await r.json()
            assert body["errcode"] == 45015
        async with http.post(send, params={"access_token": "bad"}, data=b"") as r:
            assert (await r.json())["errcode"] == 40001
        async with http.post(send, params={"access_token": token}, data=b"") as r:
            assert (await r.json())["errcode"] == 44002


async def test_a_push_is_signed_encrypted_and_answered() -> None:
    callback = Callback()
    runner, url = await _serve(callback)
    try:
        account = Account(callback_url=url)
        async with await start_wechat(account, push_wait=1.0) as running:
            follower = running.platform.new_follower()
            follow = await running.pusher.follow(follower, scene="cp_XH01")
            text = await running.pusher.text(follower, "路灯坏了")
            again = await running.pusher.follow(follower, scene="cp_XH02")
    finally:
        await runner.cleanup()
    assert follow.delivered and text.delivered and again.delivered
    assert [m.get("Event") for m in callback.received] == ["subscribe", None, "SCAN"]
    assert callback.received[0]["EventKey"] == "qrscene_cp_XH01"
    assert callback.received[1]["Content"] == "路灯坏了"
    assert callback.received[1]["MsgId"].isdigit()
    assert callback.received[2]["EventKey"] == "cp_XH02"


async def test_a_slow_callback_gets_three_tries_with_the_same_msg_id() -> None:
    callback = Callback(delay=0.5)
    runner, url = await _serve(callback)
    try:
        async with await start_wechat(Account(callback_url=url), push_wait=0.2) as running:
            follower = running.platform.new_follower()
            follower.following = True
            result = await running.pusher.text(follower, "还在吗")
    finally:
        await runner.cleanup()
    assert result.attempts == ["timeout", "timeout", "timeout"]
    assert not result.delivered
    assert len({m["MsgId"] for m in callback.received}) == 1
    assert len(callback.received) == 3
    assert follower.received[-1]["Content"] == UNAVAILABLE


async def test_a_passive_reply_reaches_the_follower() -> None:
    crypto = MessageCrypto(ACCOUNT.token, ACCOUNT.encoding_aes_key, ACCOUNT.app_id)
    reply = render_message({"MsgType": "text", "Content": "已收到"})
    encrypted, signature = crypto.encrypt(reply, "5", "6")
    answer = render_message(
        {"Encrypt": encrypted, "MsgSignature": signature, "TimeStamp": "5", "Nonce": "6"}
    )
    callback = Callback(answer=answer)
    runner, url = await _serve(callback)
    try:
        async with await start_wechat(Account(callback_url=url), push_wait=1.0) as running:
            follower = running.platform.new_follower()
            follower.following = True
            await running.pusher.text(follower, "你好")
    finally:
        await runner.cleanup()
    assert follower.received[-1]["Content"] == "已收到"
    assert sign("a", "b") == sign("b", "a")
