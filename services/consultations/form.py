"""A consultation's form: its questions and how an answer to each is checked. Pure data and
functions; the file format (TOML) is in docs/consultations.md.

Question kinds: ``single`` (one option), ``multiple`` (any options), ``scale`` (1–5), ``number``
and ``text``. Each question is required or optional and has its words per language."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from locales import LOCALES, normalize_locale
from services.errors import Invalid
from services.fanout.audience import Audience
from services.notices.text import MAX_AHEAD, markdown_to_html, parse_when, plain_length

KINDS = ("single", "multiple", "scale", "number", "text")
SCALE = (1, 2, 3, 4, 5)
MAX_QUESTIONS = 30
MAX_OPTIONS = 10
TEXT_ANSWER_LIMIT = 2000
INTRO_LIMIT = 3500
DOCUMENT_INTRO_LIMIT = 600  # with a document the invitation is its caption (1,024 at most)


@dataclass(frozen=True)
class Question:
    kind: str
    required: bool
    text: dict[str, str]  # locale -> plain text
    options: dict[str, list[str]] = field(default_factory=dict)  # locale -> labels

    def words(self, locale: str, fallback: str) -> str:
        return self.text.get(locale) or self.text[fallback]

    def labels(self, locale: str, fallback: str) -> list[str]:
        return self.options.get(locale) or self.options.get(fallback) or []

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "required": self.required,
            "text": self.text,
            "options": self.options,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        return cls(
            str(data["kind"]),
            bool(data.get("required", True)),
            {str(k): str(v) for k, v in data["text"].items()},
            {str(k): [str(o) for o in v] for k, v in (data.get("options") or {}).items()},
        )


@dataclass(frozen=True)
class Form:
    """A consultation as its author wrote it, checked."""

    title: dict[str, str]
    intro: dict[str, str]  # HTML
    questions: list[Question]
    fallback_locale: str
    audience: Audience = field(default_factory=Audience)
    anonymous: bool = False
    opens_at: datetime | None = None  # None: at once
    closes_at: datetime | None = None
    # The draft as a document, sent with the invitation (composed in the bot only):
    # {"file_id": …, "name": …}.
    document: dict[str, Any] | None = None
    group_polls: bool = False  # single-choice questions also as polls in linked groups


def _variants(value: Any, default_locale: str, what: str) -> dict[str, Any]:
    """``"text"`` (the default language) or ``{zh_Hans = "…", en = "…"}``."""
    if isinstance(value, str | list):
        return {default_locale: value}
    if not isinstance(value, dict) or not value:
        raise Invalid("consult.file_field", field=what)
    out = {}
    for key, item in value.items():
        locale = normalize_locale(str(key), "")
        if locale not in LOCALES:
            raise Invalid("consult.file_language", language=str(key)[:20])
        out[locale] = item
    return out


def parse_question(raw: Any, number: int, default_locale: str) -> Question:
    if not isinstance(raw, dict):
        raise Invalid("consult.file_question", number=number)
    kind = str(raw.get("kind", ""))
    if kind not in KINDS:
        raise Invalid("consult.file_kind", number=number, kind=kind[:20])
    text = {
        k: str(v).strip() for k, v in _variants(raw.get("text"), default_locale, "text").items()
    }
    if not all(text.values()):
        raise Invalid("consult.file_question", number=number)
    options: dict[str, list[str]] = {}
    if kind in ("single", "multiple"):
        options = {
            k: [str(o).strip()[:60] for o in v]
            for k, v in _variants(raw.get("options"), default_locale, "options").items()
        }
        counts = {len(v) for v in options.values()}
        if len(counts) != 1 or not 2 <= counts.pop() <= MAX_OPTIONS:
            raise Invalid("consult.file_options", number=number, most=MAX_OPTIONS)
    return Question(kind, bool(raw.get("required", True)), text, options)


def parse_form(source: str, default_locale: str, tz: str, now: datetime) -> Form:
    """A consultation file (TOML) as a checked form; every problem names its place."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise Invalid("consult.file_syntax", problem=str(error)[:120]) from None
    data.pop("intro_html", None)  # a file's introduction is Markdown, never raw HTML
    return form_from_data(data, default_locale, tz, now)


def form_from_data(
    data: dict[str, Any],
    default_locale: str,
    tz: str,
    now: datetime,
    *,
    audience: Audience | None = None,
    document: dict[str, Any] | None = None,
) -> Form:
    """The checks of a consultation, whether it came as a file (its TOML read into ``data``)
    or from the bot's step-by-step composer, which passes the same shape of ``data`` with an
    introduction already in HTML (``intro_html``: Telegram's own formatting of the author's
    message), the audience picked with buttons, and the draft's document, if any."""
    locale = normalize_locale(str(data.get("language", default_locale)), "") or default_locale
    title = {
        k: str(v).strip()[:120] for k, v in _variants(data.get("title"), locale, "title").items()
    }
    if "intro_html" in data:
        intro = {k: str(v) for k, v in (data.get("intro_html") or {}).items() if str(v).strip()}
    else:
        intro_raw = _variants(data.get("intro", ""), locale, "intro")
        intro = {k: markdown_to_html(str(v)) for k, v in intro_raw.items() if str(v).strip()}
    limit = DOCUMENT_INTRO_LIMIT if document is not None else INTRO_LIMIT
    if any(plain_length(v) > limit for v in intro.values()):
        raise Invalid("consult.file_intro_long", limit=limit)
    raw_questions = data.get("questions") or []
    if not raw_questions or len(raw_questions) > MAX_QUESTIONS:
        raise Invalid("consult.file_questions", most=MAX_QUESTIONS)
    questions = [parse_question(q, i + 1, locale) for i, q in enumerate(raw_questions)]
    if locale not in title or not all(locale in q.text for q in questions):
        raise Invalid("consult.file_field", field="title / text")
    opens = _when(data, "opens", tz, now) if data.get("opens") else None
    if not data.get("closes"):
        raise Invalid("consult.file_field", field="closes")
    closes = _when(data, "closes", tz, now)
    if opens is not None and closes <= opens:
        raise Invalid("consult.file_closes_first")
    return Form(
        title,
        intro,
        questions,
        locale,
        audience or _audience(data),
        bool(data.get("anonymous", False)),
        opens,
        closes,
        document,
        bool(data.get("polls", False)),
    )


def _when(data: dict[str, Any], name: str, tz: str, now: datetime) -> datetime:
    try:
        return parse_when(str(data[name]), tz, now)
    except Invalid:
        raise Invalid("consult.file_when", field=name, days=MAX_AHEAD.days) from None


def _audience(data: dict[str, Any]) -> Audience:
    if data.get("points"):
        return Audience("points", point_codes=tuple(str(c) for c in data["points"]))
    if data.get("regions"):
        return Audience("regions", regions=tuple(str(r) for r in data["regions"]))
    return Audience()


_NUMBER = re.compile(r"^\s*-?\d{1,12}([.,]\d{1,4})?\s*$")


def check_answer(question: Question, raw: Any) -> Any:
    """The answer as stored, or Invalid with the reason. ``None`` is a skipped question."""
    if raw is None:
        if question.required:
            raise Invalid("consult.answer_required")
        return None
    if question.kind == "single":
        count = len(next(iter(question.options.values())))
        if not isinstance(raw, int) or not 0 <= raw < count:
            raise Invalid("consult.answer_option")
        return raw
    if question.kind == "multiple":
        count = len(next(iter(question.options.values())))
        picked = sorted(set(raw)) if isinstance(raw, list | tuple | set) else None
        if picked is None or not all(isinstance(i, int) and 0 <= i < count for i in picked):
            raise Invalid("consult.answer_option")
        if not picked:
            if question.required:
                raise Invalid("consult.answer_required")
            return None
        return picked
    if question.kind == "scale":
        if raw not in SCALE or isinstance(raw, bool):
            raise Invalid("consult.answer_scale")
        return int(raw)
    if question.kind == "number":
        text = str(raw)
        if not _NUMBER.match(text):
            raise Invalid("consult.answer_number")
        value = float(text.strip().replace(",", "."))
        return int(value) if value.is_integer() else value
    text = str(raw).strip()
    if not text:
        raise Invalid("consult.answer_text_empty")
    if len(text) > TEXT_ANSWER_LIMIT:
        raise Invalid("consult.answer_text_long", limit=TEXT_ANSWER_LIMIT, length=len(text))
    return text
