"""A case's story as text: the header, then its events in order."""

from __future__ import annotations

from services.cards import status_text
from services.cases import CaseDetail
from services.texts import Texts, cut, esc

EVENT_TEXT_LIMIT = 300
PAGE_LIMIT = 3500  # a page and its heading stay well inside one message (4096)


def history_pages(texts: Texts, locale: str, detail: CaseDetail, *, for_staff: bool) -> list[str]:
    """The whole story, every step from the filing on, cut into pages that each fit one
    message; every page starts with the case's heading."""
    head, events = _lines(texts, locale, detail, for_staff=for_staff)
    pages: list[list[str]] = [[]]
    size = 0
    for line in events:
        if pages[-1] and size + len(line) > PAGE_LIMIT:
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line) + 1
    if len(pages) == 1:
        return ["\n".join(head + pages[0])]
    return [
        "\n".join(
            [*head[:2], texts(locale, "history.page", page=i + 1, pages=len(pages)), "", *page]
        )
        for i, page in enumerate(pages)
    ]


def history_text(texts: Texts, locale: str, detail: CaseDetail, *, for_staff: bool) -> str:
    """The story in one message (staff's /case): the oldest steps give way if it is long."""
    head, events = _lines(texts, locale, detail, for_staff=for_staff)
    lines = head + events
    text = "\n".join(lines)
    # Keep within one message: drop the oldest events first.
    while len(text) > 4000 and len(lines) > 4:
        del lines[3]
        text = "\n".join(lines)
    return text


def _lines(
    texts: Texts, locale: str, detail: CaseDetail, *, for_staff: bool
) -> tuple[list[str], list[str]]:
    case = detail.case
    lines = [
        texts(
            locale,
            "history.title",
            no=case.public_no,
            kind=texts(locale, f"kind.{case.kind}"),
            status=status_text(texts, locale, case),
        ),
        texts(
            locale,
            "history.point",
            point=esc(case.point_name),
            due=texts.when(locale, case.due_resolve_at, case.point_tz),
        ),
        "",
    ]
    events: list[str] = []
    for event in detail.events:
        when = texts.when(locale, event.at, case.point_tz)
        if event.by_resident:
            if not for_staff:
                who = texts(locale, "history.by_you")
            else:  # an erased resident's name is blank: say so rather than show nothing
                who = esc(case.resident_name or texts(locale, "privacy.erased_resident"))
        elif event.by_name:
            who = esc(event.by_name)
        else:
            who = texts(locale, "history.by_system")
        body = esc(cut(event.text, EVENT_TEXT_LIMIT)) if event.text else ""
        if event.media:
            media = texts(locale, f"content.{event.media.get('kind', 'other')}")
            body = f"[{media}] {body}".strip()
        head = texts(locale, f"event.{event.type}")
        if event.internal:
            head = texts(locale, "event.internal", head=head)
        events.append(f"<b>{when}</b> · {who} · {head}" + (f"\n{body}" if body else ""))
    return lines, events
