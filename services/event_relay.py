"""A person's message stored as a case event and queued for the other side, in one statement
on PostgreSQL.

A follow-up's write was the event (``INSERT … RETURNING id``) and then its outbox rows, whose
dedupe keys and ``event_id`` need that id: two round trips to the server, where each waits
behind a step of every other handler in the batch (docs/performance.md, ninth pass). On
PostgreSQL an ``INSERT`` can be a ``WITH`` query of another, so both go in one statement:

    WITH ev AS (INSERT INTO case_events (…) VALUES (…) RETURNING id)
    INSERT INTO outbox (dedupe_key, …, event_id, …)
    SELECT 'ev' || ev.id || :suffix0, …, ev.id, … FROM ev [UNION ALL …]
    ON CONFLICT (dedupe_key) DO NOTHING

The rows are the same as those of ``add_message_event`` and ``enqueue`` (checked on both
databases by ``tests/unit/test_cases.py``). SQLite has no such ``WITH``; there the two
statements run on the event loop's own thread and cost no round trip.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, cast, literal, select, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from models.db import OUTBOX_TOUCHED
from models.enums import OutboxStatus
from models.tables import CaseEvent, Outbox, table_of
from services.channels import channel_of
from services.outbox import enqueue

_EVENTS = table_of(CaseEvent)
_OUTBOX = table_of(Outbox)
ADD_EVENT = _EVENTS.insert().returning(_EVENTS.c.id)
# What every row of one relay shares; the key's suffix and the payload are each row's own.
_SHARED = ("chat_id", "channel", "recipient_user_id", "status", "attempts", "case_id")
_STATEMENTS: dict[tuple[int, tuple[str, ...]], Any] = {}


def event_key(event_id: int, suffix: str) -> str:
    """The dedupe key of an outbox row caused by an event (the statement builds the same)."""
    return f"ev{event_id}{suffix}"


def _statement(count: int, columns: tuple[str, ...]) -> Any:
    """Built once for each number of rows (a relay is one message or two) and set of the
    event's columns (the keys it is given: nothing left out, nothing extra)."""
    found = _STATEMENTS.get((count, columns))
    if found is not None:
        return found
    ev = (
        _EVENTS.insert()
        .values({c: bindparam(f"ev_{c}", type_=_EVENTS.c[c].type) for c in columns})
        .returning(_EVENTS.c.id)
        .cte("ev")
    )
    shared = {c: bindparam(c, type_=_OUTBOX.c[c].type) for c in _SHARED}
    now = bindparam("now", type_=_OUTBOX.c.created_at.type)
    rows = [
        select(
            (literal("ev") + cast(ev.c.id, String) + bindparam(f"suffix{i}", type_=String)),
            shared["chat_id"],
            shared["channel"],
            shared["recipient_user_id"],
            bindparam(f"payload{i}", type_=_OUTBOX.c.payload.type),
            shared["status"],
            shared["attempts"],
            now,
            shared["case_id"],
            ev.c.id,
            now,
        ).select_from(ev)
        for i in range(count)
    ]
    into = [
        "dedupe_key",
        "chat_id",
        "channel",
        "recipient_user_id",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "case_id",
        "event_id",
        "created_at",
    ]
    source = rows[0] if count == 1 else union_all(*rows)
    statement = (
        postgresql.insert(_OUTBOX)
        .from_select(into, source)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    _STATEMENTS[(count, columns)] = statement
    return statement


async def queue_for_event(
    session: AsyncSession,
    event: int | dict[str, Any],
    payloads: list[dict[str, Any]],
    *,
    key_suffix: str,
    chat_id: int,
    recipient_user_id: int | None,
    case_id: int,
    now: datetime,
) -> None:
    """Queue each of ``payloads`` to ``chat_id`` for ``event``, keyed ``event_key(id,
    key_suffix + ":<n>")``. ``event`` is the id of an event already stored, or its columns
    (``case_events``' names) to store it first: in the same statement on PostgreSQL, in two
    on SQLite. A repeated event (the same source message) fails as ``IntegrityError`` and
    queues nothing."""
    if isinstance(event, dict):
        postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
        if not (postgres and payloads):
            event = int((await session.execute(ADD_EVENT, event)).scalar_one())
        else:
            params: dict[str, Any] = {f"ev_{c}": v for c, v in event.items()}
            params.update(
                chat_id=chat_id,
                channel=channel_of(chat_id),
                recipient_user_id=recipient_user_id,
                status=OutboxStatus.PENDING,
                attempts=0,
                case_id=case_id,
                now=now,
            )
            for i, payload in enumerate(payloads):
                params[f"suffix{i}"] = f"{key_suffix}:{i}"
                params[f"payload{i}"] = payload
            await session.execute(_statement(len(payloads), tuple(event)), params)
            session.info[OUTBOX_TOUCHED] = True
            return
    for i, payload in enumerate(payloads):
        await enqueue(
            session,
            now,
            key=event_key(event, f"{key_suffix}:{i}"),
            chat_id=chat_id,
            payload=payload,
            recipient_user_id=recipient_user_id,
            case_id=case_id,
            event_id=event,
        )
