"""How a notice reads: to residents and groups (signed by its author), and to its author as
progress and the final report. The one rendering place of the notices feature."""

from __future__ import annotations

from typing import Any

from models.notices import Notice
from models.tables import ContactPoint, pk
from services.cards import staff_name
from services.fanout.ledger import CANCELLED, SCHEDULED, SENT, Progress
from services.fanout.wording import duration_text, progress_figures
from services.notices.data import NoticeMedia
from services.outbox import Button, Keyboard, media_message, text_message
from services.texts import Texts


def body_of(notice: Notice) -> str:
    return notice.texts.get(notice.fallback_locale) or next(iter(notice.texts.values()), "")


def tz_of(notice: Notice) -> str:
    return str((notice.audience or {}).get("tz") or "Asia/Shanghai")


def render(
    texts: Texts, variants: dict[str, str], fallback: str, locale: str, name: str, title: str
) -> str:
    """The notice in ``locale`` (or the author's language), signed."""
    body = variants.get(locale) or variants[fallback]
    author = (
        staff_name(texts, locale, name, title) if name else texts(locale, "notices.from_office")
    )
    return texts(locale, "notices.notice", body=body, author=author)


def render_notice(texts: Texts, notice: Notice, locale: str) -> str:
    return render(
        texts, notice.texts, notice.fallback_locale, locale, notice.author_name, notice.author_title
    )


def read_button(texts: Texts, locale: str, notice_id: int, *, read: bool) -> Button:
    key = "notices.btn_read_done" if read else "notices.btn_read"
    return Button(texts(locale, key), "notice_read", notice_id)


def payload(notice: Notice, text: str, buttons: Keyboard) -> dict[str, Any]:
    media = NoticeMedia.from_json(notice.media)
    if media is None:
        return text_message(text, buttons)
    return media_message(media.kind, media.file_id, caption=text, buttons=buttons)


def resident_payload(texts: Texts, notice: Notice, locale: str) -> dict[str, Any]:
    buttons = [[read_button(texts, locale, pk(notice), read=False)]]
    return payload(notice, render_notice(texts, notice, locale), buttons)


def group_payload(texts: Texts, notice: Notice, point: ContactPoint, link: str) -> dict[str, Any]:
    locale = notice.fallback_locale
    join = Button(texts(locale, "notices.btn_register", point=point.name), url=link)
    return payload(notice, render_notice(texts, notice, locale), [[join]])


def progress_text(
    texts: Texts, notice: Notice, progress: Progress, locale: str
) -> tuple[str, Keyboard]:
    """The author's progress message: scheduled, sending, stopping, or the final report."""
    tally = progress.tally
    cancel = [[Button(texts(locale, "notices.btn_cancel"), "notice_cancel", pk(notice))]]
    if notice.status == SCHEDULED:
        when = texts.when(locale, notice.send_at, tz_of(notice))
        text = texts(
            locale,
            "notices.progress_scheduled",
            id=notice.id,
            when=when,
            residents=notice.audience_size,
        )
        return text, cancel
    if progress.finished and notice.status == SENT:
        started = notice.started_at or notice.send_at
        seconds = ((notice.finished_at or notice.send_at) - started).total_seconds()
        text = texts(
            locale,
            "notices.report_done",
            id=notice.id,
            sent=tally.sent,
            total=progress.total,
            failed=tally.failed,
            blocked=tally.blocked,
            groups=progress.groups,
            reads=progress.reads,
            took=duration_text(texts, locale, seconds),
        )
        return text, []
    if notice.status == CANCELLED:
        key = "notices.report_cancelled" if progress.finished else "notices.progress_cancelling"
        text = texts(
            locale,
            key,
            id=notice.id,
            sent=tally.sent,
            stopped=max(progress.total - tally.sent - tally.failed - tally.blocked, 0),
            reads=progress.reads,
        )
        return text, []
    figures = progress_figures(texts, locale, progress)
    return texts(locale, "notices.progress", id=notice.id, **figures), cancel
