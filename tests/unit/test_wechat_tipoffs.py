"""Tip-offs from WeChat residents, by numbered choices, with Telegram's rules: anonymous (a
receipt code, an alias for the inspector) or named; never to a cadre; what the anonymous
reporter was told is forgotten once WeChat took it; following the report by its code."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from models.tables import Outbox
from models.tipoffs import TipOff, TipOffMessage
from services.app import Services
from services.parts import Part
from tests import factories
from tests.unit.test_wechat_residents import FakeApi, Resident, _register
from wechat.sender import WeChatSender


async def _everyone(services: Services) -> tuple[factories.Person, factories.Person]:
    await factories.load_points(services)
    cadre = await factories.staff(services, "Li Wei")
    inspector = await factories.staff(
        services, "Chen Jing", "inspector", point=None, region="Jinghu"
    )
    return cadre, inspector


async def _outbox(services: Services) -> list[Outbox]:
    async with services.ctx.db.read() as session:
        return list((await session.execute(select(Outbox).order_by(col(Outbox.id)))).scalars())


def _numbered(text: str, label: str) -> str:
    """The number of the choice whose line holds ``label``."""
    return next(line.split(".")[0] for line in text.splitlines() if label in line and "." in line)


async def _lines(resident: Resident) -> str:
    rows = await resident.rows()
    payload = rows[-1].payload
    labels = [b["label"] for row in payload.get("buttons") or [] for b in row]
    return "\n".join(f"{n}. {label}" for n, label in enumerate(labels, 1))


async def test_an_anonymous_report_from_wechat(services: Services) -> None:
    cadre, inspector = await _everyone(services)
    resident = Resident(services)
    await _register(resident)
    await resident.say("举报")
    assert "1. " + services.ctx.texts("zh_Hans", "btn.report_anonymous") in await _lines(resident)
    await resident.say("1")  # anonymous
    concerns = await _lines(resident)
    await resident.say(_numbered(concerns, "Li Wei"))  # it is about the cadre
    assert "✅ Li Wei" in await _lines(resident)
    await resident.say(_numbered(concerns, services.ctx.texts("zh_Hans", "btn.tip_nobody")))
    await resident.say("The clerk asks for bribes")
    await resident.push({"MsgType": "image", "MediaId": "m-proof", "PicUrl": "x", "MsgId": "91"})
    await resident.say("1")  # done
    await resident.say("1")  # send
    told = (await resident.rows())[-1].payload
    assert told["seal"] is True and "J2026-0001" in told["text"]
    code = told["text"].split("<code>")[1].split("</code>")[0] if "<code>" in told["text"] else ""
    async with services.ctx.db.read() as session:
        tip = (await session.execute(select(TipOff))).scalar_one()
        messages = list((await session.execute(select(TipOffMessage))).scalars())
    assert not tip.named and tip.reporter_user_id is None and tip.concerns
    assert len(messages) == 2 and all(m.author_user_id is None for m in messages)
    address = await resident.address()
    everything = await _outbox(services)
    to_inspector = [r for r in everything if r.chat_id == inspector.tg_id]
    assert any(tip.alias in str(r.payload) for r in to_inspector)
    # The photo reaches the inspector from WeChat's media, never naming its sender.
    assert any(r.payload.get("media") == "m-proof" for r in to_inspector)
    for row in to_inspector:
        assert resident.openid not in str(row.payload) and str(address) not in str(row.payload)
    assert not [r for r in everything if r.chat_id == cadre.tg_id and "J2026" in str(r.payload)]
    # Every answer of the flow was sealed, with keys that name no push of the resident.
    flow = [r for r in await resident.rows() if r.payload.get("seal")]
    assert len(flow) >= 6 and all(r.dedupe_key.startswith("wxs") for r in flow)
    # Once WeChat took them, nothing of them is left about the resident.
    api = FakeApi()
    await WeChatSender(services, api).drain()  # type: ignore[arg-type]
    assert not [r for r in await resident.rows() if r.payload.get("seal")]
    assert any("J2026-0001" in str(m) for m in api.sent)
    # Following the report with the receipt code, and writing to the inspector.
    receipt = code or _receipt(api.sent)
    await resident.say("举报")
    await resident.say(
        _numbered(await _lines(resident), services.ctx.texts("zh_Hans", "btn.follow_report"))
    )
    await resident.say(receipt)
    assert "J2026-0001" in (await resident.rows())[-1].payload["text"]
    await resident.say("He asked again today")
    everything = await _outbox(services)
    assert any(
        r.chat_id == inspector.tg_id and "He asked again today" in str(r.payload)
        for r in everything
    )

    # The inspector answers with a photo (Telegram's native reply): it reaches the anonymous
    # reporter on WeChat as a photo — by its Telegram file id, downloaded and uploaded as
    # WeChat media — its row sealed and naming no chat of the inspector's.
    photo = Part(inspector.tg_id, 4242, "photo", "Is this the man?", file_id="AgInspectorPhoto")
    await services.tipoffs.reply(inspector.user_id, tip.id, photo)
    row = (await resident.rows())[-1]
    assert row.payload["type"] == "photo" and row.payload["file_id"] == "AgInspectorPhoto"
    assert row.payload["seal"] is True and str(inspector.tg_id) not in str(row.payload)
    fetched: list[str] = []

    async def fetch_file(file_id: str) -> tuple[bytes, str]:
        fetched.append(file_id)
        return JPEG, "photo.jpg"

    api = MediaApi()
    await WeChatSender(services, api, fetch_file=fetch_file).drain()  # type: ignore[arg-type]
    assert fetched == ["AgInspectorPhoto"] and api.uploads == [("image", "image/jpeg")]
    assert {"msgtype": "image", "image": {"media_id": "media-1"}} in [
        {k: v for k, v in m.items() if k != "touser"} for m in api.sent
    ]
    words = [str(m) for m in api.sent if m.get("msgtype") == "text"]
    assert any("Is this the man?" in w for w in words) and not any("[" in w for w in words)
    assert not [r for r in await resident.rows() if r.payload.get("seal")]  # forgotten


# The smallest JPEG header WeChat's rules take as an image.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"


class MediaApi(FakeApi):
    def __init__(self) -> None:
        super().__init__()
        self.uploads: list[tuple[str, str]] = []

    async def upload_media(self, kind: str, name: str, data: bytes, mime_type: str) -> str:
        self.uploads.append((kind, mime_type))
        return f"media-{len(self.uploads)}"


def _receipt(sent: list[dict[str, object]]) -> str:
    import re

    for message in sent:
        found = re.search(r"[A-Z0-9]{5}-[A-Z0-9]{5}", str(message))
        if found:
            return found.group(0)
    raise AssertionError("no receipt code was shown")


async def test_a_named_report_from_wechat(services: Services) -> None:
    _cadre, inspector = await _everyone(services)
    resident = Resident(services)
    await _register(resident)
    await resident.say("/report")
    await resident.say(
        _numbered(await _lines(resident), services.ctx.texts("zh_Hans", "btn.report_named"))
    )
    nobody = services.ctx.texts("zh_Hans", "btn.tip_nobody")
    await resident.say(_numbered(await _lines(resident), nobody))
    await resident.say("The gate guard is rude")
    await resident.say("1")
    await resident.say("1")
    async with services.ctx.db.read() as session:
        tip = (await session.execute(select(TipOff))).scalar_one()
    assert tip.named and tip.reporter_user_id is not None
    to_inspector = [r for r in await _outbox(services) if r.chat_id == inspector.tg_id]
    assert any("The gate guard is rude" in str(r.payload) for r in to_inspector)
