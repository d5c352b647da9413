"""A person on WeChat: known by (channel, openid), addressed in the core by a number Telegram
never uses, and their outbox rows claimed only by their channel's sender."""

from __future__ import annotations

from services import channels
from services.app import Services
from services.outbox import enqueue, text_message


def test_addresses_never_meet_telegram_ids() -> None:
    for identity_id in (1, 2, 10**9):
        address = channels.address_of(identity_id)
        assert channels.identity_of(address) == identity_id
        assert channels.channel_of(address) == "wechat"
    # Telegram users, groups and supergroups stay Telegram's.
    for chat in (1, 2**52, -1, -1001234567890, -(10**14)):
        assert channels.identity_of(chat) is None
        assert channels.channel_of(chat) == "telegram"


async def test_identity_is_made_once_and_linked(services: Services) -> None:
    db, now = services.ctx.db, services.ctx.clock.now()
    first = await channels.identify(db, "wechat", "openid-1", now)
    again = await channels.identify(db, "wechat", "openid-1", now)
    other = await channels.identify(db, "wechat", "openid-2", now)
    assert first == again and first.user_id is None
    assert other.id != first.id
    actor = await services.people.register(first.address, first.address, "", "en")
    await channels.link_user(db, first.id, actor.uid)
    assert (await channels.identify(db, "wechat", "openid-1", now)).user_id == actor.uid
    assert await channels.external_id_of(db, first.address) == ("wechat", "openid-1")
    assert await channels.external_id_of(db, 12345) is None


async def test_each_sender_claims_only_its_channel(services: Services) -> None:
    now = services.ctx.clock.now()
    wechat = channels.address_of(7)
    async with services.ctx.db.write() as session:
        await enqueue(session, now, key="tg", chat_id=111, payload=text_message("a"))
        await enqueue(session, now, key="wx", chat_id=wechat, payload=text_message("b"))
    telegram_rows = await services.outbox("t").claim(10)
    wechat_rows = await services.outbox("w", channel="wechat").claim(10)
    assert [r.dedupe_key for r in telegram_rows] == ["tg"]
    assert [r.dedupe_key for r in wechat_rows] == ["wx"]
    assert await services.outbox("t").recover() == 0  # the WeChat row is not taken back
