"""The report's charts: PNG, sized for a phone held upright, labels in the reader's language
from the catalogs, Chinese drawn with the font that ships in ``services/fonts/``.

Each chart also returns what it drew, read back from matplotlib's own artists (bar lengths,
line points, tick labels), so tests check the data on the chart rather than its pixels.
Figures are built without pyplot (no global state), so reports can render in threads.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import matplotlib
import numpy as np

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from services.bundled_font import BUNDLED_FONT
from services.reports.figures import MonthlyFigures, Ranked
from services.texts import Texts

WIDTH_IN = 7.2  # 1080 px at 150 dpi: a phone's screen width
DPI = 150
MAX_BARS = 15  # a ranking longer than this shows its first 15; the workbook has all
COLORS = ("#1f77b4", "#2ca02c", "#d62728", "#ff7f0e")

_font_name: str | None = None
# matplotlib asks for a regular weight somewhere (the default text) before our bold one.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def font_family() -> str:
    """Register the bundled CJK font with matplotlib once; its family name."""
    global _font_name
    if _font_name is None:
        font_manager.fontManager.addfont(str(BUNDLED_FONT))
        _font_name = font_manager.FontProperties(fname=str(BUNDLED_FONT)).get_name()
    return _font_name


@dataclass(frozen=True)
class Chart:
    name: str  # file name without extension
    png: bytes
    title: str
    # What was drawn: series label -> values; and the category labels along the axis.
    series: dict[str, list[float]] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)


def _drawn(ax: Axes, horizontal: bool) -> tuple[dict[str, list[float]], list[str]]:
    series: dict[str, list[float]] = {}
    for i, container in enumerate(ax.containers):
        if isinstance(container, BarContainer):
            label = str(container.get_label() or f"bars{i}")
            series[label] = [
                float(bar.get_width() if horizontal else bar.get_height()) for bar in container
            ]
    for line in ax.get_lines():
        label = str(line.get_label())
        if not label.startswith("_"):
            data = line.get_xdata() if horizontal else line.get_ydata()
            series[label] = np.asarray(data, dtype=float).tolist()
    ticks = ax.get_yticklabels() if horizontal else ax.get_xticklabels()
    return series, [t.get_text() for t in ticks]


def render_chart(
    name: str,
    title: str,
    rows: int,
    draw: Callable[[Axes], None],
    *,
    horizontal: bool,
    extra: Callable[[Figure], dict[str, list[float]]] | None = None,
) -> Chart:
    height = max(4.0, min(12.0, 1.6 + 0.42 * rows)) if horizontal else 5.4
    family = font_family()
    # The bundled face is bold only: ask for bold, so matplotlib finds it without a warning.
    with matplotlib.rc_context({"font.family": [family], "font.weight": "bold"}):
        fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        draw(ax)
        ax.set_title(title, fontsize=15, loc="left")
        ax.tick_params(labelsize=12)
        ax.spines[["top", "right"]].set_visible(False)
        if extra is not None:
            more = extra(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        # Read back after saving: the tick labels are final once the figure was drawn.
        series, labels = _drawn(ax, horizontal)
        if extra is not None:
            series.update(more)
    return Chart(name, buf.getvalue(), title, series, labels)


def draw_barh(
    ax: Axes, labels: Sequence[str], values: Sequence[float], label: str, color: str
) -> None:
    positions = list(range(len(labels)))
    bars = ax.barh(positions, values, color=color, label=label)
    ax.set_yticks(positions, list(labels))
    ax.invert_yaxis()  # the largest first, at the top
    ax.bar_label(bars, fontsize=11, padding=3)
    ax.margins(x=0.15)


def draw_empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=14)
    ax.set_axis_off()


class ChartMaker:
    def __init__(self, texts: Texts, locale: str) -> None:
        self.texts = texts
        self.locale = locale

    def t(self, key: str, **params: object) -> str:
        return self.texts(self.locale, key, **params)

    def all(self, f: MonthlyFigures) -> list[Chart]:
        return [
            self.categories(f),
            self.kinds(f),
            self.trend(f),
            self.ranking(f, "points"),
            self.ranking(f, "cadres"),
            self.overdue(f),
            self.visits(f),
        ]

    def _counts(self, name: str, title: str, labels: list[str], values: list[int]) -> Chart:
        def draw(ax: Axes) -> None:
            if not values:
                draw_empty(ax, self.t("report.no_cases"))
                return
            draw_barh(ax, labels, values, self.t("report.label.cases"), COLORS[0])

        return render_chart(name, title, len(values), draw, horizontal=True)

    def categories(self, f: MonthlyFigures) -> Chart:
        rows = f.by_category[:MAX_BARS]
        labels = [c.name(self.locale) or self.t("report.no_category") for c in rows]
        title = self.t("report.chart.categories", month=f.period.key)
        return self._counts("1-categories", title, labels, [c.count for c in rows])

    def kinds(self, f: MonthlyFigures) -> Chart:
        labels = [self.t(f"kind.{c.key}") for c in f.by_kind]
        title = self.t("report.chart.kinds", month=f.period.key)
        return self._counts("2-kinds", title, labels, [c.count for c in f.by_kind])

    def trend(self, f: MonthlyFigures) -> Chart:
        keys = [m.key for m in f.months]
        lines = {
            self.t("report.label.response"): [m.rates.response_rate for m in f.months],
            self.t("report.label.resolution"): [m.rates.resolution_rate for m in f.months],
            self.t("report.label.satisfaction"): [m.rates.satisfaction_rate for m in f.months],
        }
        average = [m.rates.average_rating for m in f.months]
        rating_label = self.t("report.label.average")

        def draw(ax: Axes) -> None:
            positions = list(range(len(keys)))
            for (label, values), color in zip(lines.items(), COLORS, strict=False):
                ys = [float("nan") if v is None else v for v in values]
                ax.plot(positions, ys, marker="o", linewidth=2.5, label=label, color=color)
            ax.set_xlim(-0.5, len(keys) - 0.5)
            ax.set_ylim(0, 1.05)
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            ax.set_xticks(positions, [k[2:] for k in keys], rotation=45)
            ax.grid(axis="y", alpha=0.3)

        def rating_axis(fig: Figure) -> dict[str, list[float]]:
            ax = fig.axes[0]
            twin = ax.twinx()
            ys = [float("nan") if v is None else v for v in average]
            (line,) = twin.plot(
                list(range(len(keys))),
                ys,
                linestyle="--",
                marker="s",
                color=COLORS[3],
                label=rating_label,
            )
            twin.set_ylim(0, 5.25)
            twin.set_ylabel(rating_label, fontsize=12)
            twin.spines[["top"]].set_visible(False)
            handles, names = ax.get_legend_handles_labels()
            ax.legend(
                [*handles, line], [*names, rating_label], loc="lower left", fontsize=10, ncols=2
            )
            return {rating_label: np.asarray(line.get_ydata(), dtype=float).tolist()}

        title = self.t("report.chart.trend")
        return render_chart("3-trend", title, 0, draw, horizontal=False, extra=rating_axis)

    def ranking(self, f: MonthlyFigures, which: str) -> Chart:
        ranked: list[Ranked] = (f.points if which == "points" else f.cadres)[:MAX_BARS]
        labels = [r.name for r in ranked]
        names = (
            self.t("report.label.response"),
            self.t("report.label.resolution"),
            self.t("report.label.satisfaction"),
        )
        values = [
            [r.rates.response_rate or 0.0 for r in ranked],
            [r.rates.resolution_rate or 0.0 for r in ranked],
            [r.rates.satisfaction_rate or 0.0 for r in ranked],
        ]

        def draw(ax: Axes) -> None:
            if not ranked:
                draw_empty(ax, self.t("report.no_cases"))
                return
            height = 0.27
            for i, (label, series) in enumerate(zip(names, values, strict=True)):
                positions = [p + (i - 1) * height for p in range(len(ranked))]
                ax.barh(positions, series, height=height, label=label, color=COLORS[i])
            ax.set_yticks(list(range(len(ranked))), labels)
            ax.invert_yaxis()
            ax.set_xlim(0, 1)
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            ax.legend(loc="lower right", fontsize=10)

        key = "report.chart.points" if which == "points" else "report.chart.cadres"
        name = "4-points" if which == "points" else "5-cadres"
        return render_chart(
            name, self.t(key, month=f.period.key), len(ranked), draw, horizontal=True
        )

    def overdue(self, f: MonthlyFigures) -> Chart:
        late = sorted((r for r in f.points if r.overdue), key=lambda r: (-r.overdue, r.name))
        late = late[:MAX_BARS]
        title = self.t("report.chart.overdue", month=f.period.key)

        def draw(ax: Axes) -> None:
            if not late:
                draw_empty(ax, self.t("report.no_overdue"))
                return
            draw_barh(
                ax, [r.name for r in late], [r.overdue for r in late],
                self.t("report.label.overdue"), COLORS[2],
            )  # fmt: skip

        return render_chart("6-overdue", title, len(late), draw, horizontal=True)

    def visits(self, f: MonthlyFigures) -> Chart:
        rows = sorted(f.visits, key=lambda v: (v.days - v.required, v.cadre))[:MAX_BARS]
        title = self.t("report.chart.visits", month=f.period.key)
        days_label, required_label = self.t("report.label.days"), self.t("report.label.required")

        def draw(ax: Axes) -> None:
            if not rows:
                draw_empty(ax, self.t("report.no_visits"))
                return
            positions = list(range(len(rows)))
            colors = [COLORS[1] if v.met else COLORS[2] for v in rows]
            bars = ax.barh(positions, [v.days for v in rows], color=colors, label=days_label)
            ax.bar_label(bars, fontsize=11, padding=3)
            ax.plot(
                [v.required for v in rows], positions, "k|", markersize=22,
                label=required_label,
            )  # fmt: skip
            ax.set_yticks(positions, [f"{v.cadre} · {v.point}" for v in rows])
            ax.invert_yaxis()
            ax.margins(x=0.15)
            ax.legend(loc="lower right", fontsize=10)

        return render_chart("7-visits", title, len(rows), draw, horizontal=True)
