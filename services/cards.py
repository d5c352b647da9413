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
        return texts(locale, "staff.administrators")
    return f"{esc(name)} ({esc(title)})" if title else esc(name)


def case_actions(texts: Texts, locale: str, view: CaseView) -> Keyboard:
    """The buttons on a staff member's case card, as the case's status allows."""
    row: list[Button] = []
    if view.status in (CaseStatus.NEW, CaseStatus.REOPENED):
        row.append(Button(texts(locale, "btn.accept"), "case_accept", view.id))
    if view.status != CaseStatus.CLOSED:
        row.append(Button(texts(locale, "btn.reply"), "case_reply", view.id))
    rows = [row] if row else []
    second: list[Button] = []
    if view.status in (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED):
        second.append(Button(texts(locale, "btn.resolve"), "case_resolve", view.id))
    if view.is_open:
        second.append(Button(texts(locale, "btn.transfer"), "case_transfer", view.id))
    if second:
        rows.append(second)
    return rows


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
    lines.append(
        texts(
            locale,
            "card.deadlines",
            ack=texts.when(locale, view.due_ack_at, view.point_tz),
            resolve=texts.when(locale, view.due_resolve_at, view.point_tz),
        )
    )
    status = texts(locale, f"status.{view.status}")
    if view.overdue(now):
        status += " · " + texts(locale, "case.overdue")
    lines.append(texts(locale, "card.status", status=status))
    if view.summary:
        lines.append("")
        lines.append(esc(cut(view.summary, SUMMARY_LIMIT)))
    return "\n".join(lines)


def resident_line(texts: Texts, locale: str, view: CaseView) -> str:
    """One line of a resident's case list."""
    return texts(
        locale,
        "case.line",
        no=view.public_no,
        kind=texts(locale, f"kind.{view.kind}"),
        status=texts(locale, f"status.{view.status}"),
        summary=esc(cut(view.summary or "", 40)),
    )
