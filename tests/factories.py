"""Building a small county through the services themselves, as an office would."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from services.app import Services
from services.cases import Draft
from services.parts import Part
from services.people import Actor

_ids = count(10_000)
_messages = count(1)

POINTS_CSV = """code,name,region,address,lat,lon,tz
XH01,Xinhua Street,Jinghu,12 Xinhua Rd,31.3526,118.3764,Asia/Shanghai
JH02,Jinghu Lake,Jinghu,1 Lakeside,31.3400,118.3700,Asia/Shanghai
YJ03,Yijiang Village,Yijiang,Village Hall,31.3000,118.4000,Asia/Shanghai
"""


@dataclass
class Person:
    actor: Actor

    @property
    def user_id(self) -> int:
        return self.actor.uid

    @property
    def tg_id(self) -> int:
        return self.actor.tg_id


async def load_points(services: Services, csv: str = POINTS_CSV) -> None:
    await services.points.import_csv(csv)


async def register(
    services: Services, name: str, *, locale: str = "en", tg_id: int | None = None
) -> Person:
    tg = tg_id or next(_ids)
    actor = await services.people.register(tg, tg, name, locale)
    return Person(actor)


async def resident(
    services: Services, name: str, point: str = "XH01", *, locale: str = "en"
) -> Person:
    person = await register(services, name, locale=locale)
    chosen = await services.points.by_code(point)
    await services.points.choose(person.user_id, chosen.id)
    return Person(await services.people.actor(person.tg_id, person.tg_id, name, None))


async def staff(
    services: Services,
    name: str,
    role: str = "cadre",
    point: str | None = "XH01",
    *,
    locale: str = "en",
    region: str | None = None,
    title: str = "",
) -> Person:
    person = await register(services, name, locale=locale)
    invite = await services.staff.create_invite(role, point_code=point, region=region)
    token = invite.link.split("start=inv_", 1)[1]
    await services.staff.redeem(person.user_id, token)
    if title:
        await services.staff.set_title(person.user_id, title)
    return Person(await services.people.actor(person.tg_id, person.tg_id, name, None))


async def file_case(services: Services, person: Person, text: str = "The lamp is out") -> int:
    """A one-message complaint in the first category, as the resident would file it."""
    part = Part(chat_id=person.tg_id, message_id=next(_messages), kind="text", text=text)
    cats = await services.cases.categories()
    filed = await services.cases.file(person.user_id, Draft("complaint", cats[0].id, [part]))
    return filed.case.id
