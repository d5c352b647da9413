"""The author's charts: one PNG per choice or scale question, drawn by the monthly report's
chart helpers (``services.reports.charts``: phone-sized, the bundled CJK font, what was drawn
read back for tests), with words from the catalogs in the reader's language.

matplotlib is imported by ``services.reports.charts`` itself, so this module imports it only
inside ``draw``: a bot process that never shows a chart never loads it.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from services.consultations.form import SCALE, Question
from services.texts import Texts

if TYPE_CHECKING:
    from services.reports.chart_specs import Chart

CHARTED = ("single", "multiple", "scale")
TITLE_WIDTH = 56  # characters a title line holds at the chart's width
TITLE_WIDTH_CJK = 34  # Chinese characters are about twice as wide
TITLE_LINES = 3


def _title(number: int, words: str) -> str:
    wide = any("\u2e80" <= ch <= "\uffef" for ch in words)
    width = TITLE_WIDTH_CJK if wide else TITLE_WIDTH
    lines = textwrap.wrap(f"{number}. {words}", width) or [str(number)]
    if len(lines) > TITLE_LINES:
        lines = lines[:TITLE_LINES]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return "\n".join(lines)


def draw(
    texts: Texts,
    questions: list[Question],
    figures: dict[str, Any],
    locale: str,
    fallback: str,
) -> list[Chart]:
    """A horizontal bar chart of the answers to each choice and scale question, in order;
    after a question also posted as group polls, a chart of the polls' votes."""
    from matplotlib.axes import Axes
    from matplotlib.ticker import MaxNLocator

    from services.reports.charts import COLORS, draw_barh, draw_empty, render_chart

    series = texts(locale, "consult.chart_answers")
    out: list[Chart] = []
    for i, question in enumerate(questions):
        if question.kind not in CHARTED:
            continue
        stats = figures["questions"][i]
        if question.kind == "scale":
            labels = [texts(locale, "consult.chart_scale", value=n) for n in SCALE]
        else:
            labels = [label[:40] for label in question.labels(locale, fallback)]
        counts = [int(c) for c in stats["counts"]]
        answered = int(stats["answered"])
        color = COLORS[1] if question.kind == "scale" else COLORS[0]

        def plot(
            ax: Axes,
            labels: list[str] = labels,
            counts: list[int] = counts,
            n: int = answered,
            color: str = color,
        ) -> None:
            if not n:
                draw_empty(ax, texts(locale, "consult.chart_none"))
                return
            draw_barh(ax, labels, counts, series, color)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: whole numbers
            ax.set_xlabel(texts(locale, "consult.chart_axis", count=n), fontsize=11)

        title = _title(i + 1, question.words(locale, fallback))
        out.append(render_chart(f"q{i + 1:02d}", title, len(labels) + 2, plot, horizontal=True))
        if stats.get("polls"):
            out.append(_polls_chart(texts, i, question, stats["polls"], labels, locale, fallback))
    return out


def _polls_chart(
    texts: Texts,
    i: int,
    question: Question,
    polls: dict[str, Any],
    labels: list[str],
    locale: str,
    fallback: str,
) -> Chart:
    """The question's group polls beside its answers: named, the votes of people who did not
    answer in the bot (each once); anonymous, the polls' totals (never added to the answers)."""
    from matplotlib.axes import Axes
    from matplotlib.ticker import MaxNLocator

    from services.reports.charts import COLORS, draw_barh, draw_empty, render_chart

    counts = [int(c) for c in polls["counts"]]
    voters = int(polls["voters"])
    axis = (
        "consult.chart_polls_axis_anonymous" if polls["anonymous"] else "consult.chart_polls_axis"
    )

    def plot(ax: Axes) -> None:
        if not voters:
            draw_empty(ax, texts(locale, "consult.chart_polls_none"))
            return
        draw_barh(ax, labels, counts, texts(locale, "consult.chart_polls"), COLORS[3])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(texts(locale, axis, count=voters, groups=polls["polls"]), fontsize=11)

    words = texts(locale, "consult.chart_polls_title", question=question.words(locale, fallback))
    title = _title(i + 1, words)
    return render_chart(f"q{i + 1:02d}-polls", title, len(labels) + 2, plot, horizontal=True)
