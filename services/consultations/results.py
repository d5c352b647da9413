"""Results of a consultation: counts and percentages per option, the scale's average, number
answers, free-text themes, and the XLSX export (one row per submission, never a person for an
anonymous consultation).

Free-text answers are grouped into themes by the weekly digest's grouping
(``services.digest.grouping``: TF-IDF over words and character n-grams, average-linkage
clustering), each theme with its size and a few excerpts masked as in the digest
(``services.digest.masking``). scikit-learn and jieba load only when a consultation has text
answers to group, never with the bot's other imports."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from services.consultations.form import SCALE, Question
from services.digest.masking import excerpt

MIN_THEME = 2  # as the digest: one answer is not yet a theme
MAX_THEMES = 8  # as the digest's groups
EXCERPTS = 3  # as the digest: up to three excerpts a theme
MAX_GROUPED = 2000  # as the digest's cases: the most answers grouped at once
THEME_WORDS = 3  # the words a theme is labelled with


def themes(texts: Sequence[str], names: Iterable[str] = ()) -> dict[str, Any]:
    """Free-text answers grouped as the weekly digest groups cases: the largest themes first,
    each with its size, the words its answers share most and up to three masked excerpts
    (``names``: people's names to mask besides the patterns); ``alone``: answers in no theme;
    ``grouped``: how many were grouped (at most ``MAX_GROUPED``)."""
    texts = [t for t in texts if t.strip()][:MAX_GROUPED]
    if not texts:
        return {"themes": [], "alone": 0, "grouped": 0}
    # scikit-learn, SciPy and jieba take ~100 MB and seconds to import: only when grouping.
    from services.digest.grouping import group, tokens

    names = list(names)
    members: dict[int, list[str]] = {}
    for label, text in zip(group(texts), texts, strict=True):
        members.setdefault(label, []).append(text)
    found: list[dict[str, Any]] = []
    alone = 0
    for items in members.values():
        if len(items) < MIN_THEME:
            alone += len(items)
            continue
        shared: Counter[str] = Counter()
        for text in items:
            shared.update(set(tokens(text)))
        words = [w for w, n in shared.most_common(THEME_WORDS) if n > 1]
        excerpts: list[str] = []
        for text in sorted(items, key=len):  # the shortest say it most plainly
            cut = excerpt(text, names)
            if cut not in excerpts:
                excerpts.append(cut)
            if len(excerpts) == EXCERPTS:
                break
        found.append({"size": len(items), "words": words, "excerpts": excerpts})
    found.sort(key=lambda theme: -int(theme["size"]))
    alone += sum(int(theme["size"]) for theme in found[MAX_THEMES:])
    return {"themes": found[:MAX_THEMES], "alone": alone, "grouped": len(texts)}


def figures(
    questions: list[Question],
    submissions: list[dict[str, Any]],
    invited: int,
    names: Iterable[str] = (),
) -> dict[str, Any]:
    """Every question's figures. CPU work (the text grouping above all): callers run it off
    the event loop."""
    names = list(names)
    per_question = []
    for i, question in enumerate(questions):
        values = [s[str(i)] for s in submissions if s.get(str(i)) is not None]
        stats: dict[str, Any] = {"answered": len(values)}
        if question.kind in ("single", "multiple"):
            size = len(next(iter(question.options.values())))
            counts = [0] * size
            for value in values:
                for pick in value if isinstance(value, list) else [value]:
                    counts[int(pick)] += 1
            stats["counts"] = counts
        elif question.kind == "scale":
            stats["counts"] = [sum(1 for v in values if v == n) for n in SCALE]
            stats["average"] = round(sum(values) / len(values), 1) if values else None
        elif question.kind == "number":
            numbers = [float(v) for v in values]
            if numbers:
                stats["numbers"] = {
                    "low": _num(min(numbers)),
                    "high": _num(max(numbers)),
                    "average": _num(round(sum(numbers) / len(numbers), 2)),
                }
        else:
            stats.update(themes([str(v) for v in values], names))
        per_question.append(stats)
    return {"answered": len(submissions), "invited": invited, "questions": per_question}


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True)
class PollSheet:
    """The export's sheet of group polls, in the reader's language: per polled question the
    votes per option (named: people who did not answer in the bot, each once; anonymous: the
    polls' totals) and how many voted."""

    title: str
    note: str
    heading: list[str]
    voters_label: str
    figures: dict[int, dict[str, Any]]


def xlsx(
    questions: list[Question],
    locale: str,
    fallback: str,
    rows: list[tuple[str | None, dict[str, Any]]],
    person_heading: str | None,
    polls: PollSheet | None = None,
) -> bytes:
    """One sheet, one row per submission; a "person" column only for named consultations.
    With ``polls``, a second sheet of the group polls' votes per question and option."""
    from openpyxl import Workbook  # imported when exporting: it slows every process's start

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    head = [q.words(locale, fallback) for q in questions]
    sheet.append(([person_heading] if person_heading else []) + head)
    for person, answers in rows:
        cells: list[Any] = [person] if person_heading else []
        for i, question in enumerate(questions):
            value = answers.get(str(i))
            if value is None:
                cells.append(None)
            elif question.kind == "single":
                cells.append(question.labels(locale, fallback)[int(value)])
            elif question.kind == "multiple":
                labels = question.labels(locale, fallback)
                cells.append("; ".join(labels[int(v)] for v in value))
            else:
                cells.append(value)
        sheet.append(cells)
    if polls is not None and polls.figures:
        extra = book.create_sheet(polls.title[:31])
        extra.append([polls.note])
        extra.append(polls.heading)
        for number, entry in sorted(polls.figures.items()):
            if not 0 <= number < len(questions):
                continue
            question = questions[number]
            labels = question.labels(locale, fallback)
            words = question.words(locale, fallback)
            for label, count in zip(labels, entry["counts"], strict=False):
                extra.append([words, label, int(count)])
            extra.append([words, polls.voters_label, int(entry["voters"])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
