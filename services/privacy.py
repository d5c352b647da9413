"""Residents' rights over their data: a copy of everything kept (/mydata), erasure (/forget),
and the retention period after which closed cases keep no personal data.

Erasure keeps cases as anonymous records — kind, category, place, dates, outcome, what was said
— and removes who said it: name, phone, the link to their chat. The person becomes a stranger
to the bot; a later /start registers them afresh.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.channels import ChannelIdentity
from models.consultations import (
    Consultation,
    ConsultNamed,
    ConsultPollVote,
    ConsultRoll,
    ConsultSubmission,
)
from models.enums import OutboxStatus
from models.tables import (
    Case,
    CaseEvent,
    Category,
    ContactPoint,
    Conversation,
    MessageLink,
    Outbox,
    Residency,
    Staff,
    User,
    pk,
)
from models.tipoffs import TipOff, TipOffLink, TipOffMessage
from services.audit import audit
from services.context import Context
from services.erasure import Traces, scrub_audit, scrub_outbox, seal_outbox
from services.errors import NotAllowed, NotFound

# Telegram ids are positive for people; erased ones become negative numbers far from any
# group id, one range per kind of row, unique per row so the unique keys still hold.
_SPACES = {"user": 1, "case": 2, "event": 3}


def _erased_id(n: int, space: str = "user") -> int:
    return -(_SPACES[space] * 10**12) - n


async def _tip_keys(session: AsyncSession, tip_ids: list[int]) -> list[str]:
    """The outbox keys of every message about these reports (their cards and relays)."""
    if not tip_ids:
        return []
    messages = (
        await session.execute(
            select(col(TipOffMessage.id)).where(col(TipOffMessage.tipoff_id).in_(tip_ids))
        )
    ).scalars()
    return [f"tipoff{t}:" for t in tip_ids] + [f"tipmsg{m}:" for m in messages]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class Privacy:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def export(self, user_id: int) -> bytes:
        """Everything kept about a person, as a JSON file they can read."""
        async with self.ctx.db.read() as session:
            user = await session.get(User, user_id)
            if user is None or user.erased_at is not None:
                raise NotFound("privacy.nothing")
            data: dict[str, Any] = {
                "exported_at": self.ctx.clock.now().isoformat(),
                "you": {
                    "telegram_id": user.tg_id,
                    "name": user.name,
                    "language": user.locale,
                    "phone": user.phone,
                    "phone_consent_at": _iso(user.phone_consent_at),
                    "privacy_accepted_at": _iso(user.privacy_accepted_at),
                    "registered_at": _iso(user.created_at),
                },
                "other_channels": [
                    {"channel": row.channel, "id": row.external_id}
                    for row in (
                        await session.execute(
                            select(ChannelIdentity).where(col(ChannelIdentity.user_id) == user_id)
                        )
                    ).scalars()
                ],
                "contact_point": await self._point(session, user_id),
                "staff_role": await self._role(session, user_id),
                "cases": await self._cases(session, user_id),
                "named_tipoffs": await self._tipoffs(session, user_id),
                "named_consultation_answers": await self._consultations(session, user_id),
                "not_included": (
                    "anonymous tip-offs and answers to anonymous consultations:"
                    " by design they are not linked to you"
                ),
            }
        return json.dumps(data, ensure_ascii=False, indent=2).encode()

    async def forget(self, user_id: int) -> None:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            user = await session.get(User, user_id)
            if user is None or user.erased_at is not None:
                raise NotFound("privacy.nothing")
            staff = (
                await session.execute(
                    select(Staff).where(col(Staff.user_id) == user_id, col(Staff.active))
                )
            ).scalar()
            if staff is not None:
                raise NotAllowed("privacy.staff_cannot_forget")
            chat, tg = user.chat_id, user.tg_id
            sealed_chat = _erased_id(pk(user))
            await self._scrub_messages(session, user)
            await session.execute(delete(Residency).where(col(Residency.user_id) == user_id))
            # Their votes in consultations' group polls (named polls name the voter).
            await session.execute(
                delete(ConsultPollVote).where(
                    or_(
                        col(ConsultPollVote.voter_tg_id) == tg,
                        col(ConsultPollVote.user_id) == user_id,
                    )
                )
            )
            # Named consultation answers lose their author and become like anonymous ones
            # (still counted); the roll of who answered forgets them too.
            await session.execute(delete(ConsultNamed).where(col(ConsultNamed.user_id) == user_id))
            await session.execute(delete(ConsultRoll).where(col(ConsultRoll.user_id) == user_id))
            await session.execute(delete(MessageLink).where(col(MessageLink.chat_id) == chat))
            await session.execute(
                delete(Conversation).where(
                    or_(
                        col(Conversation.key).like(f"%:{chat}:{tg}:%"),
                        col(Conversation.key) == f"wechat:{chat}",
                    )
                )
            )
            # Their id on another channel (a WeChat openid) goes with them.
            await session.execute(
                delete(ChannelIdentity).where(col(ChannelIdentity.user_id) == user_id)
            )
            await self._scrub_outbox(session, chat)
            await session.execute(
                update(Case)
                .where(col(Case.source_chat_id) == chat)
                .values(source_chat_id=sealed_chat)
            )
            await session.execute(
                update(CaseEvent)
                .where(col(CaseEvent.source_chat_id) == chat)
                .values(source_chat_id=sealed_chat)
            )
            user.name, user.phone, user.phone_consent_at = "", None, None
            user.tg_id, user.chat_id = sealed_chat, 0
            user.blocked_at, user.erased_at = None, now
            audit(session, now, None, "privacy:forget", f"user:{user_id}")

    async def purge_expired(self) -> int:
        """Closed cases past the retention period keep their figures and lose the rest."""
        now = self.ctx.clock.now()
        cutoff = now - timedelta(days=self.ctx.config.retention_days)
        async with self.ctx.db.write() as session:
            ids = list(
                (
                    await session.execute(
                        select(col(Case.id))
                        .where(
                            col(Case.status) == "closed",
                            col(Case.closed_at) < cutoff,
                            or_(col(Case.resident_id).is_not(None), col(Case.summary) != ""),
                        )
                        .limit(500)
                    )
                ).scalars()
            )
            for case_id in [i for i in ids if i is not None]:
                await session.execute(
                    update(Case)
                    .where(col(Case.id) == case_id)
                    .values(
                        resident_id=None, summary="", source_chat_id=_erased_id(case_id, "case")
                    )
                )
                events = (
                    (
                        await session.execute(
                            select(col(CaseEvent.id)).where(col(CaseEvent.case_id) == case_id)
                        )
                    )
                    .scalars()
                    .all()
                )
                for event_id in [e for e in events if e is not None]:
                    await session.execute(
                        update(CaseEvent)
                        .where(col(CaseEvent.id) == event_id)
                        .values(
                            text=None,
                            media=None,
                            actor_user_id=None,
                            source_chat_id=_erased_id(event_id, "event"),
                        )
                    )
                await session.execute(
                    delete(MessageLink).where(col(MessageLink.case_id) == case_id)
                )
            await seal_outbox(session, case_ids=[i for i in ids if i is not None])
            tips = list(
                (
                    await session.execute(
                        select(col(TipOff.id))
                        .where(
                            col(TipOff.status) == "closed",
                            col(TipOff.closed_at) < cutoff,
                            col(TipOff.summary) != "",
                        )
                        .limit(500)
                    )
                ).scalars()
            )
            for tip_id in [i for i in tips if i is not None]:
                await session.execute(
                    update(TipOff)
                    .where(col(TipOff.id) == tip_id)
                    .values(summary="", reporter_user_id=None, reporter_link=None)
                )
                await session.execute(
                    update(TipOffMessage)
                    .where(col(TipOffMessage.tipoff_id) == tip_id)
                    .values(text=None, media=None, author_user_id=None)
                )
                await session.execute(delete(TipOffLink).where(col(TipOffLink.tipoff_id) == tip_id))
                await seal_outbox(session, key_prefixes=await _tip_keys(session, [tip_id]))
            if ids or tips:
                audit(
                    session, now, None, "privacy:retention", "", cases=len(ids), tipoffs=len(tips)
                )
        return len(ids) + len(tips)

    # ---- helpers -------------------------------------------------------------------------

    async def _scrub_messages(self, session: AsyncSession, user: User) -> None:
        """The person's name, phone, words and files out of every message kept about their
        cases and named reports (to anyone), and out of the audit entries about them."""
        user_id = pk(user)
        traces = Traces(chat_id=user.chat_id, names=[user.name, user.phone or ""])
        cases = list(
            (
                await session.execute(
                    select(col(Case.id), col(Case.summary)).where(col(Case.resident_id) == user_id)
                )
            ).all()
        )
        case_ids = [int(c) for c, _ in cases if c is not None]
        for _, summary in cases:
            traces.add_words(summary)
        own = (
            await session.execute(
                select(col(CaseEvent.text), col(CaseEvent.media)).where(
                    col(CaseEvent.case_id).in_(case_ids), col(CaseEvent.actor_user_id) == user_id
                )
            )
        ).all()
        tip_ids = [
            int(t)
            for t in (
                await session.execute(
                    select(col(TipOff.id)).where(col(TipOff.reporter_user_id) == user_id)
                )
            ).scalars()
            if t is not None
        ]
        said = (
            await session.execute(
                select(col(TipOffMessage.text), col(TipOffMessage.media)).where(
                    col(TipOffMessage.tipoff_id).in_(tip_ids), col(TipOffMessage.from_reporter)
                )
            )
        ).all()
        for text, media in [*own, *said]:
            traces.add_words(text)
            if media and media.get("file_id"):
                traces.files.add(str(media["file_id"]))
        texts, default = self.ctx.texts, self.ctx.config.default_locale
        await scrub_outbox(
            session,
            traces,
            lambda loc: (
                texts(loc, "privacy.erased_resident"),
                texts(loc, "privacy.erased_words"),
            ),
            default,
            case_ids=case_ids,
            key_prefixes=await _tip_keys(session, tip_ids),
        )
        targets = [f"user:{user_id}", *(f"case:{c}" for c in case_ids)]
        targets += [f"tipoff:{t}" for t in tip_ids]
        await scrub_audit(
            session, traces, targets, user_id, texts(default, "privacy.erased_resident")
        )

    async def _scrub_outbox(self, session: AsyncSession, chat: int) -> None:
        await session.execute(
            update(Outbox)
            .where(
                col(Outbox.chat_id) == chat,
                col(Outbox.status).in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
            )
            .values(status=OutboxStatus.CANCELLED)
        )
        await session.execute(
            update(Outbox)
            .where(col(Outbox.chat_id) == chat)
            .values(chat_id=0, payload={"type": "sealed"}, recipient_user_id=None)
        )

    @staticmethod
    async def _point(session: AsyncSession, user_id: int) -> dict[str, Any] | None:
        row = (
            await session.execute(
                select(ContactPoint, Residency)
                .join(Residency, col(Residency.contact_point_id) == col(ContactPoint.id))
                .where(col(Residency.user_id) == user_id)
            )
        ).first()
        if row is None:
            return None
        point, residency = row
        return {"code": point.code, "name": point.name, "since": _iso(residency.since)}

    @staticmethod
    async def _role(session: AsyncSession, user_id: int) -> dict[str, Any] | None:
        staff = (await session.execute(select(Staff).where(col(Staff.user_id) == user_id))).scalar()
        if staff is None:
            return None
        return {"role": staff.role, "title": staff.title, "active": staff.active}

    @staticmethod
    async def _cases(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
        cases = (
            await session.execute(
                select(Case, Category)
                .join(Category, col(Category.id) == col(Case.category_id), isouter=True)
                .where(col(Case.resident_id) == user_id)
                .order_by(col(Case.id))
            )
        ).all()
        out = []
        for case, category in cases:
            events = (
                (
                    await session.execute(
                        select(CaseEvent)
                        .where(
                            col(CaseEvent.case_id) == case.id, col(CaseEvent.internal).is_(False)
                        )
                        .order_by(col(CaseEvent.id))
                    )
                )
                .scalars()
                .all()
            )
            out.append(
                {
                    "number": case.public_no,
                    "kind": case.kind,
                    "category": category.code if category else None,
                    "status": case.status,
                    "close_reason": case.close_reason,
                    "filed_at": _iso(case.created_at),
                    "satisfaction": case.satisfaction,
                    "events": [
                        {
                            "type": e.type,
                            "at": _iso(e.at),
                            "text": e.text,
                            "media": (e.media or {}).get("kind"),
                            "by_you": e.actor_user_id == user_id,
                        }
                        for e in events
                    ],
                }
            )
        return out

    @staticmethod
    async def _consultations(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
        rows = await session.execute(
            select(
                col(Consultation.title),
                col(ConsultNamed.submitted_at),
                col(ConsultSubmission.answers),
            )
            .join(ConsultNamed, col(ConsultNamed.consultation_id) == col(Consultation.id))
            .join(ConsultSubmission, col(ConsultSubmission.id) == col(ConsultNamed.submission_id))
            .where(col(ConsultNamed.user_id) == user_id)
            .order_by(col(ConsultNamed.submitted_at))
        )
        return [
            {"consultation": title, "answered_at": _iso(at), "answers": answers}
            for title, at, answers in rows
        ]

    @staticmethod
    async def _tipoffs(session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
        tips = (
            (await session.execute(select(TipOff).where(col(TipOff.reporter_user_id) == user_id)))
            .scalars()
            .all()
        )
        return [
            {
                "number": t.public_no,
                "status": t.status,
                "filed_at": _iso(t.created_at),
                "summary": t.summary,
            }
            for t in tips
        ]
