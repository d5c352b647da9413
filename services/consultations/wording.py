"""How a consultation reads: the invitation, each question, the summary before Submit, the
results, the outcome, and the author's progress lines. The one rendering place of the feature."""

from __future__ import annotations

from typing import Any

from models.consultations import Consultation, ConsultRun
from models.tables import pk
from services.cards import staff_name
from services.consultations.form import SCALE, Question
from services.fanout.ledger import Progress
from services.fanout.wording import bar, progress_figures
from services.outbox import Button, Keyboard, media_message, text_message
from services.texts import Texts, esc

KIND_KEYS = {
    "single": "consult.kind_single",
    "multiple": "consult.kind_multiple",
    "scale": "consult.kind_scale",
    "number": "consult.kind_number",
    "text": "consult.kind_text",
}


def title_of(consultation: Consultation, locale: str) -> str:
    return consultation.title.get(locale) or consultation.title[consultation.fallback_locale]


def questions_of(consultation: Consultation) -> list[Question]:
    return [Question.from_json(q) for q in consultation.questions]


def _author(texts: Texts, consultation: Consultation, locale: str) -> str:
    if consultation.author_name:
        return staff_name(texts, locale, consultation.author_name, consultation.author_title)
    return texts(locale, "notices.from_office")


def card(texts: Texts, consultation: Consultation, locale: str, tz: str) -> str:
    """The consultation as residents first read it: title, introduction, deadline, privacy."""
    intro = consultation.intro.get(locale) or consultation.intro.get(
        consultation.fallback_locale, ""
    )
    privacy = "consult.anonymous_note" if consultation.anonymous else "consult.named_note"
    return texts(
        locale,
        "consult.card",
        title=esc(title_of(consultation, locale)),
        intro=intro,
        questions=len(consultation.questions),
        closes=texts.when(locale, consultation.closes_at, tz),
        privacy=texts(locale, privacy),
        author=_author(texts, consultation, locale),
    )


def _tz(consultation: Consultation) -> str:
    return str((consultation.audience or {}).get("tz") or "Asia/Shanghai")


def invitation(texts: Texts, consultation: Consultation, locale: str) -> dict[str, Any]:
    """The card with ✍️ Answer; with the draft as a document, the card is its caption."""
    answer = Button(texts(locale, "consult.btn_answer"), "cs_open", pk(consultation))
    text = card(texts, consultation, locale, _tz(consultation))
    if consultation.document:
        file_id = str(consultation.document["file_id"])
        return media_message("document", file_id, caption=text, buttons=[[answer]])
    return text_message(text, [[answer]])


def reminder(texts: Texts, consultation: Consultation, locale: str) -> dict[str, Any]:
    answer = Button(texts(locale, "consult.btn_answer"), "cs_open", pk(consultation))
    text = texts(
        locale,
        "consult.reminder",
        title=esc(title_of(consultation, locale)),
        closes=texts.when(locale, consultation.closes_at, _tz(consultation)),
    )
    return text_message(text, [[answer]])


def outcome(texts: Texts, consultation: Consultation, locale: str) -> dict[str, Any]:
    words = consultation.outcome or {}
    body = words.get(locale) or words.get(consultation.fallback_locale, "")
    text = texts(
        locale,
        "consult.outcome",
        title=esc(title_of(consultation, locale)),
        body=body,
        adopted=consultation.adopted,
        author=_author(texts, consultation, locale),
    )
    return text_message(text)


def question_screen(
    texts: Texts, consultation: Consultation, number: int, locale: str, current: Any
) -> tuple[str, Keyboard]:
    """Question ``number`` (from 0) with its buttons: options, Back, Skip (when optional)."""
    question = questions_of(consultation)[number]
    fallback = consultation.fallback_locale
    cid = pk(consultation)
    rows: Keyboard = []
    if question.kind in ("single", "multiple"):
        picked = set(current or []) if question.kind == "multiple" else {current}
        for i, label in enumerate(question.labels(locale, fallback)):
            mark = "☑️ " if question.kind == "multiple" and i in picked else ""
            mark = "🔘 " if question.kind == "single" and i in picked else mark
            rows.append([Button(mark + label, "cs_pick", cid * 100 + i)])
        if question.kind == "multiple":
            rows.append([Button(texts(locale, "consult.btn_done"), "cs_done", cid)])
    elif question.kind == "scale":
        rows.append(
            [
                Button(("🔘" if current == n else "") + str(n), "cs_pick", cid * 100 + n)
                for n in SCALE
            ]
        )
    nav = []
    if number > 0:
        nav.append(Button(texts(locale, "btn.back"), "cs_back", cid))
    if not question.required:
        nav.append(Button(texts(locale, "consult.btn_skip"), "cs_skip", cid))
    if nav:
        rows.append(nav)
    hint = texts(locale, KIND_KEYS[question.kind])
    need = "" if question.required else texts(locale, "consult.optional")
    text = texts(
        locale,
        "consult.question",
        number=number + 1,
        total=len(consultation.questions),
        text=esc(question.words(locale, fallback)),
        hint=hint + need,
    )
    return text, rows


def answer_text(question: Question, value: Any, locale: str, fallback: str, texts: Texts) -> str:
    if value is None:
        return texts(locale, "consult.skipped")
    if question.kind == "single":
        return question.labels(locale, fallback)[int(value)]
    if question.kind == "multiple":
        labels = question.labels(locale, fallback)
        return ", ".join(labels[int(i)] for i in value)
    return str(value)


def summary(
    texts: Texts, consultation: Consultation, answers: dict[str, Any], locale: str
) -> tuple[str, Keyboard]:
    fallback = consultation.fallback_locale
    lines = []
    for i, question in enumerate(questions_of(consultation)):
        value = answers.get(str(i))
        shown = answer_text(question, value, locale, fallback, texts)
        lines.append(f"{i + 1}. {esc(question.words(locale, fallback))}\n   → {esc(shown)}")
    key = "consult.summary_anonymous" if consultation.anonymous else "consult.summary_named"
    text = texts(locale, key, title=esc(title_of(consultation, locale)), answers="\n".join(lines))
    cid = pk(consultation)
    rows = [
        [Button(texts(locale, "consult.btn_submit"), "cs_submit", cid)],
        [Button(texts(locale, "consult.btn_restart"), "cs_restart", cid)],
    ]
    return text, rows


def results_text(
    texts: Texts, consultation: Consultation, figures: dict[str, Any], locale: str
) -> str:
    """Counts and percentages per option, the scale's average, numbers and free-text themes."""
    fallback = consultation.fallback_locale
    parts = [
        texts(
            locale,
            "consult.results_head",
            title=esc(title_of(consultation, locale)),
            answered=figures["answered"],
            invited=figures["invited"],
        )
    ]
    for i, question in enumerate(questions_of(consultation)):
        stats = figures["questions"][i]
        lines = [f"<b>{i + 1}. {esc(question.words(locale, fallback))}</b>"]
        if question.kind in ("single", "multiple", "scale"):
            labels = (
                question.labels(locale, fallback)
                if question.kind != "scale"
                else [str(n) for n in SCALE]
            )
            total = stats["answered"] or 1
            for label, count in zip(labels, stats["counts"], strict=True):
                share = count / total
                lines.append(f"{bar(share, 8)} {round(share * 100)}% · {esc(label)} ({count})")
            if question.kind == "scale" and stats.get("average") is not None:
                lines.append(texts(locale, "consult.results_average", average=stats["average"]))
            if stats.get("polls"):
                lines.append(_polls_line(texts, stats["polls"], labels, locale))
        elif question.kind == "number":
            if stats["answered"]:
                lines.append(texts(locale, "consult.results_numbers", **stats["numbers"]))
        else:
            lines.extend(_themes(texts, stats, locale))
        lines.append(texts(locale, "consult.results_answered", count=stats["answered"]))
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _polls_line(texts: Texts, polls: dict[str, Any], labels: list[str], locale: str) -> str:
    """The group polls' votes beside the private answers: named, the votes of people who did
    not answer here (each once); anonymous, the polls' totals (never added to the answers)."""
    counts = " · ".join(
        f"{esc(label)} {count}" for label, count in zip(labels, polls["counts"], strict=False)
    )
    key = "consult.results_polls_anonymous" if polls["anonymous"] else "consult.results_polls_named"
    return texts(locale, key, groups=polls["polls"], voters=polls["voters"], counts=counts)


def _themes(texts: Texts, stats: dict[str, Any], locale: str) -> list[str]:
    """Each theme: its size and shared words, then its masked excerpts; then how many answers
    share no theme."""
    lines = []
    for number, theme in enumerate(stats.get("themes") or [], 1):
        words = " · ".join(esc(w) for w in theme["words"]) or "…"
        size = int(theme["size"])
        lines.append(
            texts.plural(locale, "consult.results_theme", size, number=number, words=words)
        )
        lines.extend(f"   «{esc(e)}»" for e in theme["excerpts"])
    if stats.get("alone"):
        lines.append(texts.plural(locale, "consult.results_alone", int(stats["alone"])))
    if stats.get("grouped", 0) < stats["answered"]:
        lines.append(texts(locale, "consult.results_grouped_first", count=stats["grouped"]))
    return lines


def run_progress(
    texts: Texts, consultation: Consultation, run: ConsultRun, progress: Progress, locale: str
) -> str:
    key = "consult.outcome_progress" if run.purpose == "outcome" else "consult.invite_progress"
    figures = progress_figures(texts, locale, progress)
    if progress.finished:
        figures["eta"] = texts(locale, "consult.run_done")
    return texts(locale, key, id=consultation.id, **figures)
