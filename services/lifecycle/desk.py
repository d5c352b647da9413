"""What every status change of a case shares: the case moved on by the rules table, its event,
and a word to the resident or to the cadre who has it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import Case, CaseEvent, pk
from services.case_mail import CaseMail
from services.case_rules import transition
from services.context import Context
from services.errors import Invalid, NotFound
from services.outbox import Keyboard
from services.staff import label_of
from services.texts import esc
from services.views import CaseView

NOTE_LIMIT = 2000


def note_text(text: str, key: str) -> str:
    """A note as kept: trimmed, cut to the limit; refused (``key``) when empty."""
    text = text.strip()
    if not text:
        raise Invalid(key)
    return text[:NOTE_LIMIT]


class CaseDesk:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.texts = ctx.texts
        self.mail = CaseMail(ctx)

    @staticmethod
    async def _case(session: AsyncSession, case_id: int) -> Case:
        case = await session.get(Case, case_id)
        if case is None:
            raise NotFound("case.not_found")
        return case

    async def _changed(self, session: AsyncSession, case_id: int, action: str) -> Case:
        """The case, moved on by ``action`` (refused if its status does not allow it)."""
        case = await self._case(session, case_id)
        case.status = transition(action, case.status)
        return case

    @staticmethod
    def _event(
        session: AsyncSession,
        case_id: int,
        user_id: int | None,
        type_: str,
        now: datetime,
        text: str | None = None,
    ) -> CaseEvent:
        event = CaseEvent(case_id=case_id, actor_user_id=user_id, type=type_, text=text, at=now)
        session.add(event)
        return event

    async def _tell_resident(
        self,
        session: AsyncSession,
        view: CaseView,
        event: CaseEvent,
        key: str,
        now: datetime,
        *,
        buttons: Keyboard | None = None,
        **params: Any,
    ) -> None:
        """Tell the resident what ``event`` did to their case, in their language."""
        await self.mail.to_resident(
            session,
            view,
            f"ev{pk(event)}",
            self.mail.for_resident(view, key, **params),
            now,
            buttons=buttons,
        )

    async def _tell_assignee(
        self,
        session: AsyncSession,
        view: CaseView,
        key_suffix: str,
        key: str,
        now: datetime,
        **params: Any,
    ) -> None:
        if view.assignee_id is None:
            return
        person = await label_of(session, view.assignee_id)
        await self.mail.to_staff(
            session,
            [person],
            view,
            key_suffix,
            key,
            now,
            name=esc(view.resident_name or ""),
            **params,
        )
