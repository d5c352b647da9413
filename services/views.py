"""Read models of cases: what residents and staff see, loaded in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from models.enums import CaseStatus
from models.tables import Case, CaseEvent, Category, ContactPoint, Staff, User, pk
from services.case_rules import OPEN
from services.errors import NotFound


@dataclass(frozen=True)
class CaseView:
    id: int
    public_no: str
    kind: str
    status: str
    tier: str
    category_zh: str
    category_en: str
    point_id: int
    point_name: str
    point_code: str
    point_region: str
    point_tz: str
    resident_id: int | None
    resident_name: str | None
    resident_phone: str | None
    resident_chat_id: int | None
    resident_locale: str | None
    assignee_id: int | None
    assignee_user_id: int | None
    assignee_name: str | None
    assignee_title: str | None
    first_receiver_id: int | None
    first_receiver_name: str | None
    summary: str
    created_at: datetime
    due_ack_at: datetime
    due_resolve_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None = None
    verdict: str | None = None
    satisfaction: int | None = None
    reopened_count: int = 0

    def category(self, locale: str) -> str:
        return self.category_zh if locale == "zh_Hans" else self.category_en

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def overdue(self, now: datetime) -> bool:
        if self.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            return False
        late_ack = self.first_response_at is None and now > self.due_ack_at
        return late_ack or now > self.due_resolve_at


@dataclass(frozen=True)
class EventView:
    id: int
    type: str
    at: datetime
    text: str | None
    media: dict[str, Any] | None
    by_resident: bool
    by_name: str | None
    internal: bool


_Resident = aliased(User)
_AssigneeUser = aliased(User)
_FirstStaff = aliased(Staff)
_FirstUser = aliased(User)


def case_query() -> Any:
    return (
        select(Case, Category, ContactPoint, _Resident, Staff, _AssigneeUser, _FirstUser)
        .join(ContactPoint, col(ContactPoint.id) == col(Case.contact_point_id))
        .join(Category, col(Category.id) == col(Case.category_id), isouter=True)
        .join(_Resident, col(_Resident.id) == col(Case.resident_id), isouter=True)
        .join(Staff, col(Staff.id) == col(Case.assignee_id), isouter=True)
        .join(_AssigneeUser, col(_AssigneeUser.id) == col(Staff.user_id), isouter=True)
        .join(_FirstStaff, col(_FirstStaff.id) == col(Case.first_receiver_id), isouter=True)
        .join(_FirstUser, col(_FirstUser.id) == col(_FirstStaff.user_id), isouter=True)
    )


def to_view(row: Any) -> CaseView:
    case, category, point, resident, staff, assignee, first = row
    return CaseView(
        id=case.id,
        public_no=case.public_no,
        kind=case.kind,
        status=case.status,
        tier=case.tier,
        category_zh=category.name_zh if category else "",
        category_en=category.name_en if category else "",
        point_id=point.id,
        point_name=point.name,
        point_code=point.code,
        point_region=point.region,
        point_tz=point.tz,
        resident_id=resident.id if resident else None,
        resident_name=resident.name if resident else None,
        resident_phone=resident.phone if resident else None,
        # An erased resident (/forget) has no chat left to write to.
        resident_chat_id=resident.chat_id if resident and resident.erased_at is None else None,
        resident_locale=resident.locale if resident else None,
        assignee_id=staff.id if staff else None,
        assignee_user_id=assignee.id if assignee else None,
        assignee_name=assignee.name if assignee else None,
        assignee_title=staff.title if staff else None,
        first_receiver_id=case.first_receiver_id,
        first_receiver_name=first.name if first else None,
        summary=case.summary,
        created_at=case.created_at,
        due_ack_at=case.due_ack_at,
        due_resolve_at=case.due_resolve_at,
        first_response_at=case.first_response_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        close_reason=case.close_reason,
        verdict=case.verdict,
        satisfaction=case.satisfaction,
        reopened_count=case.reopened_count,
    )


async def load_view(session: AsyncSession, case_id: int) -> CaseView | None:
    row = (await session.execute(case_query().where(col(Case.id) == case_id))).first()
    return to_view(row) if row else None


async def load_events(
    session: AsyncSession, case_id: int, *, include_internal: bool, limit: int | None = None
) -> list[EventView]:
    """A case's events in order — all of them unless ``limit`` keeps only the newest."""
    stmt = (
        select(CaseEvent, User, col(Case.resident_id))
        .join(Case, col(Case.id) == col(CaseEvent.case_id))
        .join(User, col(User.id) == col(CaseEvent.actor_user_id), isouter=True)
        .where(col(CaseEvent.case_id) == case_id, col(CaseEvent.hidden).is_(False))
        .order_by(col(CaseEvent.id).desc())
        .limit(limit)
    )
    if not include_internal:
        stmt = stmt.where(col(CaseEvent.internal).is_(False))
    rows = (await session.execute(stmt)).all()
    events = [
        EventView(
            id=pk(ev),
            type=ev.type,
            at=ev.at,
            text=ev.text,
            media=ev.media,
            by_resident=user is not None and user.id == resident_id,
            by_name=user.name if user else None,
            internal=ev.internal,
        )
        for ev, user, resident_id in rows
    ]
    return list(reversed(events))


async def must_view(session: AsyncSession, case_id: int) -> CaseView:
    view = await load_view(session, case_id)
    if view is None:
        raise NotFound("case.not_found")
    return view
