"""Who may reach a tip-off, and how its reporter is reached: a named reporter by their account,
an anonymous one only through the receipt code they keep and their sealed (encrypted) chat.
Anyone else learns nothing, not even that the report exists."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import User
from models.tipoffs import TipOff
from services.errors import NotFound
from services.sealing import Sealer
from services.staff import covers_region
from services.texts import Texts
from services.tipoffs.routing import inspector_of


async def authorize(
    session: AsyncSession,
    sealer: Sealer,
    tipoff_id: int,
    reporter_user_id: int | None,
    receipt: str | None,
    inspector_user_id: int | None,
) -> TipOff:
    """Only its reporter (by account or receipt code) or its inspector reach a tip-off."""
    tip = await session.get(TipOff, tipoff_id)
    if tip is None:
        raise NotFound("tipoff.not_found")
    if inspector_user_id is not None:
        inspector = await inspector_of(session, inspector_user_id)
        if inspector.id in tip.concerns:
            raise NotFound("tipoff.not_found")  # never to someone the report names
        if tip.assignee_id != inspector.id and not (
            inspector.region is None or covers_region(inspector.region, tip.region)
        ):
            raise NotFound("tipoff.not_found")
        if tip.assignee_id is None:
            tip.assignee_id = inspector.id
        return tip
    if reporter_user_id is not None and tip.named and tip.reporter_user_id == reporter_user_id:
        return tip
    if receipt is not None and tip.receipt_hash == receipt_hash(sealer, receipt):
        return tip
    raise NotFound("tipoff.not_found")


def receipt_hash(sealer: Sealer, code: str) -> str:
    """The only trace of a receipt code that is kept."""
    return sealer.mac("receipt", Sealer.normalize_receipt(code))


async def reporter_of(
    session: AsyncSession, sealer: Sealer, tip: TipOff, default_locale: str
) -> tuple[int | None, str, int | None]:
    """The reporter's chat, language and account (named only); no chat once they erased
    their data or when the seal is gone."""
    if tip.named and tip.reporter_user_id is not None:
        user = await session.get(User, tip.reporter_user_id)
        if user is None or user.erased_at is not None:
            return None, default_locale, None
        return user.chat_id, user.locale, user.id
    if tip.reporter_link is None:
        return None, default_locale, None
    return sealer.unseal(tip.reporter_link), tip.reporter_locale, None


def sealed(payload: dict[str, Any], tip: TipOff) -> dict[str, Any]:
    """Anonymous reports: once sent, the outbox row forgets whose chat it came from or went to.
    A file kept by another channel (a WeChat reporter's photo) is fetched by its media id: the
    reporter's address is not even kept until then."""
    if tip.named:
        return payload
    if payload.get("type") == "channel_file":
        payload = {k: v for k, v in payload.items() if k != "from_chat_id"}
    return {**payload, "seal": True}


def who(texts: Texts, tip: TipOff, locale: str) -> str:
    """How an inspector hears of the reporter: an alias, or "the reporter" (named)."""
    return (
        texts(locale, "tipoff.anonymous_alias", alias=tip.alias)
        if not tip.named
        else texts(locale, "tipoff.named_reporter")
    )
