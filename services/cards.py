"""The messages use cases send to other people, rendered in the recipient's language."""

from __future__ import annotations

from datetime import datetime

from models.enums import CaseStatus
from services.outbox import Button, Keyboard
from services.texts import Texts, cut, esc
from services.views import CaseView

SUMMARY_LIMIT = 1500


def staff_name(texts: Texts, locale: str, name: str | None, title: str | None) -> str:
    if not name:
        return texts(locale, "staff.nobody_yet")
    return (
        texts(locale, "staff.name_title", name=esc(name), title=esc(title)) if title else esc(name)
    )


def case_actions(texts: Texts, locale: str, view: CaseView) -> Keyboard:
    """The buttons on a staff member's case card, as the case's status allows."""
    status = view.status
    candidates = [
        [
            ("btn.accept", "case_accept", status in (CaseStatus.NEW, CaseStatus.REOPENED)),
            ("btn.reply", "case_reply", status != CaseStatus.CLOSED),
        ],
        [
            (
                "btn.resolve",
                "case_resolve",
                status in (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED),
            ),
            ("btn.transfer", "case_transfer", view.is_open),
        ],
        [
            ("btn.note", "case_note", status != CaseStatus.CLOSED),
            ("btn.close", "case_close", view.is_open),
        ],
    ]
    rows = [
        [Button(texts(locale, key), action, view.id) for key, action, shown in row if shown]
        for row in candidates
    ]
    return [row for row in rows if row]


def staff_card(
    texts: Texts, locale: str, view: CaseView, now: datetime, *, headline: str = "card.new"
) -> str:
    """A case as a staff member sees it: who, where, what, and by when."""
    lines = [texts(locale, headline, no=view.public_no)]
    lines.append(
        texts(
            locale,
            "card.kind",
            kind=texts(locale, f"kind.{view.kind}"),
            category=esc(view.category(locale)),
            tier=texts(locale, f"tier.{view.tier}"),
        )
    )
    if view.resident_name:
        who = esc(view.resident_name)
        if view.resident_phone:
            who += f" · {esc(view.resident_phone)}"
        lines.append(texts(locale, "card.resident", resident=who))
    else:
        lines.append(texts(locale, "card.resident", resident=texts(locale, "card.no_resident")))
    lines.append(texts(locale, "card.point", point=esc(view.point_name), code=esc(view.point_code)))
    if view.first_receiver_name and view.first_receiver_id != view.assignee_id:
        lines.append(texts(locale, "card.first_receiver", name=esc(view.first_receiver_name)))
    lines.append(
        texts(
            locale,
            "card.deadlines",
            ack=texts.when(locale, view.due_ack_at, view.point_tz),
            resolve=texts.when(locale, view.due_resolve_at, view.point_tz),
        )
    )
    status = texts(locale, f"status.{view.status}")
    if view.close_reason:
        status += " · " + texts(locale, f"close.{view.close_reason}")
    if view.overdue(now):
        status += " · " + texts(locale, "case.overdue")
    lines.append(texts(locale, "card.status", status=status))
    if view.reopened_count:
        lines.append(texts.plural(locale, "card.reopened_count", view.reopened_count))
    if view.summary:
        lines.append("")
        lines.append(esc(cut(view.summary, SUMMARY_LIMIT)))
    return "\n".join(lines)


def status_text(texts: Texts, locale: str, view: CaseView) -> str:
    """The status as residents read it: "closed" always says how it ended."""
    status = texts(locale, f"status.{view.status}")
    if view.close_reason:
        status += " (" + texts(locale, f"close.{view.close_reason}") + ")"
    return status


def resident_line(texts: Texts, locale: str, view: CaseView) -> str:
    """One line of a resident's case list."""
    return texts(
        locale,
        "case.line",
        no=view.public_no,
        kind=texts(locale, f"kind.{view.kind}"),
        status=status_text(texts, locale, view),
        summary=esc(cut(view.summary or "", 40)),
    )
