"""Composing a consultation: the file read and checked, the preview, and storing it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.consultations import Consultation
from models.tables import ContactPoint, pk
from services.audit import audit
from services.consultations import wording
from services.consultations.base import SCHEDULED, ConsultBase
from services.consultations.form import Form, form_from_data, parse_form
from services.errors import Invalid
from services.fanout.audience import Audience, Rights, count_residents, pick, scope_points
from services.notices.data import ComposeScope, PointChoice
from services.notices.text import MAX_AHEAD


@dataclass(frozen=True)
class Preview:
    text: str  # the invitation as residents will read it
    residents: int
    points: int
    anonymous: bool
    tz: str  # the first point's time zone: times are shown in it
    groups: int = 0  # linked groups among the points (where polls would go)
    polls: int = 0  # single-choice questions that will be posted as polls there
    single: int = 0  # single-choice questions (that could be)


class Composing(ConsultBase):
    async def read_form(self, user_id: int | None, source: str) -> Form:
        """A consultation file, checked, with times in the author's first point's zone."""
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
            scope = await self._scope(session, rights)
        return parse_form(source, rights.locale, scope[0].tz, self.ctx.clock.now())

    async def read_draft(
        self,
        user_id: int | None,
        data: dict[str, Any],
        audience: Audience,
        document: dict[str, Any] | None = None,
    ) -> Form:
        """A consultation composed step by step in the bot: the same checks as a file's
        (``data`` has a file's shape; its introduction is HTML), with times in the zone of the
        first point of the chosen audience."""
        zone = (await self.reach(user_id, audience))[2]
        language = str(data.get("language") or self.ctx.config.default_locale)
        now = self.ctx.clock.now()
        return form_from_data(data, language, zone, now, audience=audience, document=document)

    async def compose_scope(self, user_id: int) -> ComposeScope:
        """What a staff member may ask (as for notices): their points, and an administrator's
        regions; residents, inspectors and staff without points are refused."""
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
            scope = await self._scope(session, rights)
        regions = sorted({p.region for p in scope if p.region})
        choices = [
            PointChoice(pk(p), p.code, p.name, p.region, p.group_chat_id is not None) for p in scope
        ]
        return ComposeScope(rights.is_admin, choices, regions if rights.is_admin else [])

    async def reach(self, user_id: int | None, audience: Audience) -> tuple[int, int, str]:
        """Points and residents an audience reaches, and the first point's time zone (the
        zone the author's times are read in); an audience outside their scope is refused."""
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
            chosen = pick(await self._scope(session, rights), audience, "consult")
            residents, blocked = await count_residents(session, [pk(p) for p in chosen])
        return len(chosen), residents - blocked, chosen[0].tz

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
        groups = len({p.group_chat_id for p in chosen if p.group_chat_id is not None})
        single = sum(1 for q in form.questions if q.kind == "single")
        polls = single if form.group_polls and groups else 0
        return Preview(
            text,
            residents - blocked,
            len(chosen),
            form.anonymous,
            chosen[0].tz,
            groups,
            polls,
            single,
        )

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
            document=form.document,
            group_polls=form.group_polls,
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
