"""The case clock: reminders before each deadline, escalation after it, and closing resolved
cases the resident never answers.

Reminders are planned when a case is filed, reopened or resolved (unique keys per case and
round, so planning again is harmless) and fired by the reminders tick. Each handler looks at the
case as it is when the reminder fires, so a case answered, resolved or transferred in between
gets no stale warning, and a transferred case warns its new assignee.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import CaseStatus, EventType, Role
from models.tables import Assignment, Case, CaseEvent, Staff, pk
from services.case_mail import CaseMail
from services.case_rules import OPEN, CloseReason, transition
from services.context import Context
from services.reminders import Due, Handler, plan, plan_rows, reminder_row
from services.staff import StaffLabel, covers_region, label_of
from services.views import CaseView, load_view, must_view


def lead(window: timedelta) -> timedelta:
    """How long before a deadline to remind: a quarter of the time given, 15 min to a day —
    but never more than half of it (deadlines of minutes, in trials)."""
    return min(max(window / 4, min(timedelta(minutes=15), window / 2)), timedelta(days=1))


@dataclass(frozen=True)
class ClockRule:
    kind: str
    message: str
    audience: str  # "assignee", "colleagues" (assignee and the point's other cadres), "admins"
    at: Callable[[CaseView, Context], datetime]
    applies: Callable[[CaseView], bool]
    first_round_only: bool = False


def _waiting_for_answer(view: CaseView) -> bool:
    return view.status in OPEN and view.first_response_at is None


def _open(view: CaseView) -> bool:
    return view.status in OPEN


def _escalation(view: CaseView, ctx: Context) -> timedelta:
    policy = ctx.config.deadlines
    hours = (
        policy.urgent_escalate_after_hours if view.tier == "urgent" else policy.escalate_after_hours
    )
    return timedelta(hours=hours)


RULES: tuple[ClockRule, ...] = (
    ClockRule(
        "case:ack_soon",
        "clock.ack_soon",
        "assignee",
        lambda v, c: v.due_ack_at - lead(v.due_ack_at - v.created_at),
        _waiting_for_answer,
        first_round_only=True,
    ),
    ClockRule(
        "case:ack_overdue",
        "clock.ack_overdue",
        "colleagues",
        lambda v, c: v.due_ack_at,
        _waiting_for_answer,
        first_round_only=True,
    ),
    ClockRule(
        "case:resolve_soon",
        "clock.resolve_soon",
        "assignee",
        lambda v, c: v.due_resolve_at - lead(v.due_resolve_at - v.created_at),
        _open,
    ),
    ClockRule("case:overdue", "clock.overdue", "colleagues", lambda v, c: v.due_resolve_at, _open),
    ClockRule(
        "case:escalate",
        "clock.escalate",
        "admins",
        lambda v, c: v.due_resolve_at + _escalation(v, c),
        _open,
    ),
)
VERDICT_TIMEOUT = "case:verdict_timeout"


def _round(view: CaseView) -> str:
    return f"r{view.reopened_count}"


async def plan_deadlines(
    session: AsyncSession, ctx: Context, view: CaseView, now: datetime
) -> None:
    """Plan this round's deadline reminders (called when a case is filed or reopened), in one
    statement (executed for the three to five rows at once)."""
    rows = [
        reminder_row(
            kind=rule.kind,
            subject=f"case:{view.id}",
            period=_round(view),
            due_at=rule.at(view, ctx),
            now=now,
            params={},
        )
        for rule in RULES
        if not (rule.first_round_only and view.reopened_count)
        # urgent cases: one deadline, one set of reminders
        and not (rule.kind.startswith("case:ack") and view.due_ack_at >= view.due_resolve_at)
    ]
    await plan_rows(session, rows)


async def plan_verdict_timeout(
    session: AsyncSession, ctx: Context, view: CaseView, now: datetime
) -> None:
    await plan(
        session,
        kind=VERDICT_TIMEOUT,
        subject=f"case:{view.id}",
        period=_round(view),
        due_at=now + timedelta(days=ctx.config.deadlines.verdict_days),
        now=now,
    )


class CaseClock:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.mail = CaseMail(ctx)

    def reminder_handlers(self) -> dict[str, Handler]:
        handlers: dict[str, Handler] = {rule.kind: self._warn(rule) for rule in RULES}
        handlers[VERDICT_TIMEOUT] = self._verdict_timeout
        return handlers

    def _warn(self, rule: ClockRule) -> Handler:
        async def handler(session: AsyncSession, due: Due, now: datetime) -> bool:
            view = await load_view(session, int(due.subject.removeprefix("case:")))
            if view is None or _round(view) != due.period or not rule.applies(view):
                return False
            people = await self._audience(session, view, rule.audience)
            if not people:
                return False
            assignee = view.assignee_id
            for person in people:
                mine = person.staff_id == assignee
                when = self.ctx.texts.when(
                    person.locale,
                    view.due_ack_at if "ack" in rule.kind else view.due_resolve_at,
                    view.point_tz,
                )
                await self.mail.to_staff(
                    session,
                    [person],
                    view,
                    f"{due.kind}:{due.period}",
                    rule.message,
                    now,
                    with_card=mine,
                    due=when,
                    assignee=view.assignee_name or "—",
                )
            return True

        return handler

    async def _audience(
        self, session: AsyncSession, view: CaseView, audience: str
    ) -> list[StaffLabel]:
        ids: list[int] = [view.assignee_id] if view.assignee_id is not None else []
        if audience == "colleagues":
            rows = await session.execute(
                select(col(Staff.id))
                .join(Assignment, col(Assignment.staff_id) == col(Staff.id))
                .where(
                    col(Assignment.contact_point_id) == view.point_id,
                    col(Assignment.until).is_(None),
                    col(Staff.active),
                )
            )
            ids += [int(i) for i in rows.scalars() if i is not None and i not in ids]
        elif audience == "admins":
            rows2 = await session.execute(
                select(Staff).where(col(Staff.role) == Role.ADMIN, col(Staff.active))
            )
            ids = [pk(s) for s in rows2.scalars() if covers_region(s.region, view.point_region)]
        return [await label_of(session, staff_id) for staff_id in ids]

    async def _verdict_timeout(self, session: AsyncSession, due: Due, now: datetime) -> bool:
        """No answer to "is it resolved?" in time: the case closes, marked as unanswered."""
        case = await session.get(Case, int(due.subject.removeprefix("case:")))
        if (
            case is None
            or case.status != CaseStatus.RESOLVED
            or f"r{case.reopened_count}" != due.period
        ):
            return False
        case.status = transition("auto_close", case.status)
        case.closed_at, case.close_reason = now, CloseReason.NO_ANSWER
        event = CaseEvent(case_id=pk(case), type=EventType.CLOSED, at=now)
        session.add(event)
        await session.flush()
        view = await must_view(session, pk(case))
        await self.mail.to_resident(
            session,
            view,
            f"ev{pk(event)}",
            self.mail.for_resident(view, "notify.closed_no_answer"),
            now,
        )
        await self.mail.redraw_cards(session, view, f"ev{pk(event)}", now)
        return True
