"""Composing a notice: what the author may address, checks on the text, the estimate and
preview, and storing it (scheduled, or sending at once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from locales import LOCALES
from models.notices import Notice
from models.tables import pk
from services.audit import audit
from services.errors import Invalid
from services.fanout.audience import AUDIENCE_KINDS, Audience, count_residents, pick
from services.fanout.ledger import SCHEDULED
from services.notices import wording
from services.notices.data import (
    MEDIA_KINDS,
    ComposeScope,
    Created,
    Estimate,
    NoticeDraft,
    PointChoice,
)
from services.notices.sending import Sending
from services.notices.text import CAPTION_LIMIT, MAX_AHEAD, TEXT_LIMIT, parse_when, plain_length
from services.outbox import enqueue, text_message


class Composing(Sending):
    async def compose_scope(self, user_id: int) -> ComposeScope:
        """What a staff member may address; residents and inspectors are refused."""
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
            scope = await self._scope_points(session, rights)
        if not scope:
            raise Invalid("notices.no_points")
        regions = sorted({p.region for p in scope if p.region})
        choices = [
            PointChoice(pk(p), p.code, p.name, p.region, p.group_chat_id is not None) for p in scope
        ]
        return ComposeScope(rights.is_admin, choices, regions if rights.is_admin else [])

    def check_text(self, html_text: str, *, with_media: bool) -> None:
        """Refuse an empty notice, or one too long for a message (or a caption, with media)."""
        length = plain_length(html_text)
        if not html_text.strip() or length == 0:
            raise Invalid("notices.empty")
        limit = CAPTION_LIMIT if with_media else TEXT_LIMIT
        if length > limit:
            raise Invalid("notices.too_long", limit=limit, length=length)

    def check_draft(self, draft: NoticeDraft) -> None:
        """Refuse a draft that cannot be sent: no text in the author's language, a text too
        long, an unknown language, audience or kind of media."""
        if draft.fallback_locale not in LOCALES:
            raise Invalid("language.unknown")
        if draft.audience.kind not in AUDIENCE_KINDS:
            raise Invalid("notices.no_audience")
        if draft.media is not None and draft.media.kind not in MEDIA_KINDS:
            raise Invalid("notices.media_kind")
        if draft.fallback_locale not in draft.texts:
            raise Invalid("notices.empty")
        for locale, body in draft.texts.items():
            if locale not in LOCALES:
                raise Invalid("language.unknown")
            self.check_text(body, with_media=draft.media is not None)

    def when(self, text: str, tz: str) -> datetime:
        return parse_when(text, tz, self.ctx.clock.now())

    async def estimate(self, user_id: int | None, audience: Audience) -> Estimate:
        """How many residents (and groups) an audience reaches, as the author may address it."""
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
            chosen = pick(await self._scope_points(session, rights), audience)
            residents, unreachable = await count_residents(session, [pk(p) for p in chosen])
        return Estimate(
            points=len(chosen),
            residents=residents,
            unreachable=unreachable,
            groups=sum(1 for p in chosen if p.group_chat_id is not None),
            tz=chosen[0].tz,
            point_names=[p.name for p in chosen],
        )

    async def preview(self, user_id: int, draft: NoticeDraft, locale: str) -> str:
        """The notice as a resident using ``locale`` will read it, signed by its author."""
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
        return wording.render(
            self.texts, draft.texts, draft.fallback_locale, locale, rights.name, rights.title
        )

    async def create(
        self,
        user_id: int | None,
        draft: NoticeDraft,
        *,
        origin: str | None = None,
        progress_message_id: int | None = None,
    ) -> Created:
        """Store a notice (scheduled, or sending now). ``origin`` names the confirmation (the
        wizard's message): confirming twice creates one notice."""
        self.check_draft(draft)
        now = self.ctx.clock.now()
        send_at = draft.send_at or now
        if send_at > now + MAX_AHEAD:
            raise Invalid("notices.time_too_far", days=MAX_AHEAD.days)
        if origin is not None:
            existing = await self._by_origin(origin)
            if existing is not None:
                return existing
        try:
            async with self.ctx.db.write() as session:
                rights = await self._rights(session, user_id)
                # Refused here, with the reason, rather than silently when it starts.
                chosen = pick(await self._scope_points(session, rights), draft.audience)
                notice = Notice(
                    origin=origin,
                    author_user_id=rights.user_id,
                    author_chat_id=rights.chat_id,
                    author_name=rights.name[:128],
                    author_title=rights.title[:60],
                    fallback_locale=draft.fallback_locale,
                    texts=dict(draft.texts),
                    media=draft.media.to_json() if draft.media else None,
                    audience={**draft.audience.to_json(), "tz": chosen[0].tz},
                    status=SCHEDULED,
                    send_at=send_at,
                    created_at=now,
                    progress_message_id=progress_message_id,
                )
                session.add(notice)
                await session.flush()
                audit(
                    session,
                    now,
                    rights.user_id,
                    "notice:create",
                    f"notice:{notice.id}",
                    audience=draft.audience.kind,
                    scheduled=send_at > now,
                    source="bot" if origin else "cli",
                )
                if send_at > now:
                    notice.audience_size, _ = await count_residents(
                        session, [pk(p) for p in chosen]
                    )
                else:
                    await self._start(session, notice, now)
                text, buttons = await self._status_message(session, notice)
                notice.progress_text = text
                notice.progress_at = now
                if progress_message_id is None and notice.author_chat_id is not None:
                    # From the CLI: the progress message is a new one, edited from then on.
                    await enqueue(
                        session,
                        now,
                        key=f"nprog{notice.id}:0",
                        chat_id=notice.author_chat_id,
                        payload=text_message(text, buttons),
                        recipient_user_id=notice.author_user_id,
                    )
                return Created(pk(notice), notice.status, False, text, buttons)
        except IntegrityError:
            if origin is None:
                raise
            existing = await self._by_origin(origin)
            if existing is None:
                raise
            return existing

    async def _by_origin(self, origin: str) -> Created | None:
        async with self.ctx.db.read() as session:
            notice = (
                await session.execute(select(Notice).where(col(Notice.origin) == origin))
            ).scalar()
            if notice is None:
                return None
            text, buttons = await self._status_message(session, notice)
            return Created(pk(notice), notice.status, True, text, buttons)
