"""Monthly reports: figures against a hand-computed month (tests/reports_fixture.py), the
workbook read back cell by cell, the charts' drawn values, scope, tip-offs, the CLI."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import col

from models.tables import User
from services.app import Services
from services.cases import Draft
from services.clock import FakeClock
from services.config import ServiceConfig
from services.errors import NotFound, Refusal
from services.reports.service import parse_month, recent_months
from tests.factories import resident
from tests.reports_fixture import REPORT_AT, build_county, local
from tests.unit.test_cases import text

HOLIDAY = date(2026, 3, 16)


@pytest.fixture
def services(services_on_both: Services) -> Services:
    """Every test here on SQLite and, when CPBOT_TEST_POSTGRES_URL is set, on PostgreSQL."""
    return services_on_both


@pytest.fixture
def config(config: ServiceConfig) -> ServiceConfig:
    return replace(config, deadlines=replace(config.deadlines, holidays=frozenset({HOLIDAY})))


async def test_figures_match_the_hand_computed_month(services: Services, clock: FakeClock) -> None:
    county = await build_county(services, clock)
    made = await services.reports.for_reader(county.admin.user_id, "2026-03", None, "en")
    f = made.figures
    total = f.total
    assert (total.filed, total.responded_on_time) == (5, 3)
    assert (total.resolved, total.resolved_on_time) == (3, 2)
    assert (total.verdicts, total.confirmed) == (3, 2)
    assert (total.rated, total.satisfied, total.rating_sum) == (2, 1, 8)
    assert (total.open, total.overdue) == (2, 2)
    assert total.response_rate == pytest.approx(0.6)
    assert total.resolution_rate == pytest.approx(2 / 3)
    assert total.satisfaction_rate == pytest.approx(0.5)
    assert {c.key: c.count for c in f.by_kind} == {"complaint": 4, "help": 1}
    assert [c.count for c in f.by_category] == [4, 1]
    by_point = {p.code: p.rates for p in f.points}
    assert set(by_point) == {"XH01", "JH02"}  # YJ03 is another region
    assert by_point["XH01"].filed == 4 and by_point["JH02"].filed == 1
    assert by_point["JH02"].response_rate == 1.0
    # JH02 (100% / 100% / 0%) and XH01 (50% / 50% / 100%) both average 2/3: the tie goes
    # to the point with more cases.
    assert [p.code for p in f.points] == ["XH01", "JH02"]
    assert {c.name: c.rates.filed for c in f.cadres} == {"Li Wei": 4, "Chen Jing": 1}
    months = {m.key: m.rates.filed for m in f.months}
    assert len(months) == 12 and months["2026-03"] == 5 and months["2025-04"] == 0
    april = await services.reports.for_reader(county.admin.user_id, "2026-04", None, "en")
    assert april.figures.total.filed == 1  # G: 00:30 local on 1 April is April's


async def test_a_holiday_moves_the_deadline_the_figures_use(
    services: Services, clock: FakeClock
) -> None:
    await build_county(services, clock)
    person = await resident(services, "Qian Li", "XH01")
    general = next(c for c in await services.cases.categories() if c.tier == "general")
    spans = []
    for n, when in ((501, local(3, 4, 10)), (502, local(3, 11, 10))):
        clock.set(when)
        draft = Draft("complaint", general.id, [text(n, person.tg_id, "the road is broken")])
        filed = await services.cases.file(person.user_id, draft)
        spans.append(filed.case.due_resolve_at - filed.case.created_at)
    # 7 working days from Wed 4th: Fri 13th (9 days, one weekend). From Wed 11th: one weekend
    # and the holiday on Mon 16th, so Mon 23rd (12 days).
    assert [s.days for s in spans] == [9, 12]


async def test_a_cadre_sees_only_their_points(services: Services, clock: FakeClock) -> None:
    county = await build_county(services, clock)
    made = await services.reports.for_reader(county.chen.user_id, "2026-03", "XH01", "en")
    f = made.figures
    assert f.scope.for_cadre and f.total.filed == 1  # the scope argument is ignored
    assert [p.code for p in f.points] == ["JH02"]
    assert [c.name for c in f.cadres] == ["Chen Jing"]
    assert all("Li Wei" not in (v.cadre, v.point) for v in f.visits)
    book = load_workbook(io.BytesIO(made.workbook))
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert "XH01" not in cells and "Li Wei" not in cells
    for chart in made.charts:
        assert "Xinhua Street" not in chart.labels and "Li Wei" not in chart.labels


async def test_an_administrator_stays_in_their_area(services: Services, clock: FakeClock) -> None:
    county = await build_county(services, clock)
    with pytest.raises(NotFound):
        await services.reports.for_reader(county.admin.user_id, "2026-03", "YJ03", "en")
    with pytest.raises(NotFound):
        await services.reports.for_reader(county.admin.user_id, "2026-03", "Yijiang", "en")
    one = await services.reports.for_reader(county.admin.user_id, "2026-03", "xh01", "en")
    assert one.figures.total.filed == 4 and one.figures.scope.label == "Xinhua Street (XH01)"


async def test_the_workbook_reads_back_cell_by_cell(services: Services, clock: FakeClock) -> None:
    county = await build_county(services, clock)
    made = await services.reports.for_reader(county.admin.user_id, "2026-03", None, "en")
    book = load_workbook(io.BytesIO(made.workbook))
    assert book.sheetnames == [
        "Summary", "Cases", "Contact points", "Cadres", "12 months",
        "Kinds and categories", "Visits", "Notices", "Consultations", "Participation by point",
    ]  # fmt: skip
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert ws["A1"].font.b
        assert ws.column_dimensions["A"].width > 5
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Month"] == "2026-03" and summary["Scope"] == "Jinghu"
    assert summary["Cases"] == 5 and summary["Response rate"] == pytest.approx(0.6)
    cases = book["Cases"]
    assert cases.auto_filter.ref == "A1:N8"  # the header and the seven Jinghu cases of March
    rows = list(cases.iter_rows(min_row=2, values_only=True))
    first = rows[0]  # case A
    assert first[0] == "2026-0001"
    assert first[1] == datetime(2026, 3, 7, 10, 0)  # a date, in Shanghai time
    assert cases["B2"].is_date and cases["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert first[2:7] == ("Complaint", first[3], "XH01", "closed", "confirmed fixed")
    assert first[10:14] == ("yes", "resolved", 5, "Li Wei")
    by_no = {r[0]: r for r in rows}
    assert {r[6] for r in rows} >= {"withdrawn", "duplicate"}  # listed, though not counted
    assert all("Zhang San" not in str(v) for r in rows for v in r)  # no resident's name
    assert "2026-0009" not in by_no  # I is Yijiang's
    points = list(book["Contact points"].iter_rows(min_row=2, values_only=True))
    assert points[0][:4] == (1, "Xinhua Street", "XH01", 4)
    assert points[1][:4] == (2, "Jinghu Lake", "JH02", 1)
    assert points[0][4] == pytest.approx(0.5) and book["Contact points"]["E2"].number_format == "0%"
    # Each column keeps its own format: counts plain, rates as percentages, the average 0.0.
    ranked = book["Contact points"]
    assert [ranked[f"{c}2"].number_format for c in "DEFGHIJK"] == [
        "General", "0%", "0%", "0%", "0%", "0.0", "General", "General",
    ]  # fmt: skip
    trend = list(book["12 months"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in trend][-1] == "2026-03" and trend[-1][1] == 5
    assert book["12 months"]["B13"].number_format == "General"
    assert book["12 months"]["C13"].number_format == "0%"
    assert not made.cases_capped and (made.cases_listed, made.cases_total) == (7, 7)


async def test_a_report_in_the_chat_lists_at_most_the_configured_cases(
    services: Services, clock: FakeClock
) -> None:
    county = await build_county(services, clock)
    services.ctx.config = replace(services.ctx.config, report_case_rows=3)
    made = await services.reports.for_reader(county.admin.user_id, "2026-03", None, "en")
    assert made.cases_capped and (made.cases_listed, made.cases_total) == (3, 7)
    assert made.figures.total.filed == 5  # the figures still count every case
    cases = load_workbook(io.BytesIO(made.workbook))["Cases"]
    assert cases.auto_filter.ref == "A1:N4"  # the header and three cases, the note outside
    rows = list(cases.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows[:3]] == ["2026-0001", "2026-0002", "2026-0003"]
    assert rows[3] == (None,) * 14  # a blank row, then the note
    note = str(rows[4][0])
    assert "first 3 of the month's 7 cases" in note
    assert "cpbot report --month 2026-03 --region Jinghu --out DIR" in note
    assert all(v is None for v in rows[4][1:])
    # A cadre's note names their points; the office's CLI lists every case, no note.
    chen = await services.reports.for_reader(county.chen.user_id, "2026-03", None, "zh_Hans")
    assert not chen.cases_capped  # JH02 has one case
    services.ctx.config = replace(services.ctx.config, report_case_rows=0)
    chen = await services.reports.for_reader(county.chen.user_id, "2026-03", None, "zh_Hans")
    chen_rows = list(
        load_workbook(io.BytesIO(chen.workbook))["诉求明细"].iter_rows(min_row=2, values_only=True)
    )
    assert "cpbot report --month 2026-03 --point JH02 --out DIR" in str(chen_rows[-1][0])
    assert "本月 1 件诉求中的前 0 件" in str(chen_rows[-1][0])
    full = await services.reports.for_office("2026-03", "en", region="Jinghu")
    assert not full.cases_capped and full.cases_listed == 7


async def test_a_name_that_looks_like_a_formula_stays_text(
    services: Services, clock: FakeClock
) -> None:
    county = await build_county(services, clock)
    async with services.ctx.db.write() as session:
        await session.execute(
            update(User).where(col(User.id) == county.li.user_id).values(name="=1+2")
        )
    made = await services.reports.for_reader(county.admin.user_id, "2026-03", None, "en")
    book = load_workbook(io.BytesIO(made.workbook))
    assignees = [c for (c,) in book["Cases"].iter_rows(min_row=2, min_col=14, max_col=14)]
    assert any(c.value == "=1+2" for c in assignees)
    assert all(c.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)


def test_dates_are_excel_days_in_the_local_time() -> None:
    from openpyxl.utils.datetime import to_excel

    from services.reports.workbook import excel_date

    berlin = ZoneInfo("Europe/Berlin")  # summer time: UTC+2 in July, UTC+1 in January
    assert excel_date(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), berlin) == pytest.approx(
        to_excel(datetime(2026, 7, 1, 14, 0))
    )
    assert excel_date(datetime(2026, 1, 1, 12, 0, tzinfo=UTC), berlin) == pytest.approx(
        to_excel(datetime(2026, 1, 1, 13, 0))
    )
    assert excel_date(None, berlin) is None


async def test_charts_draw_the_figures(services: Services, clock: FakeClock) -> None:
    county = await build_county(services, clock)
    made = await services.reports.for_reader(county.admin.user_id, "2026-03", None, "zh_Hans")
    charts = {c.name: c for c in made.charts}
    assert len(charts) == 7
    assert all(c.png.startswith(b"\x89PNG") for c in made.charts)
    kinds = charts["2-kinds"]
    assert kinds.labels == ["投诉", "求助"] and kinds.series["诉求件数"] == [4.0, 1.0]
    assert charts["1-categories"].series["诉求件数"] == [4.0, 1.0]
    trend = charts["3-trend"]
    assert trend.series["响应率"][-1] == pytest.approx(0.6)
    assert trend.series["解决率"][-1] == pytest.approx(2 / 3)
    assert trend.series["平均评分（1–5）"][-1] == pytest.approx(4.0)
    assert trend.labels[-1] == "26-03" and len(trend.labels) == 12
    points = charts["4-points"]
    assert points.labels == ["Xinhua Street", "Jinghu Lake"]
    assert points.series["响应率"] == [0.5, 1.0] and points.series["满意率"] == [1.0, 0.0]
    overdue = charts["6-overdue"]
    assert overdue.labels == ["Xinhua Street"] and overdue.series["超期"] == [2.0]
    assert "2026-03" in charts["1-categories"].title


def test_the_bundled_font_has_every_character_the_charts_use() -> None:
    from matplotlib.ft2font import FT2Font

    from services.posters import BUNDLED_FONT
    from services.texts import Texts

    texts = Texts()
    charmap = FT2Font(str(BUNDLED_FONT)).get_charmap()
    drawn = ("report.chart.", "report.label.", "report.no_", "kind.")
    keys = [k for k in texts.catalog.keys("zh_Hans") if k.startswith(drawn)]
    assert len(keys) > 20
    for key in keys:
        for ch in texts.catalog.messages["zh_Hans"][key].format_map(_Blank()):
            if not ch.isspace():
                assert ord(ch) in charmap, (key, ch)


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


async def test_no_tipoff_anywhere_in_a_report(services: Services, clock: FakeClock) -> None:
    county = await build_county(services, clock)
    reporter = await resident(services, "Zhou Ping", "XH01")
    clock.set(local(3, 20, 11))
    await services.tipoffs.file(
        reporter.user_id, named=True, concerns=[], parts=[text(99, reporter.tg_id, "SECRETBRIBE")]
    )
    clock.set(REPORT_AT)
    made = await services.reports.for_reader(county.admin.user_id, "2026-03", None, "en")
    assert made.figures.total.filed == 5
    book = load_workbook(io.BytesIO(made.workbook))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not any("SECRETBRIBE" in c or c.startswith("J2026") or "Zhou" in c for c in cells)
    for chart in made.charts:
        assert not any("Zhou" in label for label in chart.labels)


def test_months_are_parsed_and_offered() -> None:
    assert parse_month("2026-11") == "2026-11" and parse_month("202611") == "2026-11"
    for bad in ("2026-13", "nov", "2026-1"):
        with pytest.raises(Refusal):
            parse_month(bad)
    assert recent_months(datetime(2026, 1, 31, 17, 0, tzinfo=REPORT_AT.tzinfo), "Asia/Shanghai",
                         3) == ["2026-02", "2026-01", "2025-12"]  # fmt: skip


async def test_cli_writes_charts_and_workbook(
    services: Services,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await build_county(services, clock)
    from bot.cli import main

    url = services.ctx.db.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("CPBOT_DATABASE_URL", url)
    monkeypatch.setenv("CPBOT_BOT_USERNAME", "cp_test_bot")
    monkeypatch.setenv("LANG", "en")
    out = tmp_path / "out"
    result = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["report", "--month", "2026-03", "--point", "XH01", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert len([n for n in names if n.endswith(".png")]) == 7
    book = load_workbook(out / "report-2026-03-Xinhua_Street_(XH01).xlsx")
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Cases"] == 4  # A B C F (the CLI's clock is today: same figures)
    assert "Written:" in result.output
    # Several points at once (what a cadre's capped sheet tells the office to run).
    result = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["report", "--month", "2026-03", "--point", "XH01", "--point", "jh02", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(out / "report-2026-03-XH01,_JH02.xlsx")
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Cases"] == 5 and summary["Scope"] == "XH01, JH02"
