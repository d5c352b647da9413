"""What a tip-off looks like to its reader: the plain views the use cases return, and the card
an inspector reads (the reporter's name only on named reports, an alias otherwise)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.tables import ContactPoint, Staff, User, pk
from models.tipoffs import TipOff
from services.context import Context
from services.texts import cut, esc

OPEN = ("new", "accepted")


@dataclass(frozen=True)
class Official:
    staff_id: int
    name: str
    title: str


@dataclass(frozen=True)
class Filed:
    public_no: str
    receipt: str | None  # shown once to an anonymous reporter; only its hash is kept
    assigned: bool


@dataclass(frozen=True)
class TipView:
    id: int
    public_no: str
    named: bool
    alias: str
    reporter_name: str | None  # named reports only
    reporter_phone: str | None
    point_name: str
    concerns: list[str]
    summary: str
    status: str
    assignee_id: int | None
    created_at: datetime
    due_ack_at: datetime | None
    tz: str


@dataclass(frozen=True)
class TipMessage:
    from_reporter: bool
    text: str | None
    media_kind: str | None
    at: datetime


async def current_view(ctx: Context, tipoff_id: int) -> TipView:
    """The tip-off as it is now (for a message already taken: a redelivered update)."""
    async with ctx.db.read() as session:
        found = await session.get(TipOff, tipoff_id)
        assert found is not None
        return await view_of(session, found)


async def view_of(session: AsyncSession, tip: TipOff) -> TipView:
    point = await session.get(ContactPoint, tip.contact_point_id)
    assert point is not None
    names: list[str] = []
    if tip.concerns:
        rows = await session.execute(
            select(col(User.name))
            .join(Staff, col(Staff.user_id) == col(User.id))
            .where(col(Staff.id).in_(tip.concerns))
        )
        names = [str(n) for n in rows.scalars()]
    reporter_name = reporter_phone = None
    if tip.named and tip.reporter_user_id is not None:
        user = await session.get(User, tip.reporter_user_id)
        if user is not None and user.erased_at is None:
            reporter_name, reporter_phone = user.name, user.phone
    return TipView(
        pk(tip),
        tip.public_no,
        tip.named,
        tip.alias,
        reporter_name,
        reporter_phone,
        point.name,
        names,
        tip.summary,
        tip.status,
        tip.assignee_id,
        tip.created_at,
        tip.due_ack_at,
        point.tz,
    )


def tipoff_card(ctx: Context, locale: str, view: TipView) -> str:
    t = ctx.texts
    who = (
        t(locale, "tipoff.anonymous_alias", alias=view.alias)
        if not view.named
        else (
            esc(view.reporter_name or t(locale, "tipoff.reporter_erased"))
            + (f" · {esc(view.reporter_phone)}" if view.reporter_phone else "")
        )
    )
    lines = [
        t(locale, "tipoff.card_title", no=view.public_no),
        t(locale, "tipoff.card_point", point=esc(view.point_name)),
        t(locale, "tipoff.card_reporter", who=who),
    ]
    if view.concerns:
        lines.append(t(locale, "tipoff.card_concerns", names=esc(", ".join(view.concerns))))
    if view.due_ack_at is not None:
        lines.append(t(locale, "tipoff.card_due", due=t.when(locale, view.due_ack_at, view.tz)))
    lines.append(t(locale, "tipoff.card_status", status=t(locale, f"tipoff.status_{view.status}")))
    if view.summary:
        lines += ["", esc(cut(view.summary, 1500))]
    return "\n".join(lines)
