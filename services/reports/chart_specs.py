"""What each of the monthly report's charts shows — titles, labels and numbers in the reader's
language — as plain data, apart from how it is drawn (``services.reports.charts``).

Plain data, so that a chart can be drawn by a process that never imported the models or
SQLAlchemy: ``cpbot report`` hands these to drawing processes that only load matplotlib
(``services.reports.drawing``). This module imports nothing heavy itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.reports.figures import MonthlyFigures, Ranked
    from services.texts import Texts

MAX_BARS = 15  # a ranking longer than this shows its first 15; the workbook has all
# Drawing times relative to a chart of a few bars (about 60 ms here): a chart that only says
# there is nothing to show costs 0.35 of it, the trend 2.3, a ranking or the visits 1.5.
EMPTY_COST = 0.35


@dataclass(frozen=True)
class Chart:
    """A drawn chart. Here, not with the drawing, so that a process that receives one drawn
    elsewhere does not import matplotlib to read it."""

    name: str  # file name without extension
    png: bytes
    title: str
    # What was drawn: series label -> values; and the category labels along the axis.
    series: dict[str, list[float]] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Bars:
    """One series of counts as horizontal bars, the first at the top."""

    name: str  # file name without extension
    title: str
    labels: list[str]
    values: list[float]
    label: str  # the series' name
    color: int  # index into the charts' colours
    empty: str  # what the chart says when there is nothing to show

    @property
    def cost(self) -> float:
        """Its drawing time, relative to the others' (measured): to share the charts out."""
        return 1.0 if self.values else EMPTY_COST


@dataclass(frozen=True)
class Ranking:
    """Three rates per point or cadre, side by side, as horizontal bars."""

    name: str
    title: str
    labels: list[str]
    series: dict[str, list[float]]  # rate name -> one value per label
    empty: str

    @property
    def cost(self) -> float:
        return 1.5 if self.labels else EMPTY_COST


@dataclass(frozen=True)
class Trend:
    """Three rates as lines over the months, and the average rating on a second axis."""

    name: str
    title: str
    months: list[str]  # "26-03"
    lines: dict[str, list[float | None]]
    rating_label: str
    rating: list[float | None]

    @property
    def cost(self) -> float:
        return 2.3  # two axes and a legend, even for a month without cases


@dataclass(frozen=True)
class VisitBars:
    """Days at the point per cadre, green when the month's requirement is met, with the
    requirement marked."""

    name: str
    title: str
    labels: list[str]
    days: list[int]
    required: list[int]
    met: list[bool]
    days_label: str
    required_label: str
    empty: str

    @property
    def cost(self) -> float:
        return 1.5 if self.labels else EMPTY_COST


ChartSpec = Bars | Ranking | Trend | VisitBars


class ChartPlanner:
    """The seven charts of a month's figures, in the reader's language."""

    def __init__(self, texts: Texts, locale: str) -> None:
        self.texts = texts
        self.locale = locale

    def t(self, key: str, **params: object) -> str:
        return self.texts(self.locale, key, **params)

    def all(self, f: MonthlyFigures) -> list[ChartSpec]:
        return [
            self.categories(f),
            self.kinds(f),
            self.trend(f),
            self.ranking(f, "points"),
            self.ranking(f, "cadres"),
            self.overdue(f),
            self.visits(f),
        ]

    def _counts(self, name: str, title: str, labels: list[str], values: list[int]) -> Bars:
        label, empty = self.t("report.label.cases"), self.t("report.no_cases")
        return Bars(name, title, labels, [float(v) for v in values], label, 0, empty)

    def categories(self, f: MonthlyFigures) -> Bars:
        rows = f.by_category[:MAX_BARS]
        labels = [c.name(self.locale) or self.t("report.no_category") for c in rows]
        title = self.t("report.chart.categories", month=f.period.key)
        return self._counts("1-categories", title, labels, [c.count for c in rows])

    def kinds(self, f: MonthlyFigures) -> Bars:
        labels = [self.t(f"kind.{c.key}") for c in f.by_kind]
        title = self.t("report.chart.kinds", month=f.period.key)
        return self._counts("2-kinds", title, labels, [c.count for c in f.by_kind])

    def trend(self, f: MonthlyFigures) -> Trend:
        return Trend(
            name="3-trend",
            title=self.t("report.chart.trend"),
            months=[m.key[2:] for m in f.months],
            lines={
                self.t("report.label.response"): [m.rates.response_rate for m in f.months],
                self.t("report.label.resolution"): [m.rates.resolution_rate for m in f.months],
                self.t("report.label.satisfaction"): [m.rates.satisfaction_rate for m in f.months],
            },
            rating_label=self.t("report.label.average"),
            rating=[m.rates.average_rating for m in f.months],
        )

    def ranking(self, f: MonthlyFigures, which: str) -> Ranking:
        ranked: list[Ranked] = (f.points if which == "points" else f.cadres)[:MAX_BARS]
        series = {
            self.t("report.label.response"): [r.rates.response_rate or 0.0 for r in ranked],
            self.t("report.label.resolution"): [r.rates.resolution_rate or 0.0 for r in ranked],
            self.t("report.label.satisfaction"): [r.rates.satisfaction_rate or 0.0 for r in ranked],
        }
        key = "report.chart.points" if which == "points" else "report.chart.cadres"
        name = "4-points" if which == "points" else "5-cadres"
        title = self.t(key, month=f.period.key)
        return Ranking(name, title, [r.name for r in ranked], series, self.t("report.no_cases"))

    def overdue(self, f: MonthlyFigures) -> Bars:
        late = sorted((r for r in f.points if r.overdue), key=lambda r: (-r.overdue, r.name))
        late = late[:MAX_BARS]
        return Bars(
            name="6-overdue",
            title=self.t("report.chart.overdue", month=f.period.key),
            labels=[r.name for r in late],
            values=[float(r.overdue) for r in late],
            label=self.t("report.label.overdue"),
            color=2,
            empty=self.t("report.no_overdue"),
        )

    def visits(self, f: MonthlyFigures) -> VisitBars:
        rows = sorted(f.visits, key=lambda v: (v.days - v.required, v.cadre))[:MAX_BARS]
        return VisitBars(
            name="7-visits",
            title=self.t("report.chart.visits", month=f.period.key),
            labels=[f"{v.cadre} · {v.point}" for v in rows],
            days=[v.days for v in rows],
            required=[v.required for v in rows],
            met=[v.met for v in rows],
            days_label=self.t("report.label.days"),
            required_label=self.t("report.label.required"),
            empty=self.t("report.no_visits"),
        )
