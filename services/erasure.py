"""Taking a person's traces out of the messages the bot keeps: the outbox and the audit trail.

Used by /forget and by the retention purge (services/privacy.py). A message already delivered
needs no payload any more: it is sealed. A message still waiting for someone else is still
sent, with the person's name, phone, words and files taken out of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import OutboxStatus
from models.tables import AuditLog, Outbox, User
from services.outbox import FILE_KINDS, text_message
from services.texts import esc

SEALED: dict[str, Any] = {"type": "sealed"}
# A text this short is taken out only where it stands whole (it could be part of anything).
_SHORT = 3
# A long text may have been cut where it was shown: its start is enough to find it.
_PROBE = 48


@dataclass
class Traces:
    """What identifies one person in a message: to be taken out where it still stands."""

    chat_id: int = 0
    names: list[str] = field(default_factory=list)  # name and phone
    words: list[str] = field(default_factory=list)  # what they wrote
    files: set[str] = field(default_factory=set)  # Telegram file ids of what they sent

    def add_words(self, text: str | None) -> None:
        if text and len(text.strip()) >= _SHORT:
            self.words.append(text)


def _take_out(text: str, needle: str, label: str) -> str:
    """``text`` with every occurrence of ``needle`` (also cut short, as a card cuts a long text)
    replaced by ``label``."""
    if not needle:
        return text
    probe = needle[:_PROBE]
    start = text.find(probe)
    while start >= 0:
        end, k = start + len(probe), len(probe)
        while k < len(needle) and end < len(text) and text[end] == needle[k]:
            end, k = end + 1, k + 1
        if k < len(needle) and text.startswith("…", end):
            end += 1
        text = text[:start] + label + text[end:]
        start = text.find(probe, start + len(label))
    return text


def scrub_text(text: str, traces: Traces, person: str, words: str) -> str:
    for needle in sorted(set(traces.words), key=len, reverse=True):
        for form in {esc(needle), needle}:
            text = _take_out(text, form, words)
    for needle in sorted(set(traces.names), key=len, reverse=True):
        for form in {esc(needle), needle}:
            text = _take_out(text, form, person)
    return text


def scrub_payload(
    payload: dict[str, Any], traces: Traces, person: str, words: str
) -> dict[str, Any]:
    """A waiting message without the person's traces; what they sent themselves (a copy from
    their chat, a file of theirs) becomes its text line alone."""
    out = dict(payload)
    kind = out.get("type")
    theirs = (kind == "copy" and out.get("from_chat_id") == traces.chat_id) or (
        kind in FILE_KINDS and out.get("file_id") in traces.files
    )
    for key in ("text", "caption"):
        if isinstance(out.get(key), str):
            out[key] = scrub_text(out[key], traces, person, words)
    out["buttons"] = [
        [{**b, "label": scrub_text(str(b.get("label", "")), traces, person, words)} for b in row]
        for row in out.get("buttons") or []
    ]
    if theirs:
        extras = {k: v for k, v in out.items() if k in ("seal", "tipoff_link")}
        return {**text_message(out.get("caption") or words), "buttons": out["buttons"], **extras}
    return out


Labels = Callable[[str], tuple[str, str]]  # locale -> (person, words)


async def scrub_outbox(
    session: AsyncSession,
    traces: Traces,
    labels: Labels,
    default_locale: str,
    *,
    case_ids: Iterable[int] = (),
    key_prefixes: Iterable[str] = (),
) -> int:
    """Messages about the person's cases (and reports) to anyone else: sealed once delivered,
    rewritten while still waiting. Returns how many rows were touched."""
    cases = list(case_ids)
    prefixes = list(key_prefixes)
    about = [col(Outbox.dedupe_key).like(f"{p}%") for p in prefixes]
    if cases:
        about.append(col(Outbox.case_id).in_(cases))
    if not about:
        return 0
    await session.execute(
        update(Outbox)
        .where(or_(*about), col(Outbox.status) == OutboxStatus.SENT)
        .values(payload=SEALED),
        execution_options={"synchronize_session": False},
    )
    rows = (
        await session.execute(
            select(col(Outbox.id), col(Outbox.payload), col(User.locale))
            .outerjoin(User, col(User.id) == col(Outbox.recipient_user_id))
            .where(or_(*about), col(Outbox.status) != OutboxStatus.SENT)
        )
    ).all()
    for row_id, payload, locale in rows:
        if payload.get("type") == "sealed":
            continue
        person, words = labels(locale or default_locale)
        clean = scrub_payload(payload, traces, person, words)
        if clean != payload:
            await session.execute(
                update(Outbox).where(col(Outbox.id) == row_id).values(payload=clean),
                execution_options={"synchronize_session": False},
            )
    return len(rows)


async def seal_outbox(
    session: AsyncSession, *, case_ids: Iterable[int] = (), key_prefixes: Iterable[str] = ()
) -> None:
    """Retention: messages about old closed cases and reports keep no payload; any still
    waiting (years later) are not sent."""
    about = [col(Outbox.dedupe_key).like(f"{p}%") for p in key_prefixes]
    cases = list(case_ids)
    if cases:
        about.append(col(Outbox.case_id).in_(cases))
    if not about:
        return
    await session.execute(
        update(Outbox)
        .where(or_(*about), col(Outbox.status).in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
        .values(status=OutboxStatus.CANCELLED),
        execution_options={"synchronize_session": False},
    )
    await session.execute(
        update(Outbox).where(or_(*about)).values(payload=SEALED, last_error=None),
        execution_options={"synchronize_session": False},
    )


def _scrub_json(value: Any, traces: Traces, label: str) -> Any:
    if isinstance(value, str):
        return scrub_text(value, traces, label, label)
    if isinstance(value, list):
        return [_scrub_json(v, traces, label) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, traces, label) for k, v in value.items()}
    return value


async def scrub_audit(
    session: AsyncSession, traces: Traces, targets: Iterable[str], user_id: int | None, label: str
) -> None:
    """Audit entries about the person (their account, their cases) keep the action, never
    their name, phone or words."""
    where: list[ColumnElement[bool]] = [col(AuditLog.target).in_(list(targets))]
    if user_id is not None:
        where.append(col(AuditLog.actor_user_id) == user_id)
    rows = (
        await session.execute(select(col(AuditLog.id), col(AuditLog.detail)).where(or_(*where)))
    ).all()
    for row_id, detail in rows:
        clean = _scrub_json(detail or {}, traces, label)
        if clean != (detail or {}):
            await session.execute(
                update(AuditLog).where(col(AuditLog.id) == row_id).values(detail=clean),
                execution_options={"synchronize_session": False},
            )
