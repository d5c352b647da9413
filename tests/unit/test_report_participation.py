"""Participation in consultations, in /stats and the monthly report, against a hand-computed
month (the county of tests/reports_fixture.py, March 2026).

Residents now: XH01 four (Zhang San and three more), JH02 two (Liu Yang and one more), YJ03 one.

- P "Park fund": XH01 and JH02, opened 3 March, closed; answered by two at XH01, one at JH02.
- Q "Parking rule": XH01 and YJ03, opened 20 March, open, anonymous; answered by one at XH01
  and one at YJ03.
- R: JH02, opened 25 February (February's). S: XH01, opened 10 March, cancelled.
  T: XH01, scheduled for 28 March, not open yet. None of them counts in March.

Jinghu in March: P (invited 6, answered 3) and Q (invited 4 at XH01, answered 1): 10 invited,
4 answered, 40%. By point: XH01 two consultations, 8 invited, 3 answered; JH02 one, 2 and 1.
Chen Jing (cadre of JH02) sees P only: 2 invited, 1 answered.
"""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import col

from models.consultations import Consultation, ConsultationPoint, ConsultRoll
from models.tables import ContactPoint
from services.app import Services
from services.clock import FakeClock
from services.figures import render_report
from services.reports.consultations import Participation
from tests.factories import Person, resident
from tests.reports_fixture import REPORT_AT, County, build_county, local


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


async def _consultation(
    services: Services,
    title: str,
    codes: list[str],
    opens_at: datetime,
    status: str,
    answered_by: list[Person],
    *,
    anonymous: bool = False,
) -> int:
    async with services.ctx.db.write() as session:
        rows = await session.execute(select(col(ContactPoint.code), col(ContactPoint.id)))
        points = {code: point_id for code, point_id in rows.all()}
        c = Consultation(
            fallback_locale="en",
            title={"en": title, "zh_Hans": f"{title}（中文）"},
            status=status,
            anonymous=anonymous,
            opens_at=opens_at,
            closes_at=local(4, 30, 18),
            created_at=opens_at,
        )
        session.add(c)
        await session.flush()
        for code in codes:
            session.add(ConsultationPoint(consultation_id=c.id, contact_point_id=points[code]))
        for person in answered_by:
            session.add(ConsultRoll(consultation_id=c.id, user_id=person.user_id))
        assert c.id is not None
        return c.id


async def _county_with_consultations(services: Services, clock: FakeClock) -> County:
    county = await build_county(services, clock)
    xh = [await resident(services, f"XH resident {i}", "XH01") for i in range(3)]
    jh = await resident(services, "JH resident", "JH02")
    yj = await resident(services, "YJ resident", "YJ03")
    await _consultation(services, "Park fund", ["XH01", "JH02"], local(3, 3, 9), "closed",
                        [xh[0], xh[1], jh])  # fmt: skip
    await _consultation(services, "Parking rule", ["XH01", "YJ03"], local(3, 20, 9), "open",
                        [xh[2], yj], anonymous=True)  # fmt: skip
    await _consultation(services, "February's", ["JH02"], local(2, 25, 9), "closed", [jh])
    await _consultation(services, "Cancelled", ["XH01"], local(3, 10, 9), "cancelled", [xh[0]])
    await _consultation(services, "Not yet", ["XH01"], local(3, 28, 9), "scheduled", [])
    clock.set(REPORT_AT)
    return county


async def test_the_monthly_report_counts_participation(
    services: Services, clock: FakeClock
) -> None:
    county = await _county_with_consultations(services, clock)
    made = await services.reports.for_reader(county.admin.user_id, "2026-03", None, "en")
    consulted = made.figures.consultations
    assert consulted.total == Participation(invited=10, answered=4)
    assert consulted.total.rate == pytest.approx(0.4)
    assert [(c.title("en"), c.figures, c.points) for c in consulted.consultations] == [
        ("Park fund", Participation(6, 3), 2),
        ("Parking rule", Participation(4, 1), 1),  # YJ03 is outside Jinghu
    ]
    assert [(p.code, p.consultations, p.figures) for p in consulted.points] == [
        ("XH01", 2, Participation(8, 3)),
        ("JH02", 1, Participation(2, 1)),
    ]
    book = load_workbook(io.BytesIO(made.workbook))
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Consultations"] == 2 and summary["Invited"] == 10
    assert summary["Answered"] == 4 and summary["Participation rate"] == pytest.approx(0.4)
    sheet = book["Consultations"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:I3"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("Park fund", datetime(2026, 3, 3, 9, 0), datetime(2026, 4, 30, 18, 0),
                       "closed", "no", 2, 6, 3, 0.5)  # fmt: skip
    assert rows[1][0] == "Parking rule" and rows[1][3:8] == ("open", "yes", 1, 4, 1)
    assert sheet["B2"].is_date and sheet["I2"].number_format == "0%"
    by_point = list(book["Participation by point"].iter_rows(min_row=2, values_only=True))
    assert by_point == [("Xinhua Street", "XH01", 2, 8, 3, pytest.approx(0.375)),
                        ("Jinghu Lake", "JH02", 1, 2, 1, 0.5)]  # fmt: skip
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert not {"February's", "Cancelled", "Not yet", "YJ03"} & cells


async def test_a_cadre_sees_participation_at_their_points_only(
    services: Services, clock: FakeClock
) -> None:
    county = await _county_with_consultations(services, clock)
    made = await services.reports.for_reader(county.chen.user_id, "2026-03", None, "zh_Hans")
    consulted = made.figures.consultations
    assert [c.title("zh_Hans") for c in consulted.consultations] == ["Park fund（中文）"]
    assert consulted.total == Participation(2, 1)
    assert [p.code for p in consulted.points] == ["JH02"]
    stats = await services.figures.report(county.chen.user_id, which=1)
    assert stats.period.key == "2026-03" and stats.consultations.total == Participation(2, 1)
    text = render_report(services.texts, "en", stats)
    assert "Park fund: 1 of 2 answered (50%)" in text and "Parking rule" not in text
    assert "Participation by contact point" not in text  # one point: nothing to compare


async def test_stats_show_participation_for_an_administrator(
    services: Services, clock: FakeClock
) -> None:
    county = await _county_with_consultations(services, clock)
    stats = await services.figures.report(county.admin.user_id, which=1)
    assert stats.consultations.total == Participation(10, 4)
    en = render_report(services.texts, "en", stats)
    assert "<b>Consultations</b>: 2 opened · 4 of 10 residents answered (40%)" in en
    assert "• Park fund: 3 of 6 answered (50%)" in en
    assert "• Parking rule: 1 of 4 answered (25%)" in en
    assert "• Xinhua Street: 3 of 8 answered (38%)" in en
    zh = render_report(services.texts, "zh_Hans", stats)
    assert "开展 2 项 · 邀请 10 人，4 人参与（参与率 40%）" in zh and "Park fund（中文）" in zh
    one = await services.figures.report(county.admin.user_id, which=1, scope="JH02")
    assert one.consultations.total == Participation(2, 1)
    # This month (April) has no consultation: /stats says nothing about them.
    april = await services.figures.report(county.admin.user_id, which=0)
    assert not april.consultations.consultations
    assert "Consultations" not in render_report(services.texts, "en", april)
