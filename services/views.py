"""Read models of cases: what residents and staff see, loaded in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.direct import Direct
from models.enums import CaseStatus
from models.tables import Case, CaseEvent, Category, ContactPoint, Staff, User, pk, table_of
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
    # The assignee's own chat and language: a relay to them needs no other lookup.
    assignee_chat_id: int | None = None
    assignee_locale: str | None = None

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


_C = table_of(Case)
_CAT = table_of(Category)
_P = table_of(ContactPoint)
_S = table_of(Staff)
_RES = table_of(User).alias("resident")
_ASSIGNEE = table_of(User).alias("assignee")
_FIRST_S = table_of(Staff).alias("first_staff")
_FIRST = table_of(User).alias("first_user")

# One Core statement with exactly the columns a view needs, labelled as CaseView's fields,
# built once: loading seven ORM objects per case (and building the statement anew each time)
# was the largest single cost of a resident's follow-up.
_VIEW = (
    select(
        _C.c.id,
        _C.c.public_no,
        _C.c.kind,
        _C.c.status,
        _C.c.tier,
        _CAT.c.name_zh.label("category_zh"),
        _CAT.c.name_en.label("category_en"),
        _P.c.id.label("point_id"),
        _P.c.name.label("point_name"),
        _P.c.code.label("point_code"),
        _P.c.region.label("point_region"),
        _P.c.tz.label("point_tz"),
        _RES.c.id.label("resident_id"),
        _RES.c.name.label("resident_name"),
        _RES.c.phone.label("resident_phone"),
        _RES.c.chat_id.label("resident_chat_id"),
        _RES.c.locale.label("resident_locale"),
        _RES.c.erased_at.label("resident_erased_at"),
        _S.c.id.label("assignee_id"),
        _ASSIGNEE.c.id.label("assignee_user_id"),
        _ASSIGNEE.c.name.label("assignee_name"),
        _S.c.title.label("assignee_title"),
        _ASSIGNEE.c.chat_id.label("assignee_chat_id"),
        _ASSIGNEE.c.locale.label("assignee_locale"),
        _C.c.first_receiver_id,
        _FIRST.c.name.label("first_receiver_name"),
        _C.c.summary,
        _C.c.created_at,
        _C.c.due_ack_at,
        _C.c.due_resolve_at,
        _C.c.first_response_at,
        _C.c.resolved_at,
        _C.c.closed_at,
        _C.c.close_reason,
        _C.c.verdict,
        _C.c.satisfaction,
        _C.c.reopened_count,
    )
    .select_from(_C)
    .join(_P, _P.c.id == _C.c.contact_point_id)
    .join(_CAT, _CAT.c.id == _C.c.category_id, isouter=True)
    .join(_RES, _RES.c.id == _C.c.resident_id, isouter=True)
    .join(_S, _S.c.id == _C.c.assignee_id, isouter=True)
    .join(_ASSIGNEE, _ASSIGNEE.c.id == _S.c.user_id, isouter=True)
    .join(_FIRST_S, _FIRST_S.c.id == _C.c.first_receiver_id, isouter=True)
    .join(_FIRST, _FIRST.c.id == _FIRST_S.c.user_id, isouter=True)
)
_VIEW_BY_ID = Direct(_VIEW.where(_C.c.id == bindparam("case_id")))


def case_query() -> Any:
    """Cases as views: add ``where``, ``order_by`` and ``limit``, and pass each row to
    :func:`to_view`."""
    return _VIEW


def to_view(row: Any) -> CaseView:
    return _view(dict(row._mapping))


def _view(values: dict[str, Any]) -> CaseView:
    erased = values.pop("resident_erased_at")
    values["category_zh"] = values["category_zh"] or ""
    values["category_en"] = values["category_en"] or ""
    # An erased resident (/forget) has no chat left to write to.
    if erased is not None:
        values["resident_chat_id"] = None
    return CaseView(**values)


async def load_view(session: AsyncSession, case_id: int) -> CaseView | None:
    row = await _VIEW_BY_ID.first(session, {"case_id": case_id})
    return _view(dict(zip(_VIEW_BY_ID.keys, row, strict=True))) if row else None


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
