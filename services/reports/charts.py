"""The report's charts: PNG, sized for a phone held upright, labels in the reader's language
from the catalogs, Chinese drawn with the font that ships in ``services/fonts/``.

Each chart also returns what it drew, read back from matplotlib's own artists (bar lengths,
line points, tick labels), so tests check the data on the chart rather than its pixels.
Figures are built without pyplot (no global state), so reports can render in threads.
What the monthly report's charts show comes as plain data (``chart_specs``); who draws them,
a thread or processes of their own, is ``drawing``'s choice.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence

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
from services.reports.chart_specs import Bars, Chart, ChartSpec, Ranking, Trend, VisitBars

WIDTH_IN = 7.2  # 1080 px at 150 dpi: a phone's screen width
DPI = 150
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


def write_png(fig: Figure, out: io.BytesIO) -> None:
    """The figure as PNG, at its own DPI. Not ``fig.savefig``: with a layout engine, savefig
    first draws the whole figure once without output (to lay it out at the saving DPI), then
    again; the canvas's own ``print_png`` lays out and draws once. The same bytes, 15-30 % less
    drawing time a chart (docs/performance.md, twelfth pass)."""
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.print_png(out)  # type: ignore[no-untyped-call]  # matplotlib's own, untyped


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
        write_png(fig, buf)
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


def render_empty(name: str, title: str, text: str) -> Chart:
    """A chart with nothing to show: its title and what it would have shown. Two texts at
    fixed places, without axes or a layout pass — half the drawing time of an empty axes laid
    out (22 against 42 ms), which counts in a month with few cases (docs/performance.md)."""
    with matplotlib.rc_context({"font.family": [font_family()], "font.weight": "bold"}):
        fig = Figure(figsize=(WIDTH_IN, 4.0), dpi=DPI)
        FigureCanvasAgg(fig)
        fig.text(0.02, 0.95, title, fontsize=15, ha="left", va="top")
        fig.text(0.5, 0.45, text, fontsize=14, ha="center", va="center")
        buf = io.BytesIO()
        write_png(fig, buf)
    return Chart(name, buf.getvalue(), title)


def _bars(spec: Bars) -> Chart:
    if not spec.values:
        return render_empty(spec.name, spec.title, spec.empty)

    def draw(ax: Axes) -> None:
        draw_barh(ax, spec.labels, spec.values, spec.label, COLORS[spec.color])

    return render_chart(spec.name, spec.title, len(spec.values), draw, horizontal=True)


def _trend(spec: Trend) -> Chart:
    positions = list(range(len(spec.months)))

    def draw(ax: Axes) -> None:
        for (label, values), color in zip(spec.lines.items(), COLORS, strict=False):
            ys = [float("nan") if v is None else v for v in values]
            ax.plot(positions, ys, marker="o", linewidth=2.5, label=label, color=color)
        ax.set_xlim(-0.5, len(positions) - 0.5)
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xticks(positions, spec.months, rotation=45)
        ax.grid(axis="y", alpha=0.3)

    def rating_axis(fig: Figure) -> dict[str, list[float]]:
        ax = fig.axes[0]
        twin = ax.twinx()
        ys = [float("nan") if v is None else v for v in spec.rating]
        (line,) = twin.plot(
            positions, ys, linestyle="--", marker="s", color=COLORS[3], label=spec.rating_label
        )
        twin.set_ylim(0, 5.25)
        twin.set_ylabel(spec.rating_label, fontsize=12)
        twin.spines[["top"]].set_visible(False)
        handles, names = ax.get_legend_handles_labels()
        ax.legend(
            [*handles, line], [*names, spec.rating_label], loc="lower left", fontsize=10, ncols=2
        )
        return {spec.rating_label: np.asarray(line.get_ydata(), dtype=float).tolist()}

    return render_chart(spec.name, spec.title, 0, draw, horizontal=False, extra=rating_axis)


def _ranking(spec: Ranking) -> Chart:
    count = len(spec.labels)
    if not count:
        return render_empty(spec.name, spec.title, spec.empty)

    def draw(ax: Axes) -> None:
        height = 0.27
        for i, (label, series) in enumerate(spec.series.items()):
            positions = [p + (i - 1) * height for p in range(count)]
            ax.barh(positions, series, height=height, label=label, color=COLORS[i])
        ax.set_yticks(list(range(count)), spec.labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.legend(loc="lower right", fontsize=10)

    return render_chart(spec.name, spec.title, count, draw, horizontal=True)


def _visits(spec: VisitBars) -> Chart:
    if not spec.labels:
        return render_empty(spec.name, spec.title, spec.empty)

    def draw(ax: Axes) -> None:
        positions = list(range(len(spec.labels)))
        colors = [COLORS[1] if met else COLORS[2] for met in spec.met]
        bars = ax.barh(positions, spec.days, color=colors, label=spec.days_label)
        ax.bar_label(bars, fontsize=11, padding=3)
        ax.plot(spec.required, positions, "k|", markersize=22, label=spec.required_label)
        ax.set_yticks(positions, spec.labels)
        ax.invert_yaxis()
        ax.margins(x=0.15)
        ax.legend(loc="lower right", fontsize=10)

    return render_chart(spec.name, spec.title, len(spec.labels), draw, horizontal=True)


def draw_chart(spec: ChartSpec) -> Chart:
    """One of the monthly report's charts, drawn (``chart_specs`` says what it shows)."""
    if isinstance(spec, Bars):
        return _bars(spec)
    if isinstance(spec, Trend):
        return _trend(spec)
    if isinstance(spec, Ranking):
        return _ranking(spec)
    return _visits(spec)


def draw_charts(specs: Sequence[ChartSpec]) -> list[Chart]:
    return [draw_chart(spec) for spec in specs]
