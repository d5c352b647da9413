"""The step-by-step composer's rules (``/consult`` → New in the bot): each typed step checked
on its own, the fields of another language's variant, and the quick deadlines. The draft has
a consultation file's shape, so the finished draft goes through ``form_from_data`` — the
checks a file gets — before its preview and again when it is sent.

Pure functions over plain data: the draft lives in the author's conversation state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.consultations.form import (
    DOCUMENT_INTRO_LIMIT,
    INTRO_LIMIT,
    KINDS,
    MAX_OPTIONS,
    MAX_QUESTIONS,
)
from services.errors import Invalid
from services.notices.text import plain_length

TITLE_LIMIT = 120
QUESTION_LIMIT = 300
OPTION_LIMIT = 60
CHOICE = ("single", "multiple")
QUICK_DEADLINES = (3, 7, 14)  # days after opening, at 18:00 at the point
DEADLINE_HOUR = 18
DOCUMENT_LIMIT = 20_000_000  # bytes: a bot may pass on files up to 20 MB


def new_draft(language: str) -> dict[str, Any]:
    return {
        "language": language,
        "title": {},
        "intro_html": {},
        "document": None,
        "questions": [],
        "audience": None,
        "opens": None,
        "closes": None,
        "anonymous": False,
    }


def check_title(text: str | None) -> str:
    words = " ".join((text or "").split())
    if not words or len(words) > TITLE_LIMIT:
        raise Invalid("consult.w_title_bad", most=TITLE_LIMIT)
    return words


def check_intro(html_text: str | None, *, with_document: bool) -> str:
    if not html_text or not html_text.strip():
        raise Invalid("consult.w_text_only")
    limit = DOCUMENT_INTRO_LIMIT if with_document else INTRO_LIMIT
    length = plain_length(html_text)
    if length > limit:
        raise Invalid("consult.w_intro_long", limit=limit, length=length)
    return html_text


def check_document(name: str | None, size: int | None, draft: dict[str, Any]) -> None:
    if (size or 0) > DOCUMENT_LIMIT:
        raise Invalid("consult.w_document_big", most=DOCUMENT_LIMIT // 1_000_000)
    for intro in (draft.get("intro_html") or {}).values():
        if plain_length(intro) > DOCUMENT_INTRO_LIMIT:
            raise Invalid("consult.w_intro_long_for_document", limit=DOCUMENT_INTRO_LIMIT)


def check_kind(kind: str, draft: dict[str, Any]) -> str:
    if kind not in KINDS:
        raise Invalid("button.stale")
    if len(draft["questions"]) >= MAX_QUESTIONS:
        raise Invalid("consult.file_questions", most=MAX_QUESTIONS)
    return kind


def check_question(text: str | None) -> str:
    words = " ".join((text or "").split())
    if not words or len(words) > QUESTION_LIMIT:
        raise Invalid("consult.w_question_bad", most=QUESTION_LIMIT)
    return words


def check_options(text: str | None, count: int | None = None) -> list[str]:
    """One option a line; 2 to 10, each short, none twice; ``count``: as many as another
    language's (a variant)."""
    options = [" ".join(line.split()) for line in (text or "").splitlines()]
    options = [o for o in options if o]
    if count is not None and len(options) != count:
        raise Invalid("consult.w_options_count", count=count)
    if not 2 <= len(options) <= MAX_OPTIONS or any(len(o) > OPTION_LIMIT for o in options):
        raise Invalid("consult.w_options_bad", most=MAX_OPTIONS, length=OPTION_LIMIT)
    if len({o.casefold() for o in options}) != len(options):
        raise Invalid("consult.w_options_twice")
    return options


def slots(draft: dict[str, Any]) -> list[tuple[str, int]]:
    """The fields a variant in another language fills, in order: the title, the introduction
    (when there is one), and each question's words and options."""
    out: list[tuple[str, int]] = [("title", 0)]
    if draft.get("intro_html"):
        out.append(("intro", 0))
    for i, question in enumerate(draft["questions"]):
        out.append(("text", i))
        if question["kind"] in CHOICE:
            out.append(("options", i))
    return out


def fill_slot(draft: dict[str, Any], slot: tuple[str, int], locale: str, message: Any) -> None:
    """Store a variant's field from what the author typed (``message``: text, or HTML for the
    introduction), checked as the author's own language is."""
    what, i = slot
    if what == "title":
        draft["title"][locale] = check_title(message)
    elif what == "intro":
        with_document = draft.get("document") is not None
        draft["intro_html"][locale] = check_intro(message, with_document=with_document)
    elif what == "text":
        draft["questions"][i]["text"][locale] = check_question(message)
    else:
        question = draft["questions"][i]
        count = len(question["options"][draft["language"]])
        question["options"][locale] = check_options(message, count)


def original(draft: dict[str, Any], slot: tuple[str, int]) -> str:
    """The field in the author's language, shown while its variant is typed."""
    what, i = slot
    language = draft["language"]
    if what == "title":
        return str(draft["title"][language])
    if what == "intro":
        return str(draft["intro_html"][language])
    if what == "text":
        return str(draft["questions"][i]["text"][language])
    return "\n".join(draft["questions"][i]["options"][language])


def drop_variant(draft: dict[str, Any], locale: str) -> None:
    """Forget a half-typed or unwanted variant: every field in ``locale``."""
    if locale == draft["language"]:
        return
    draft["title"].pop(locale, None)
    draft["intro_html"].pop(locale, None)
    for question in draft["questions"]:
        question["text"].pop(locale, None)
        question.get("options", {}).pop(locale, None)


def has_variant(draft: dict[str, Any], locale: str) -> bool:
    return locale in draft["title"]


def quick_deadline(days: int, opens: datetime | None, now: datetime, tz: str) -> str:
    """``days`` after the opening (or now), at 18:00 at the point, as the author would type it."""
    start = (opens or now).astimezone(ZoneInfo(tz))
    moment = (start + timedelta(days=days)).replace(
        hour=DEADLINE_HOUR, minute=0, second=0, microsecond=0
    )
    return moment.strftime("%Y-%m-%d %H:%M")


def form_data(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft as ``form_from_data`` reads it (a file's keys, the introduction in HTML)."""
    data = {k: v for k, v in draft.items() if k not in ("audience", "document")}
    data["questions"] = [
        {k: v for k, v in q.items() if k != "options" or q["kind"] in CHOICE}
        for q in draft["questions"]
    ]
    if not data.get("opens"):
        data.pop("opens", None)
    return data
