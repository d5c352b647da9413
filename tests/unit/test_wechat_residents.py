"""WeChat residents through the services: a poster's scan, the privacy notice, registration to
the point, a case filed by numbered choices, follow-ups to the named case, the cadre's reply
queued for WeChat; the sender's window rules (parked, never "sent"), retries and refusals."""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from models.enums import OutboxStatus
from models.tables import Case, Outbox, User
from services import channel_inbox
from services.app import Services
from services.channels import address_of, identify
from services.parts import Part
from services.wechat_residents import WeChatResidents
from tests import factories
from wechat.api import WeChatApiError
from wechat.sender import WeChatSender

OPENID = "oResident0000000000000000001"
_msg = count(5_000)


class Resident:
    def __init__(self, services: Services, openid: str = OPENID) -> None:
        self.services = services
        self.openid = openid
        self.desk = WeChatResidents(services)
        self.created = 1_700_000_000

    async def push(self, fields: dict[str, str], key: str | None = None) -> bool:
        self.created += 1
        fields = {"FromUserName": self.openid, "CreateTime": str(self.created), **fields}
        if key is None:
            key = f"msg:{fields['MsgId']}" if "MsgId" in fields else f"event:{self.created}"
        db, now = self.services.ctx.db, self.services.ctx.clock.now()
        kept = await channel_inbox.accept(db, "wechat", key, self.openid, fields, now)
        for row in await channel_inbox.claim(db, "wechat", now):
            await self.desk.handle(row)
            await channel_inbox.finish(db, row.id)
        return kept

    async def say(self, text: str, msg_id: int | None = None) -> bool:
        msg_id = msg_id or next(_msg)
        return await self.push({"MsgType": "text", "Content": text, "MsgId": str(msg_id)})

    async def event(self, event: str, key: str = "") -> bool:
        return await self.push({"MsgType": "event", "Event": event, "EventKey": key})

    async def address(self) -> int:
        db, now = self.services.ctx.db, self.services.ctx.clock.now()
        return (await identify(db, "wechat", self.openid, now)).address

    async def rows(self) -> list[Outbox]:
        address = await self.address()
        async with self.services.ctx.db.read() as session:
            result = await session.execute(
                select(Outbox).where(col(Outbox.chat_id) == address).order_by(col(Outbox.id))
            )
            return list(result.scalars())

    async def last_text(self) -> str:
        return str((await self.rows())[-1].payload["text"])


@pytest.fixture
async def county(services: Services) -> factories.Person:
    await factories.load_points(services)
    return await factories.staff(services, "Li Wei")


async def _register(resident: Resident) -> None:
    await resident.event("subscribe", "qrscene_cp_XH01")
    await resident.say("1")  # I agree


async def test_scan_privacy_register_file_follow_up_reply(
    services: Services, county: factories.Person
) -> None:
    resident = Resident(services)
    await resident.event("subscribe", "qrscene_cp_XH01")
    rows = await resident.rows()
    assert len(rows) == 1 and rows[0].channel == "wechat"
    assert len(rows[0].payload["buttons"]) == 3  # agree, not now, the other language
    assert rows[0].recipient_user_id is None  # nothing kept about them yet
    await resident.say("3")  # the other language
    other = (await resident.rows())[-1].payload["buttons"][0][0]["label"]
    assert other != (await resident.rows())[0].payload["buttons"][0][0]["label"]
    await resident.say("3")  # and back
    await resident.say("1")  # agree
    texts = [r.payload["text"] for r in await resident.rows()]
    assert any("Xinhua Street" in t for t in texts), texts  # the poster's point was set
    address = await resident.address()
    async with services.ctx.db.read() as session:
        user = (await session.execute(select(User).where(col(User.tg_id) == address))).scalar()
    assert user is not None and user.chat_id == address

    # A case: the first message, then kind and category by number.
    assert await resident.say("The street lamp is out", msg_id=777)
    assert len((await resident.rows())[-1].payload["buttons"]) == 5  # the kinds, numbered
    await resident.say("1")  # complaint
    await resident.say("1")  # the first category
    async with services.ctx.db.read() as session:
        case = (await session.execute(select(Case))).scalar_one()
    assert case.source_chat_id == address and case.source_message_id == 777
    assert case.summary == "The street lamp is out"
    # WeChat's retry of the first message files nothing more (the key is kept).
    assert not await resident.say("The street lamp is out", msg_id=777)
    async with services.ctx.db.read() as session:
        assert len((await session.execute(select(Case))).scalars().all()) == 1
    confirmation = (await resident.rows())[-1]
    assert confirmation.case_id == case.id and case.public_no in confirmation.payload["text"]

    # A follow-up goes to the case the bot's last message named, and reaches the cadre.
    await resident.say("It has been dark for a week")
    assert case.public_no in await resident.last_text()
    async with services.ctx.db.read() as session:
        relayed = (
            await session.execute(
                select(Outbox).where(col(Outbox.chat_id) == county.tg_id).order_by(col(Outbox.id))
            )
        ).scalars()
        relayed_texts = [r.payload.get("text", "") for r in relayed]
    assert any("It has been dark for a week" in t for t in relayed_texts)

    # The cadre's native reply is queued for the resident on WeChat.
    part = Part(chat_id=county.tg_id, message_id=42, kind="text", text="Fixed tomorrow")
    await services.cases.reply(county.user_id, case.id, part)
    last = (await resident.rows())[-1]
    assert last.channel == "wechat" and "Fixed tomorrow" in last.payload["text"]


async def test_my_cases_switches_the_case(services: Services, county: factories.Person) -> None:
    resident = Resident(services)
    await _register(resident)
    for text in ("First problem", "Second problem"):
        await resident.say("0")  # leave whatever is in hand: a new case
        await resident.event("CLICK", "NEW_CASE")
        await resident.say("1")
        await resident.say("1")
        await resident.say(text)
    async with services.ctx.db.read() as session:
        cases = (await session.execute(select(Case).order_by(col(Case.id)))).scalars().all()
    assert [c.summary for c in cases] == ["First problem", "Second problem"]
    await resident.event("CLICK", "MY_CASES")
    listing = (await resident.rows())[-1].payload
    labels = [row[0]["label"] for row in listing["buttons"]]
    first = next(i for i, label in enumerate(labels, 1) if cases[0].public_no in label)
    await resident.say(str(first))
    assert cases[0].public_no in await resident.last_text()
    await resident.say("About the first one")
    assert cases[0].public_no in await resident.last_text()


async def test_photo_location_and_data_rights(services: Services, county: factories.Person) -> None:
    resident = Resident(services)
    await _register(resident)
    await resident.push({"MsgType": "image", "MediaId": "m1", "PicUrl": "x", "MsgId": "901"})
    await resident.say("1")
    await resident.say("1")
    await resident.push(
        {"MsgType": "location", "Location_X": "31.35", "Location_Y": "118.37", "MsgId": "902"}
    )
    async with services.ctx.db.read() as session:
        payloads = [
            r.payload
            for r in (
                await session.execute(select(Outbox).where(col(Outbox.chat_id) == county.tg_id))
            ).scalars()
        ]
    relayed = [p.get("text", "") for p in payloads]
    # The photo goes as a file kept by WeChat (its media id), its mark if it cannot cross.
    photo = next(p for p in payloads if p["type"] == "channel_file")
    assert photo["media"] == "m1" and photo["kind"] == "photo" and "📷" in photo["fallback"]
    assert any("📍 31.35000, 118.37000" in t for t in relayed)
    await resident.say("/mydata")
    assert "other_channels" in await resident.last_text()
    await resident.say("/forget")
    await resident.say("1")
    address = await resident.address()  # a new identity: the old one went with the data
    async with services.ctx.db.read() as session:
        erased = (
            await session.execute(select(User).where(col(User.erased_at).is_not(None)))
        ).scalar()
    assert erased is not None and erased.tg_id != address


class FakeApi:
    def __init__(self, refuse: int | None = None) -> None:
        self.refuse = refuse
        self.sent: list[dict[str, Any]] = []
        self.subscriptions: list[dict[str, Any]] = []

    async def send_custom(self, message: dict[str, Any]) -> None:
        if self.refuse:
            raise WeChatApiError(self.refuse, "refused")
        self.sent.append(message)

    async def send_subscription(self, notice: dict[str, Any]) -> None:
        self.subscriptions.append(notice)


async def test_window_closed_parks_never_sent_then_delivers(
    services: Services, county: factories.Person
) -> None:
    resident = Resident(services)
    await _register(resident)
    await resident.say("Broken bench")
    await resident.say("1")
    await resident.say("1")
    ok = FakeApi()
    await WeChatSender(services, ok, subscription_template="TPL").drain()  # type: ignore[arg-type]
    assert all(r.status == OutboxStatus.SENT for r in await resident.rows())
    async with services.ctx.db.read() as session:
        case = (await session.execute(select(Case))).scalar_one()
    part = Part(chat_id=county.tg_id, message_id=43, kind="text", text="We will look")
    await services.cases.reply(county.user_id, case.id, part)

    closed = FakeApi(refuse=45015)
    sender = WeChatSender(services, closed, subscription_template="TPL")  # type: ignore[arg-type]
    await sender.drain()
    reply = (await resident.rows())[-1]
    assert reply.status == OutboxStatus.WAITING and reply.sent_at is None
    assert len(closed.subscriptions) == 1  # the resident is told that a reply waits
    async with services.ctx.db.read() as session:
        told = [
            r.payload.get("text", "")
            for r in (
                await session.execute(select(Outbox).where(col(Outbox.chat_id) == county.tg_id))
            ).scalars()
        ]
    assert any(case.public_no in t and "48" in t for t in told)
    await sender.drain()
    assert (await resident.rows())[-1].status == OutboxStatus.WAITING  # no call while waiting

    # The resident writes: the reply goes out first, then the answer to what they wrote.
    await resident.say("Any news?")
    await WeChatSender(services, ok).drain()  # type: ignore[arg-type]
    rows = await resident.rows()
    assert all(r.status == OutboxStatus.SENT for r in rows)
    contents = [
        m["text"]["content"] if m["msgtype"] == "text" else m["msgmenu"]["head_content"]
        for m in ok.sent
    ]
    assert contents.index(next(c for c in contents if "We will look" in c)) < len(contents) - 1


async def test_sender_retries_and_refusals(services: Services, county: factories.Person) -> None:
    resident = Resident(services)
    await _register(resident)
    await WeChatSender(services, FakeApi(refuse=-1)).drain()  # type: ignore[arg-type]
    rows = await resident.rows()
    assert rows[0].status == OutboxStatus.PENDING and rows[0].attempts == 1  # backed off
    services.ctx.clock.advance(seconds=3600)  # type: ignore[attr-defined]
    await WeChatSender(services, FakeApi(refuse=43004)).drain()  # type: ignore[arg-type]
    assert (await resident.rows())[0].status == OutboxStatus.DEAD  # unfollowed


def test_address_is_wechat() -> None:
    assert address_of(1) < -(2**60)


async def test_a_notice_reaches_wechat_residents_and_opens_by_number(
    services: Services, county: factories.Person
) -> None:
    from services.fanout import Audience
    from services.notices import NoticeDraft

    admin = await factories.staff(services, "Zhou", "admin", None)
    resident = Resident(services)
    await _register(resident)
    draft = NoticeDraft(
        texts={"en": "Water is off Tuesday", "zh_Hans": "周二停水"},
        fallback_locale="en",
        audience=Audience("all"),
    )
    created = await services.notices.create(admin.user_id, draft)
    while await services.notices.queue_chunk(created.notice_id) is not None:
        pass
    row = (await resident.rows())[-1]
    assert row.channel == "wechat" and "停水" in row.payload["text"]
    ok = FakeApi()
    await WeChatSender(services, ok).drain()  # type: ignore[arg-type]
    assert "周二停水" in str(ok.sent[-1])
    await resident.event("CLICK", "NOTICES")
    assert len((await resident.rows())[-1].payload["buttons"]) == 1
    await resident.say("1")
    assert "周二停水" in await resident.last_text()
