"""Composing a consultation: the file read and checked, the preview, and storing it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.consultations import Consultation
from models.tables import ContactPoint, pk
from services.audit import audit
from services.consultations import wording
from services.consultations.base import SCHEDULED, ConsultBase
from services.consultations.form import Form, parse_form
from services.errors import Invalid
from services.fanout.audience import Rights, count_residents, pick, scope_points
from services.notices.text import MAX_AHEAD


@dataclass(frozen=True)
class Preview:
    text: str  # the invitation as residents will read it
    residents: int
    points: int
    anonymous: bool
    tz: str  # the first point's time zone: times are shown in it


class Composing(ConsultBase):
    async def read_form(self, user_id: int | None, source: str) -> Form:
        """A consultation file, checked, with times in the author's first point's zone."""
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
            scope = await self._scope(session, rights)
        return parse_form(source, rights.locale, scope[0].tz, self.ctx.clock.now())

    async def _scope(self, session: AsyncSession, rights: Rights) -> list[ContactPoint]:
        scope = await scope_points(session, rights)
        if not scope:
            raise Invalid("consult.no_points")
        return scope

    async def preview(self, user_id: int | None, form: Form, locale: str) -> Preview:
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
            chosen = pick(await self._scope(session, rights), form.audience, "consult")
            residents, blocked = await count_residents(session, [pk(p) for p in chosen])
            draft = self._row(form, rights, chosen[0].tz, None)
        text = wording.card(self.texts, draft, locale, chosen[0].tz)
        return Preview(text, residents - blocked, len(chosen), form.anonymous, chosen[0].tz)

    def _row(self, form: Form, rights: Rights, tz: str, origin: str | None) -> Consultation:
        now = self.ctx.clock.now()
        return Consultation(
            origin=origin,
            author_user_id=rights.user_id,
            author_chat_id=rights.chat_id,
            author_name=rights.name[:128],
            author_title=rights.title[:60],
            fallback_locale=form.fallback_locale,
            title=form.title,
            intro=form.intro,
            questions=[q.to_json() for q in form.questions],
            audience={**form.audience.to_json(), "tz": tz},
            anonymous=form.anonymous,
            status=SCHEDULED,
            opens_at=form.opens_at or now,
            closes_at=form.closes_at or now + MAX_AHEAD,
            created_at=now,
        )

    async def create(self, user_id: int | None, form: Form, *, origin: str | None = None) -> int:
        """Store the consultation; it opens (and its invitation goes out) on the next tick at
        its opening time. ``origin`` makes a confirmation pressed twice create one."""
        if origin is not None and (found := await self._by_origin(origin)) is not None:
            return found
        now = self.ctx.clock.now()
        try:
            async with self.ctx.db.write() as session:
                rights = await self._rights(session, user_id)
                chosen = pick(await self._scope(session, rights), form.audience, "consult")
                row = self._row(form, rights, chosen[0].tz, origin)
                session.add(row)
                await session.flush()
                audit(
                    session,
                    now,
                    rights.user_id,
                    "consult:create",
                    f"consultation:{row.id}",
                    anonymous=form.anonymous,
                    source="bot" if origin else "cli",
                )
                return pk(row)
        except IntegrityError:
            if origin is None or (found := await self._by_origin(origin)) is None:
                raise
            return found

    async def _by_origin(self, origin: str) -> int | None:
        async with self.ctx.db.read() as session:
            found = (
                await session.execute(
                    select(col(Consultation.id)).where(col(Consultation.origin) == origin)
                )
            ).scalar()
        return None if found is None else int(found)
