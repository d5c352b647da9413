"""The report's workbook (XLSX): one sheet per table, each with a frozen header row, filters,
column widths, dates as dates and rates as percentages.

Written in openpyxl's write-only mode, so the cases sheet streams from the database to a
temporary file row by row: memory stays flat however many cases a region filed.
What residents said, their names and phones are not in it: a workbook leaves the bot (it is
forwarded, printed, mailed upward) and nobody can take it back. Tip-offs are never in it.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from services.figures import Rates
from services.reports.figures import MonthlyFigures, Ranked
from services.texts import Texts

DATE = "yyyy-mm-dd hh:mm"
PERCENT = "0%"
DECIMAL = "0.0"
_BOLD = Font(bold=True)


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Excel has no time zones: a date is written as the contact point's local time."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment else None


class Sheet:
    """A write-only sheet whose layout is fixed before its first row, as openpyxl requires."""

    def __init__(
        self,
        wb: Workbook,
        title: str,
        headers: Sequence[str],
        widths: Sequence[int],
        formats: Sequence[str | None] = (),
    ) -> None:
        self.ws: WriteOnlyWorksheet = wb.create_sheet(title[:31])
        self.formats = list(formats) + [None] * (len(headers) - len(formats))
        self.columns = len(headers)
        self.rows = 0
        for i, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        self.ws.freeze_panes = "A2"
        header = []
        for text in headers:
            cell = WriteOnlyCell(self.ws, value=text)
            cell.font = _BOLD
            header.append(cell)
        self.ws.append(header)

    def add(self, values: Sequence[Any]) -> None:
        row: list[Any] = []
        for value, fmt in zip(values, self.formats, strict=True):
            if fmt and value is not None:
                cell = WriteOnlyCell(self.ws, value=value)
                cell.number_format = fmt
                row.append(cell)
            else:
                row.append(value)
        self.ws.append(row)
        self.rows += 1

    def close(self) -> None:
        last = get_column_letter(self.columns)
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


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

    async def build(self, f: MonthlyFigures, cases: AsyncIterator[tuple[Any, ...]]) -> bytes:
        wb = Workbook(write_only=True)
        self._summary(wb, f)
        await self._cases(wb, f, cases)
        self._ranked(wb, self.t("report.sheet.points"), f.points, with_code=True)
        self._ranked(wb, self.t("report.sheet.cadres"), f.cadres, with_code=False)
        self._trend(wb, f)
        self._counts(wb, f)
        self._visits(wb, f)
        self._notices(wb, f)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    def _summary(self, wb: Workbook, f: MonthlyFigures) -> None:
        sheet = Sheet(wb, self.t("report.sheet.summary"), [self.t("report.col.what"), ""], [34, 24])
        scope = f.scope.label or self.t(
            "report.scope_own" if f.scope.for_cadre else "report.scope_all"
        )
        sheet.add([self.t("report.col.month"), f.period.key])
        sheet.add([self.t("report.col.scope"), scope])
        for header, value in zip(self._rate_headers(), self._rate_values(f.total), strict=True):
            sheet.add([header, value])
        sheet.close()

    async def _cases(
        self, wb: Workbook, f: MonthlyFigures, rows: AsyncIterator[tuple[Any, ...]]
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
        kinds: dict[str, str] = {}
        words: dict[str, str] = {}

        def word(key: str) -> str:
            if key not in words:
                words[key] = self.t(key)
            return words[key]

        name_col = 4 if self.locale == "zh_Hans" else 5
        async for row in rows:
            no, filed, kind, _code, *_names, point, status, reason, due, resolved, closed = row[:12]
            verdict, rating, assignee = row[12], row[13], row[14]
            category = row[name_col]
            if kind not in kinds:
                kinds[kind] = self.t(f"kind.{kind}")
            met = None if resolved is None else resolved <= due
            sheet.add(
                [
                    no,
                    _local(filed, zone),
                    kinds[kind],
                    category or word("report.no_category"),
                    point,
                    word(f"status.{status}"),
                    word(REASON_KEYS[reason]) if reason in REASON_KEYS else reason,
                    _local(due, zone),
                    _local(resolved, zone),
                    _local(closed, zone),
                    None if met is None else word("report.yes" if met else "report.no"),
                    word(VERDICT_KEYS[verdict]) if verdict in VERDICT_KEYS else verdict,
                    rating,
                    assignee,
                ]
            )
        sheet.close()

    def _ranked(
        self, wb: Workbook, title: str, lines: Iterable[Ranked], *, with_code: bool
    ) -> None:
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
            [None] * (lead - 1) + list(RATE_FORMATS),
        )
        for rank, line in enumerate(lines, start=1):
            head = [rank, line.name, *([line.code] if with_code else [])]
            sheet.add([*head, *self._rate_values(line.rates, line.overdue)])
        sheet.close()

    def _trend(self, wb: Workbook, f: MonthlyFigures) -> None:
        headers = [self.t("report.col.month"), *self._rate_headers()]
        sheet = Sheet(wb, self.t("report.sheet.trend"), headers, [10] + [9] * 8, RATE_FORMATS)
        for month in f.months:
            sheet.add([month.key, *self._rate_values(month.rates)])
        sheet.close()

    def _counts(self, wb: Workbook, f: MonthlyFigures) -> None:
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

    def _visits(self, wb: Workbook, f: MonthlyFigures) -> None:
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

    def _notices(self, wb: Workbook, f: MonthlyFigures) -> None:
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
            sheet.add([_local(n.at, zone), n.author, text, n.audience, n.reached, n.read])
        sheet.close()
