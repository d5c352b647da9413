"""Results of a consultation: counts and percentages per option, the scale's average, number
answers, free-text themes, and the XLSX export (one row per submission, never a person for an
anonymous consultation).

The themes are a small word count of their own; the weekly digest in services/reports/ groups
texts too, and the two should share one grouping once both are merged."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from services.consultations.form import SCALE, Question

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}|[\u4e00-\u9fff]+")
_STOP = {
    "that", "this", "with", "have", "from", "they", "there", "would", "should", "could",
    "about", "which", "their", "will", "more", "very", "also", "been", "were", "what",
    "when", "some", "into", "than", "then", "them", "these", "those", "just", "only",
}  # fmt: skip


def _terms(text: str) -> set[str]:
    """The words of one answer: English words of four letters or more, Chinese pairs of
    characters (no word segmenter needed for a rough theme)."""
    terms = set()
    for match in _WORD.findall(text.lower()):
        if match[0] >= "\u4e00":
            terms |= {match[i : i + 2] for i in range(len(match) - 1)} or {match}
        elif match not in _STOP:
            terms.add(match)
    return terms


def themes(texts: Iterable[str], most: int = 5) -> list[tuple[str, int]]:
    """The words most answers share, with how many answers use each."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_terms(text))
    return [(word, n) for word, n in counts.most_common(most) if n > 1 or len(counts) <= most]


def figures(
    questions: list[Question], submissions: list[dict[str, Any]], invited: int
) -> dict[str, Any]:
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
            stats["themes"] = themes(str(v) for v in values)
        per_question.append(stats)
    return {"answered": len(submissions), "invited": invited, "questions": per_question}


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def xlsx(
    questions: list[Question],
    locale: str,
    fallback: str,
    rows: list[tuple[str | None, dict[str, Any]]],
    person_heading: str | None,
) -> bytes:
    """One sheet, one row per submission; a "person" column only for named consultations."""
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
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
