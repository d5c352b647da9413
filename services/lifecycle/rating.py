"""The resident rates a case they confirmed (1 to 5 stars), and may add one comment."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from models.enums import CaseStatus, EventType
from models.tables import CaseEvent, pk
from services.case_access import resident_case
from services.errors import Invalid
from services.lifecycle.desk import NOTE_LIMIT, CaseDesk, note_text
from services.texts import esc
from services.views import CaseView, must_view

STARS = range(1, 6)


class Rating(CaseDesk):
    async def rate(
        self, user_id: int, case_id: int, stars: int, comment: str | None = None
    ) -> CaseView:
        """The resident's satisfaction with a case they confirmed: once, 1 to 5, kept the
        moment the stars are pressed (a comment may follow, see :meth:`comment_rating`).
        The same stars pressed again (a redelivered press) change nothing."""
        if stars not in STARS:
            raise Invalid("rating.bad")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view = await resident_case(session, user_id, case_id)
            if view.verdict is None or view.status != CaseStatus.CLOSED:
                raise Invalid("rating.not_now", no=view.public_no)
            if view.satisfaction == stars and comment is None:
                return view
            if view.satisfaction is not None:
                raise Invalid("rating.done", no=view.public_no)
            case = await self._case(session, case_id)
            case.satisfaction = stars
            text = (comment or "").strip()[:NOTE_LIMIT] or None
            event = self._event(session, case_id, user_id, EventType.RATED, now, text)
            await session.flush()
            view = await must_view(session, case_id)
            await self._tell_assignee(
                session,
                view,
                f"ev{pk(event)}",
                "staff.case_rated",
                now,
                stars="★" * stars + "☆" * (5 - stars),
                comment=esc(text or "—"),
            )
        return view

    async def comment_rating(self, user_id: int, case_id: int, comment: str) -> CaseView:
        """A few words added to a rating already given; the assignee is told. One comment."""
        text = note_text(comment, "rating.comment_needed")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view = await resident_case(session, user_id, case_id)
            if view.satisfaction is None:
                raise Invalid("rating.not_now", no=view.public_no)
            event = (
                await session.execute(
                    select(CaseEvent)
                    .where(
                        col(CaseEvent.case_id) == case_id,
                        col(CaseEvent.type) == EventType.RATED,
                    )
                    .order_by(col(CaseEvent.id).desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            if event is None or event.text:
                raise Invalid("rating.comment_done", no=view.public_no)
            event.text = text
            await self._tell_assignee(
                session,
                view,
                f"ev{pk(event)}:comment",
                "staff.rating_comment",
                now,
                comment=esc(text),
            )
        return view
