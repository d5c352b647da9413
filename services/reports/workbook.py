"""The report's workbook (XLSX): one sheet per table, each with a frozen header row, filters,
column widths, dates as dates and rates as percentages.

Written with XlsxWriter in constant-memory mode, so the cases sheet streams from the database
to a temporary file row by row: memory stays flat however many cases a region filed. The
cases sheet is the one part that grows with the month, so its rows are made cheap: each row is
a list of plain values handed to one ``write_row`` (no per-cell calls, no per-cell formats —
dates and percentages take their format from their column), dates already turned into
Excel's day numbers in the scope's time zone, words looked up once per report. XlsxWriter's own
work for a cell is still the bulk of the time (measured in docs/performance.md), so a report
made in the chat lists at most ``report_case_rows`` cases and its last line says how many the
month has and how the office writes them all (``cpbot report``).
What residents said, their names and phones are not in it: a workbook leaves the bot (it is
forwarded, printed, mailed upward) and nobody can take it back. Tip-offs are never in it.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from services.figures import Rates
from services.reports.figures import MonthlyFigures, Ranked
from services.texts import Texts

DATE = "yyyy-mm-dd hh:mm"
PERCENT = "0%"
DECIMAL = "0.0"
# Excel's day 0 (the 1900 date system; every date a report holds is past its 1900 leap-day bug).
EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
DAY_SECONDS = 86400.0


def excel_date(moment: datetime | None, zone: ZoneInfo) -> float | None:
    """A moment as Excel's day number in the contact point's local time (Excel has no time
    zones); its column's date format shows it as a date."""
    if moment is None:
        return None
    # The local wall time, read as if it were UTC: Excel's days count wall time.
    local = moment.astimezone(zone).replace(tzinfo=UTC)
    return (local - EXCEL_EPOCH).total_seconds() / DAY_SECONDS


class Book:
    """The workbook and its cell formats (XlsxWriter wants each format made once)."""

    def __init__(self, buf: io.BytesIO) -> None:
        # constant_memory: each sheet's rows go to a temporary file as written, so memory stays
        # flat however many cases the month holds. Strings stay strings: a name or category
        # that starts with "=" or looks like a link is not turned into a formula or a link.
        self.wb = Workbook(
            buf,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self._formats: dict[str, Format] = {}

    def format(self, code: str) -> Format:
        if code not in self._formats:
            spec = {"bold": True} if code == "bold" else {"num_format": code}
            self._formats[code] = self.wb.add_format(spec)
        return self._formats[code]


class Sheet:
    """A sheet written row by row (XlsxWriter's constant-memory mode: a row is on disk once
    the next begins), with its layout fixed before its first row. Each column's number
    format is the column's: a cell written without one takes it (dates, percentages)."""

    def __init__(
        self,
        book: Book,
        title: str,
        headers: Sequence[str],
        widths: Sequence[int],
        formats: Sequence[str | None] = (),
    ) -> None:
        self.ws: Worksheet = book.wb.add_worksheet(title[:31])
        self.columns = len(headers)
        self.rows = 0
        for i in range(self.columns):
            code = formats[i] if i < len(formats) else None
            width = widths[i] if i < len(widths) else None
            self.ws.set_column(i, i, width, book.format(code) if code else None)
        self.ws.freeze_panes(1, 0)
        self.ws.write_row(0, 0, list(headers), book.format("bold"))

    def add(self, values: Sequence[Any]) -> None:
        """One row of plain values: str, int, float or None (an empty cell). A date must come
        as ``excel_date``'s number, in a column with a date format."""
        self.rows += 1
        self.ws.write_row(self.rows, 0, values)

    def close(self) -> None:
        self.ws.autofilter(0, 0, self.rows, self.columns - 1)

    def note(self, text: str) -> None:
        """A line after the table, one row below it and outside its filter."""
        self.ws.write_string(self.rows + 2, 0, text)


# How a case ended and the resident's verdict, in the reader's words.
REASON_KEYS = {
    "resolved": "report.reason.resolved",
    "no_answer": "report.reason.no_answer",
    "duplicate": "report.reason.duplicate",
    "referred": "report.reason.referred",
    "rejected": "report.reason.rejected",
    "withdrawn": "report.reason.withdrawn",
}
VERDICT_KEYS = {
    "resolved": "report.verdict.resolved",
    "not_resolved": "report.verdict.not_resolved",
}
CONSULT_STATUS_KEYS = {"open": "report.consult.open", "closed": "report.consult.closed"}
RATE_FORMATS = (None, PERCENT, PERCENT, PERCENT, PERCENT, DECIMAL, None, None)


class WorkbookMaker:
    def __init__(self, texts: Texts, locale: str) -> None:
        self.texts = texts
        self.locale = locale

    def t(self, key: str, **params: object) -> str:
        return self.texts(self.locale, key, **params)

    def _rate_headers(self) -> list[str]:
        return [
            self.t("report.col.filed"),
            self.t("report.label.response"),
            self.t("report.label.on_time"),
            self.t("report.label.resolution"),
            self.t("report.label.satisfaction"),
            self.t("report.label.average"),
            self.t("report.col.open"),
            self.t("report.label.overdue"),
        ]

    @staticmethod
    def _rate_values(rates: Rates, overdue: int | None = None) -> list[Any]:
        return [
            rates.filed,
            rates.response_rate,
            rates.on_time_rate,
            rates.resolution_rate,
            rates.satisfaction_rate,
            rates.average_rating,
            rates.open,
            rates.overdue if overdue is None else overdue,
        ]

    async def build(
        self, f: MonthlyFigures, cases: AsyncIterator[tuple[Any, ...]], total: int | None = None
    ) -> bytes:
        """``cases``: the rows of the cases sheet; ``total``: how many the month has (when more
        than the rows, the sheet says so and how to get them all)."""
        buf = io.BytesIO()
        wb = Book(buf)
        self._summary(wb, f)
        await self._cases(wb, f, cases, total)
        self._ranked(wb, self.t("report.sheet.points"), f.points, with_code=True)
        self._ranked(wb, self.t("report.sheet.cadres"), f.cadres, with_code=False)
        self._trend(wb, f)
        self._counts(wb, f)
        self._visits(wb, f)
        self._notices(wb, f)
        self._consultations(wb, f)
        self._participation(wb, f)
        wb.wb.close()
        return buf.getvalue()

    def _summary(self, wb: Book, f: MonthlyFigures) -> None:
        sheet = Sheet(wb, self.t("report.sheet.summary"), [self.t("report.col.what"), ""], [34, 24])
        scope = f.scope.label or self.t(
            "report.scope_own" if f.scope.for_cadre else "report.scope_all"
        )
        sheet.add([self.t("report.col.month"), f.period.key])
        sheet.add([self.t("report.col.scope"), scope])
        for header, value in zip(self._rate_headers(), self._rate_values(f.total), strict=True):
            sheet.add([header, value])
        consulted = f.consultations
        sheet.add([self.t("report.col.consultations"), len(consulted.consultations)])
        sheet.add([self.t("report.col.invited"), consulted.total.invited])
        sheet.add([self.t("report.col.answered"), consulted.total.answered])
        sheet.add([self.t("report.col.participation"), consulted.total.rate])
        sheet.close()

    async def _cases(
        self,
        wb: Book,
        f: MonthlyFigures,
        rows: AsyncIterator[tuple[Any, ...]],
        total: int | None,
    ) -> None:
        zone = ZoneInfo(f.scope.zone)
        headers = [
            self.t("report.col.number"),
            self.t("report.col.filed_at"),
            self.t("report.col.kind"),
            self.t("report.col.category"),
            self.t("report.col.point"),
            self.t("report.col.status"),
            self.t("report.col.close_reason"),
            self.t("report.col.deadline"),
            self.t("report.col.resolved_at"),
            self.t("report.col.closed_at"),
            self.t("report.col.deadline_met"),
            self.t("report.col.verdict"),
            self.t("report.col.rating"),
            self.t("report.col.assignee"),
        ]
        widths = [12, 17, 10, 16, 10, 10, 12, 17, 17, 17, 10, 10, 8, 14]
        formats = [None, DATE, None, None, None, None, None, DATE, DATE, DATE]
        sheet = Sheet(wb, self.t("report.sheet.cases"), headers, widths, formats)
        # Every word a cell may hold, looked up once: a row is then made of plain values.
        reasons = {key: self.t(label) for key, label in REASON_KEYS.items()}
        verdicts = {key: self.t(label) for key, label in VERDICT_KEYS.items()}
        yes, no = self.t("report.yes"), self.t("report.no")
        uncategorised = self.t("report.no_category")
        kinds: dict[str, str] = {}
        statuses: dict[str, str] = {}
        name_col = 4 if self.locale == "zh_Hans" else 5
        add = sheet.add
        async for row in rows:
            kind, status, due, resolved = row[2], row[7], row[9], row[10]
            if kind not in kinds:
                kinds[kind] = self.t(f"kind.{kind}")
            if status not in statuses:
                statuses[status] = self.t(f"status.{status}")
            add(
                [
                    row[0],
                    excel_date(row[1], zone),
                    kinds[kind],
                    row[name_col] or uncategorised,
                    row[6],
                    statuses[status],
                    reasons.get(row[8], row[8]),
                    excel_date(due, zone),
                    excel_date(resolved, zone),
                    excel_date(row[11], zone),
                    None if resolved is None else (yes if resolved <= due else no),
                    verdicts.get(row[12], row[12]),
                    row[13],
                    row[14],
                ]
            )
        sheet.close()
        if total is not None and total > sheet.rows:
            sheet.note(
                self.t(
                    "report.cases_capped",
                    shown=sheet.rows,
                    total=total,
                    command=f"cpbot report --month {f.period.key}{f.scope.cli_args()} --out DIR",
                )
            )

    def _ranked(self, wb: Book, title: str, lines: Iterable[Ranked], *, with_code: bool) -> None:
        first = [self.t("report.col.rank"), self.t("report.col.name")]
        if with_code:
            first.append(self.t("report.col.code"))
        headers = [*first, *self._rate_headers()]
        lead = len(first)
        sheet = Sheet(
            wb,
            title,
            headers,
            [6, 22, 10][:lead] + [9] * 8,
            [None] * lead + list(RATE_FORMATS),
        )
        for rank, line in enumerate(lines, start=1):
            head = [rank, line.name, *([line.code] if with_code else [])]
            sheet.add([*head, *self._rate_values(line.rates, line.overdue)])
        sheet.close()

    def _trend(self, wb: Book, f: MonthlyFigures) -> None:
        headers = [self.t("report.col.month"), *self._rate_headers()]
        sheet = Sheet(
            wb, self.t("report.sheet.trend"), headers, [10] + [9] * 8, [None, *RATE_FORMATS]
        )
        for month in f.months:
            sheet.add([month.key, *self._rate_values(month.rates)])
        sheet.close()

    def _counts(self, wb: Book, f: MonthlyFigures) -> None:
        sheet = Sheet(
            wb,
            self.t("report.sheet.categories"),
            [
                self.t("report.col.kind_or_category"),
                self.t("report.col.name"),
                self.t("report.col.filed"),
            ],
            [14, 24, 10],
        )
        for kind in f.by_kind:
            sheet.add([self.t("report.col.kind"), self.t(f"kind.{kind.key}"), kind.count])
        for cat in f.by_category:
            name = cat.name(self.locale) if cat.key else self.t("report.no_category")
            sheet.add([self.t("report.col.category"), name, cat.count])
        sheet.close()

    def _visits(self, wb: Book, f: MonthlyFigures) -> None:
        headers = [
            self.t("report.col.cadre"),
            self.t("report.col.point"),
            self.t("report.label.required"),
            self.t("report.label.days"),
            self.t("report.col.verified_days"),
            self.t("report.col.year_days"),
            self.t("report.col.year_target"),
            self.t("report.col.met"),
        ]
        sheet = Sheet(wb, self.t("report.sheet.visits"), headers, [14, 22, 9, 9, 9, 9, 9, 8])
        for v in f.visits:
            met = self.t("report.yes" if v.met else "report.no")
            sheet.add(
                [
                    v.cadre,
                    v.point,
                    v.required,
                    v.days,
                    v.verified_days,
                    v.year_days,
                    v.year_target,
                    met,
                ]
            )
        sheet.close()

    def _notices(self, wb: Book, f: MonthlyFigures) -> None:
        zone = ZoneInfo(f.scope.zone)
        headers = [
            self.t("report.col.sent_at"),
            self.t("report.col.author"),
            self.t("report.col.notice"),
            self.t("report.col.audience"),
            self.t("report.col.reached"),
            self.t("report.col.read"),
        ]
        sheet = Sheet(wb, self.t("report.sheet.notices"), headers, [17, 14, 40, 10, 10, 10], [DATE])
        for n in f.notices:
            text = n.text if len(n.text) <= 80 else n.text[:79] + "…"
            sheet.add([excel_date(n.at, zone), n.author, text, n.audience, n.reached, n.read])
        sheet.close()

    def _consultations(self, wb: Book, f: MonthlyFigures) -> None:
        """The consultations opened in the month, counted at the scope's points only."""
        zone = ZoneInfo(f.scope.zone)
        headers = [
            self.t("report.col.consultation"),
            self.t("report.col.opened"),
            self.t("report.col.closes"),
            self.t("report.col.status"),
            self.t("report.col.anonymous"),
            self.t("report.col.points"),
            self.t("report.col.invited"),
            self.t("report.col.answered"),
            self.t("report.col.participation"),
        ]
        sheet = Sheet(
            wb,
            self.t("report.sheet.consultations"),
            headers,
            [40, 17, 17, 10, 8, 10, 10, 10, 10],
            [None, DATE, DATE, None, None, None, None, None, PERCENT],
        )
        yes, no = self.t("report.yes"), self.t("report.no")
        for c in f.consultations.consultations:
            status = (
                self.t(CONSULT_STATUS_KEYS[c.status])
                if c.status in CONSULT_STATUS_KEYS
                else c.status
            )
            sheet.add(
                [
                    c.title(self.locale),
                    excel_date(c.opens_at, zone),
                    excel_date(c.closes_at, zone),
                    status,
                    yes if c.anonymous else no,
                    c.points,
                    c.figures.invited,
                    c.figures.answered,
                    c.figures.rate,
                ]
            )
        sheet.close()

    def _participation(self, wb: Book, f: MonthlyFigures) -> None:
        """Each of the scope's points the month's consultations asked: how many, and how
        many of its residents were invited and answered, over all of them."""
        headers = [
            self.t("report.col.name"),
            self.t("report.col.code"),
            self.t("report.col.consultations"),
            self.t("report.col.invited"),
            self.t("report.col.answered"),
            self.t("report.col.participation"),
        ]
        sheet = Sheet(
            wb,
            self.t("report.sheet.participation"),
            headers,
            [22, 10, 10, 10, 10, 10],
            [None, None, None, None, None, PERCENT],
        )
        for p in f.consultations.points:
            sheet.add(
                [
                    p.name,
                    p.code,
                    p.consultations,
                    p.figures.invited,
                    p.figures.answered,
                    p.figures.rate,
                ]
            )
        sheet.close()
