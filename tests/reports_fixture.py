"""A hand-computed month for the report tests (March 2026, Shanghai).

Jinghu: XH01 (cadre Li Wei) and JH02 (cadre Chen Jing); Yijiang: YJ03 (cadre Zhao Lei).

- A, XH01, Sat 7 Mar 10:00 (a weekend): answered in 2 h, resolved in time, confirmed, 5 stars.
- B, XH01, Wed 11 Mar 10:00: answered after 30 h, resolved late, the resident said "not
  resolved": reopened.
- C, XH01, Mon 16 Mar 10:00 (a holiday in these tests): a "help" case, answered in 1 h, closed
  as not for the contact point (closed, not fixed).
- D, XH01, Tue 17 Mar: withdrawn (not counted). E, XH01, Wed 18 Mar: a duplicate (not counted).
- F, XH01, Tue 31 Mar 23:30: never answered, still open.
- G, XH01, Wed 1 Apr 00:30: April's (00:30 local is still 31 March in UTC).
- H, JH02, Fri 20 Mar 10:00: second category; answered and resolved in time, confirmed, 3 stars.
- I, YJ03, Fri 20 Mar 10:00: another region.

The report is made on Fri 10 April 2026 at 10:00 local.
Jinghu, March: filed 5 (A B C F H); answered in time 3 (A C H); resolved 3 (A B H), in time 2
(A H); verdicts 3, confirmed 2 (A H); rated 2, satisfied 1 (A), ratings sum 8; open 2 (B F),
both overdue. XH01: filed 4 (A B C F); JH02: filed 1 (H).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from models.tables import Case
from services.app import Services
from services.clock import FakeClock
from tests.factories import Person, file_case, load_points, resident, staff

SH = timedelta(hours=8)
REPORT_AT = datetime(2026, 4, 10, 2, 0, tzinfo=UTC)


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - SH


@dataclass
class County:
    li: Person
    chen: Person
    zhao: Person
    admin: Person
    ids: dict[str, int]


async def _set(services: Services, case_id: int, **values: Any) -> None:
    async with services.ctx.db.write() as session:
        await session.execute(update(Case).where(col(Case.id) == case_id).values(**values))


async def _case(services: Services, case_id: int) -> Case:
    async with services.ctx.db.read() as session:
        row = (await session.execute(select(Case).where(col(Case.id) == case_id))).scalar_one()
        return row


async def build_county(services: Services, clock: FakeClock) -> County:
    await load_points(services)
    li = await staff(services, "Li Wei", point="XH01")
    chen = await staff(services, "Chen Jing", point="JH02")
    zhao = await staff(services, "Zhao Lei", point="YJ03")
    admin = await staff(services, "Wang Fang", "admin", None, region="Jinghu")
    at_xh = await resident(services, "Zhang San", "XH01")
    at_jh = await resident(services, "Liu Yang", "JH02")
    at_yj = await resident(services, "Sun Mei", "YJ03")
    plan = {
        "A": (at_xh, local(3, 7, 10)),
        "B": (at_xh, local(3, 11, 10)),
        "C": (at_xh, local(3, 16, 10)),
        "D": (at_xh, local(3, 17, 10)),
        "E": (at_xh, local(3, 18, 10)),
        "F": (at_xh, local(3, 31, 23, 30)),
        "G": (at_xh, local(4, 1, 0, 30)),
        "H": (at_jh, local(3, 20, 10)),
        "I": (at_yj, local(3, 20, 10)),
    }
    ids: dict[str, int] = {}
    for name, (person, when) in plan.items():
        clock.set(when)
        ids[name] = await file_case(services, person, f"case {name}: the lamp on the corner")
    cats = await services.cases.categories()

    async def done(
        name: str, answer_after: timedelta | None, resolved_late: bool | None, **more: Any
    ) -> None:
        case = await _case(services, ids[name])
        values: dict[str, Any] = dict(more)
        if answer_after is not None:
            values["first_response_at"] = case.created_at + answer_after
        if resolved_late is not None:
            shift = timedelta(hours=3 if resolved_late else -3)
            values["resolved_at"] = case.due_resolve_at + shift
        await _set(services, ids[name], **values)

    closed = {"status": "closed", "closed_at": local(4, 5, 10)}
    await done("A", timedelta(hours=2), False, verdict="resolved", satisfaction=5,
               close_reason="resolved", **closed)  # fmt: skip
    await done("B", timedelta(hours=30), True, verdict="not_resolved", status="reopened",
               reopened_count=1)  # fmt: skip
    await done("C", timedelta(hours=1), None, kind="help", close_reason="rejected", **closed)
    await done("D", None, None, close_reason="withdrawn", **closed)
    await done("E", timedelta(hours=1), None, close_reason="duplicate", **closed)
    await done("H", timedelta(hours=1), False, verdict="resolved", satisfaction=3,
               close_reason="resolved", category_id=cats[1].id, **closed)  # fmt: skip
    await done("I", timedelta(hours=1), False)
    clock.set(REPORT_AT)
    return County(li, chen, zhao, admin, ids)
