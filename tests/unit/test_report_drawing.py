"""Who draws a report's charts (``services.reports.drawing``): the charts shared out by their
drawing time, and the processes ``cpbot report`` forks — the same charts as drawn in one
process, none lost when a drawing process dies or fails, none left running.

The forked drawer runs in a fresh interpreter (a subprocess), as in ``cpbot report``: forking
the test process, with whatever threads it has, is what ``ForkedDrawer.start`` refuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from services.reports.chart_specs import Bars, Ranking, Trend, VisitBars
from services.reports.drawing import ForkedDrawer, InThread, share

ROOT = Path(__file__).resolve().parents[2]

SPECS = """
from services.reports.chart_specs import Bars, Ranking, Trend, VisitBars
SPECS = [
    Bars("1-categories", "按类别 2026-11", ["道路", "供水"], [4.0, 1.0], "诉求件数", 0, "无"),
    Bars("2-kinds", "Kinds", [], [], "Cases", 0, "No cases this month"),
    Trend("3-trend", "Rates", [f"26-{m:02d}" for m in range(1, 13)],
          {"Response": [None] * 11 + [0.6], "Resolution": [0.5] * 12,
           "Satisfaction": [None] * 12}, "Rating", [None] * 11 + [4.0]),
    Ranking("4-points", "Points", ["Xinhua", "Jinghu"],
            {"a": [0.5, 1.0], "b": [0.25, 0.0], "c": [1.0, 0.0]}, "none"),
    Ranking("5-cadres", "Cadres", [], {"a": [], "b": [], "c": []}, "No cases"),
    Bars("6-overdue", "Overdue", ["Xinhua"], [2.0], "Overdue", 2, "none"),
    VisitBars("7-visits", "Visits", ["Li · Xinhua"], [1], [2], [False], "Days", "Required",
              "none"),
]
"""

PROBE = (
    SPECS
    + """
import asyncio, json, logging, multiprocessing, os, signal, sys
from services.reports.drawing import ForkedDrawer

warnings = []
class Catch(logging.Handler):
    def emit(self, record):
        warnings.append(record.getMessage())
logging.getLogger("services.reports.drawing").addHandler(Catch())

def shown(charts):
    return [[c.name, c.title, c.series, c.labels, c.png.hex()] for c in charts]

out = {}
scenario = sys.argv[1]
drawer = ForkedDrawer.start()
out["started"] = drawer is not None
if scenario == "normal":
    drawer.submit(SPECS)
    charts = asyncio.run(drawer.charts())
    out["matplotlib_here"] = "matplotlib" in sys.modules
    from services.reports.charts import draw_charts
    out["forked"] = shown(charts)
    out["here"] = shown(draw_charts(SPECS))
elif scenario == "dead":
    os.kill(drawer.process.pid, signal.SIGKILL)
    drawer.process.join()
    drawer.submit(SPECS)
    out["forked"] = shown(asyncio.run(drawer.charts()))
elif scenario == "failing":
    bad = [*SPECS, Bars("8-bad", "Bad", ["one"], [1.0], "x", 9, "none")]  # no 10th colour
    drawer.submit(bad)
    try:
        asyncio.run(drawer.charts())
    except Exception as exc:
        out["raised"] = type(exc).__name__
elif scenario == "unused":
    drawer.close()
    out["exitcode"] = drawer.process.exitcode
out["alive"] = drawer.process.is_alive()
out["children"] = len(multiprocessing.active_children())
out["warnings"] = warnings
print(json.dumps(out))
"""
)


def probe(scenario: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, scenario],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["started"] is True  # a fresh process on Linux forks
    assert result["alive"] is False and result["children"] == 0, result
    return result


def specs() -> list[Bars | Ranking | Trend | VisitBars]:
    scope: dict[str, object] = {}
    exec(SPECS, scope)  # the same charts as the probe draws
    return scope["SPECS"]  # type: ignore[return-value]


def test_the_charts_are_shared_out_by_their_drawing_time() -> None:
    charts = specs()
    groups = share(charts)
    assert sorted(i for group in groups for i in group) == list(range(len(charts)))
    loads = [sum(charts[i].cost for i in group) for group in groups]
    # The trend costs most; every chart with nothing to show costs least.
    assert charts[2].cost > charts[3].cost > charts[0].cost > charts[1].cost
    assert max(loads) - min(loads) <= max(c.cost for c in charts)
    # An empty month: the trend takes as long as the six charts that say there is nothing.
    empty = [charts[2], *(Bars(str(i), "t", [], [], "x", 0, "e") for i in range(6))]
    assert sorted(share(empty)) == [[0], [1, 2, 3, 4, 5, 6]]


def test_a_forked_drawer_draws_what_one_process_draws() -> None:
    """The command's own process never loads matplotlib, and gets the very same PNGs and
    drawn values as drawing in one process gives — whichever of the two processes drew."""
    result = probe("normal")
    assert result["matplotlib_here"] is False
    assert result["forked"] == result["here"]
    assert [c[0] for c in result["forked"]] == [s.name for s in specs()]  # type: ignore[union-attr]
    assert result["warnings"] == []


def test_a_drawing_process_that_died_costs_no_chart() -> None:
    result = probe("dead")
    names = [c[0] for c in result["forked"]]  # type: ignore[union-attr]
    assert names == [s.name for s in specs()]
    assert any("gone" in w or "ended" in w for w in result["warnings"])  # type: ignore[union-attr]


def test_a_chart_that_cannot_be_drawn_is_an_error_not_a_hang() -> None:
    """The drawing process reports the failure; the command draws again itself, where the
    error surfaces as it would without the drawing process."""
    result = probe("failing")
    assert result["raised"] == "IndexError"
    assert any("failed" in w for w in result["warnings"])  # type: ignore[union-attr]


def test_a_drawer_given_nothing_ends_when_closed() -> None:
    """A report that failed before its charts (a bad month, no such region) leaves no process
    behind: closing the pipe ends the drawing process by itself (exit code 0: it was not
    terminated, which would be -15)."""
    result = probe("unused")
    assert result["exitcode"] == 0


def test_forking_is_refused_while_threads_run() -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert ForkedDrawer.start() is None
    finally:
        stop.set()
        worker.join()


@pytest.mark.asyncio
async def test_drawing_in_a_thread_draws_every_chart() -> None:
    drawing = InThread()
    drawing.submit(specs())
    charts = await drawing.charts()
    assert [c.name for c in charts] == [s.name for s in specs()]
    assert charts[0].series["诉求件数"] == [4.0, 1.0] and charts[0].labels == ["道路", "供水"]
    assert charts[6].series["Days"] == [1.0]


def test_every_chart_is_a_phone_wide_png_drawn_once_as_savefig_would() -> None:
    """``write_png`` lays out and draws once; ``savefig`` would draw twice for the same bytes.
    Every chart, empty or not, is 1080 px wide (150 dpi × 7.2 in)."""
    import io

    from matplotlib.figure import Figure

    from services.reports import charts

    drawn = charts.draw_charts(specs())
    for chart in drawn:
        assert chart.png.startswith(b"\x89PNG")
        assert int.from_bytes(chart.png[16:20], "big") == 1080, chart.name
    saved: list[bytes] = []
    real = charts.write_png

    def also_saved(fig: Figure, out: io.BytesIO) -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=charts.DPI)
        saved.append(buf.getvalue())
        real(fig, out)

    charts.write_png = also_saved  # type: ignore[assignment]
    try:
        again = charts.draw_chart(specs()[0])
    finally:
        charts.write_png = real
    assert saved == [again.png] == [drawn[0].png]
