"""Who draws a report's charts: a thread of this process (the bot), or — for ``cpbot report`` —
processes forked when the command starts, so that matplotlib loads while the command loads the
models and reads the figures, and the charts are drawn while it writes the workbook.

Why: importing matplotlib and drawing seven charts were 0.8 s of the command's 1.45 s, run
after its own imports and queries on one core (docs/performance.md, twelfth pass). A process
forked before either starts importing matplotlib on the other core at once; once the figures
are read, it forks a helper (which shares the loaded matplotlib) and the two draw half of the
charts each. ``concurrent.futures``' process pool would start its workers only on the first
task and from this process, so each would import matplotlib again after the figures are read;
what is here is the standard library's ``multiprocessing`` with the fork start method.

What can go wrong, and what happens then:
- no fork on this system, or threads already running (forking them is unsafe): the command
  draws in a thread of its own process, as the bot does;
- a drawing process dies, fails or sends nothing for ``DRAW_SECONDS``: the command draws the
  charts itself and logs a warning (a chart that cannot be drawn then fails the command);
- the command fails or is interrupted before it has charts to draw: ``close`` ends the
  drawing process (it sees its pipe close and exits); Ctrl-C reaches only the command (the
  drawing processes ignore SIGINT and end with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # multiprocessing loads only where a drawing process is started
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from services.reports.chart_specs import Chart, ChartSpec

log = logging.getLogger(__name__)
JOIN_SECONDS = 5.0
# Seven charts take well under a second; past this the drawing process is taken as stuck (it is
# ended, and the command draws the charts itself).
DRAW_SECONDS = 60.0


class ChartDrawing(Protocol):
    """Takes the charts to draw as soon as the figures are known (``submit``), and returns them
    drawn when asked (``charts``), so that other work can run in between."""

    def submit(self, specs: Sequence[ChartSpec]) -> None: ...

    async def charts(self) -> list[Chart]: ...


def draw_here(specs: Sequence[ChartSpec]) -> list[Chart]:
    from services.reports.charts import draw_charts

    return draw_charts(specs)


class InThread:
    """Draws in a thread of this process, off the event loop (the bot's way)."""

    def __init__(self) -> None:
        self.specs: list[ChartSpec] = []

    def submit(self, specs: Sequence[ChartSpec]) -> None:
        self.specs = list(specs)

    async def charts(self) -> list[Chart]:
        return await asyncio.to_thread(draw_here, self.specs)


def share(specs: Sequence[ChartSpec], ways: int = 2) -> list[list[int]]:
    """Split the charts' indexes into ``ways`` groups of about equal drawing time, the costliest
    first (the longest-processing-time rule)."""
    groups: list[list[int]] = [[] for _ in range(ways)]
    loads = [0.0] * ways
    for i in sorted(range(len(specs)), key=lambda i: -specs[i].cost):
        least = loads.index(min(loads))
        groups[least].append(i)
        loads[least] += specs[i].cost
    return groups


class ForkedDrawer:
    """A drawing process forked now, that imports matplotlib while this one goes on."""

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.specs: list[ChartSpec] = []
        self.sent = False

    @classmethod
    def start(cls) -> ForkedDrawer | None:
        """None where forking is not available or not safe (threads running)."""
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        if threading.active_count() > 1:
            return None
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        # Output waiting in this process's buffers would be written by the child too.
        sys.stdout.flush()
        sys.stderr.flush()
        process = context.Process(
            target=_serve, args=(theirs, ours), name="cpbot-charts", daemon=False
        )
        try:
            process.start()
        except OSError as exc:
            log.warning("charts: cannot fork a drawing process (%s); drawing here", exc)
            ours.close()
            theirs.close()
            return None
        theirs.close()
        return cls(process, ours)

    def submit(self, specs: Sequence[ChartSpec]) -> None:
        self.specs = list(specs)
        try:
            self.conn.send(self.specs)
            self.sent = True
        except (OSError, ValueError) as exc:  # it died; ``charts`` draws here
            log.warning("charts: the drawing process is gone (%s); drawing here", exc)

    async def charts(self) -> list[Chart]:
        drawn: list[Chart] | None = None
        if self.sent:
            drawn = await asyncio.to_thread(self._receive)
        self.close()
        if drawn is None or [c.name for c in drawn] != [s.name for s in self.specs]:
            return await asyncio.to_thread(draw_here, self.specs)
        return drawn

    def _receive(self) -> list[Chart] | None:
        try:
            if not self.conn.poll(DRAW_SECONDS):
                log.warning("charts: no charts in %s s; drawing here", DRAW_SECONDS)
                return None
            status, value = self.conn.recv()
        except (OSError, EOFError) as exc:
            log.warning("charts: the drawing process ended without charts (%r)", exc)
            return None
        if status != "ok":
            log.warning("charts: the drawing process failed: %s; drawing here", value)
            return None
        return list(value)

    def close(self) -> None:
        """End the drawing process (it sees its pipe close); idempotent."""
        self.conn.close()
        self.process.join(JOIN_SECONDS)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(JOIN_SECONDS)


def _serve(conn: Connection, parent_end: Connection) -> None:
    """The drawing process: load matplotlib, wait for the charts, draw them with a helper."""
    parent_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()  # a short-lived process: no collection passes over matplotlib's objects
    try:
        from services.reports import charts

        charts.font_family()
    except Exception:  # the command finds the pipe closed, draws itself and meets the error
        return
    try:
        specs: list[ChartSpec] = conn.recv()
    except (EOFError, OSError):  # the command ended without asking for charts
        return
    try:
        conn.send(("ok", _draw_shared(specs)))
    except (OSError, ValueError):  # the command is gone
        return
    except Exception as exc:  # told to the command, which draws itself and meets the error
        try:
            conn.send(("failed", repr(exc)))
        except OSError:
            return


def _draw_shared(specs: list[ChartSpec]) -> list[Chart]:
    """Draw with a helper forked from this process: it shares the loaded matplotlib."""
    import multiprocessing

    mine, theirs = share(specs)
    if not theirs:
        return draw_here(specs)
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    helper = context.Process(
        target=_draw_into, args=(writer, reader, [specs[i] for i in theirs]), daemon=False
    )
    try:
        helper.start()
        helping = True
    except OSError:
        mine, theirs, helping = mine + theirs, [], False
    writer.close()
    try:
        drawn = dict(zip(mine, draw_here([specs[i] for i in mine]), strict=True))
        helped: list[Chart] | None = None
        if helping:
            with contextlib.suppress(EOFError, OSError):
                helped = reader.recv()
        if theirs and (helped is None or len(helped) != len(theirs)):
            helped = draw_here([specs[i] for i in theirs])
        drawn.update(zip(theirs, helped or [], strict=True))
    finally:
        reader.close()  # a helper still sending gets a broken pipe and ends
        if helping:
            helper.join()
    return [drawn[i] for i in range(len(specs))]


def _draw_into(conn: Connection, reader: Connection, specs: list[ChartSpec]) -> None:
    reader.close()  # the drawing process's end: held here too, it would never see a reader go
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(Exception):  # the drawing process then draws these itself
        conn.send(draw_here(specs))
