"""Cadres hand a case on: to a colleague at the same point or to another contact point."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from models.enums import EventType, Role
from models.tables import Assignment, CaseEvent, ContactPoint, Staff, User, pk
from services.audit import audit
from services.case_access import staff_case
from services.case_rules import transition
from services.cases import content_parts
from services.errors import Invalid, NotFound
from services.lifecycle.desk import CaseDesk, note_text
from services.staff import choose_assignee, covers_region
from services.views import CaseView, must_view


@dataclass(frozen=True)
class TransferTarget:
    kind: str  # "staff" or "point"
    id: int
    name: str
    detail: str


class Transfer(CaseDesk):
    async def transfer_targets(self, user_id: int, case_id: int) -> list[TransferTarget]:
        async with self.ctx.db.read() as session:
            view, staff = await staff_case(session, user_id, case_id)
            transition("transfer", view.status)
            colleagues = (
                await session.execute(
                    select(Staff, User)
                    .join(User, col(User.id) == col(Staff.user_id))
                    .join(Assignment, col(Assignment.staff_id) == col(Staff.id))
                    .where(
                        col(Assignment.contact_point_id) == view.point_id,
                        col(Assignment.until).is_(None),
                        col(Staff.active),
                        col(Staff.id) != view.assignee_id,
                    )
                    .order_by(col(Assignment.is_primary).desc(), col(User.name))
                )
            ).all()
            points = (
                (
                    await session.execute(
                        select(ContactPoint)
                        .where(col(ContactPoint.active), col(ContactPoint.id) != view.point_id)
                        .order_by(
                            (col(ContactPoint.region) == view.point_region).desc(),
                            col(ContactPoint.name),
                        )
                        .limit(10)
                    )
                )
                .scalars()
                .all()
            )
        targets = [
            TransferTarget("staff", pk(member), user.name, member.title)
            for member, user in colleagues
        ]
        targets += [
            TransferTarget("point", pk(p), p.name, p.code)
            for p in points
            if staff.role != Role.ADMIN or covers_region(staff.region, p.region)
        ]
        return targets

    async def transfer(
        self, user_id: int, case_id: int, target: TransferTarget, note: str
    ) -> CaseView:
        """Hand a case to a colleague or another contact point; the first receiver stays."""
        note = note_text(note, "transfer.note_needed")
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            view, _staff = await staff_case(session, user_id, case_id)
            case = await self._changed(session, case_id, "transfer")
            if target.kind == "staff":
                new = await session.get(Staff, target.id)
                if new is None or not new.active or new.role not in (Role.CADRE, Role.ADMIN):
                    raise NotFound("transfer.target_gone")
                if new.id == view.assignee_id:
                    raise Invalid("transfer.same")
                case.assignee_id = new.id
            else:
                point = await session.get(ContactPoint, target.id)
                if point is None or not point.active:
                    raise NotFound("transfer.target_gone")
                case.contact_point_id = pk(point)
                case.assignee_id = await choose_assignee(session, point)
            # The resident sees that the case moved and to whom; the reason stays among the
            # staff notes (cadres write internal reasons there).
            await session.flush()
            moved = await must_view(session, case_id)
            to = moved.point_name if target.kind == "point" else (moved.assignee_name or "")
            event = self._event(session, case_id, user_id, EventType.TRANSFERRED, now, to)
            session.add(
                CaseEvent(
                    case_id=case_id,
                    actor_user_id=user_id,
                    type=EventType.NOTE,
                    text=note,
                    internal=True,
                    at=now,
                )
            )
            audit(
                session,
                now,
                user_id,
                "case:transfer",
                f"case:{case_id}",
                to=f"{target.kind}:{target.id}",
            )
            await session.flush()
            view = await must_view(session, case_id)
            parts = await content_parts(session, case_id)
            await self.mail.card(
                session, view, pk(event), parts, now, headline="card.transferred", note=note
            )
            await self._tell_resident(session, view, event, "notify.transferred", now)
            await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        return view
