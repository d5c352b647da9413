"""A person's message stored as a case event and queued for the other side — and, when this
process runs the sender, claimed for it — in one statement on PostgreSQL, two on SQLite.

A follow-up's write was the event (``INSERT … RETURNING id``) and then its outbox rows, whose
dedupe keys and ``event_id`` need that id: two round trips to the server, where each waits
behind a step of every other handler in the batch (docs/performance.md, ninth pass). On
PostgreSQL an ``INSERT`` can be a ``WITH`` query of another, so both go in one statement:

    WITH ev AS (INSERT INTO case_events (…) VALUES (…) RETURNING id)
    INSERT INTO outbox (dedupe_key, …, status, attempts, locked_by, locked_until, event_id, …)
    SELECT 'ev' || ev.id || :suffix0, …, CASE WHEN h.free THEN 'sending' ELSE 'pending' END,
           …, ev.id, … FROM ev, (SELECT :claim AND NOT EXISTS (…) AS free) AS h
    [UNION ALL …]
    ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, status, event_id

SQLite has no such ``WITH``: there the event is stored first (its statements run on the event
loop's own thread and cost no round trip) and the rows' statement takes its id.

The first row is inserted already leased to this process's sender (``services/dispatch.py``)
when the sender has a free slot (``:claim``) and the chat has no unsent row (``h.free``: the
row is its chat's head); the sender gets it once the write commits. A second row (a message
too long for one) is always left pending behind it. The rows are otherwise the same as those
of ``add_message_event`` and ``enqueue`` (checked on both databases by
``tests/unit/test_cases.py`` and ``tests/unit/test_dispatch.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.db import OUTBOX_TOUCHED
from models.direct import Direct
from models.enums import OutboxStatus
from models.tables import CaseEvent, Outbox, table_of
from services.channels import channel_of
from services.dispatch import Dispatch, hand_over, reserve
from services.outbox import Claimed, unsent

_EVENTS = table_of(CaseEvent)
_OUTBOX = table_of(Outbox)
ADD_EVENT = Direct(_EVENTS.insert().returning(_EVENTS.c.id))  # run with by_keys=True
# What every row of one relay shares; the key's suffix and the payload are each row's own.
_SHARED = ("chat_id", "channel", "recipient_user_id", "case_id")
_INTO = [
    "dedupe_key",
    "chat_id",
    "channel",
    "recipient_user_id",
    "payload",
    "status",
    "attempts",
    "locked_by",
    "locked_until",
    "next_attempt_at",
    "case_id",
    "event_id",
    "created_at",
]
_STATEMENTS: dict[tuple[str, int, tuple[str, ...] | None], Direct] = {}


def event_key(event_id: int, suffix: str) -> str:
    """The dedupe key of an outbox row caused by an event (the statement builds the same)."""
    return f"ev{event_id}{suffix}"


def _statement(dialect: str, count: int, columns: tuple[str, ...] | None) -> Direct:
    """Built once for each database, number of rows (a relay is one message or two) and set
    of the event's columns (the keys it is given: nothing left out, nothing extra); with no
    columns the event is already stored and its id is a parameter."""
    found = _STATEMENTS.get((dialect, count, columns))
    if found is not None:
        return found
    shared = {c: bindparam(c, type_=_OUTBOX.c[c].type) for c in _SHARED}
    ev: Any = None
    if columns is None:
        event_id: Any = bindparam("event_id", type_=_OUTBOX.c.event_id.type)
    else:
        ev = (
            _EVENTS.insert()
            .values({c: bindparam(f"ev_{c}", type_=_EVENTS.c[c].type) for c in columns})
            .returning(_EVENTS.c.id)
            .cte("ev")
        )
        event_id = ev.c.id
    # Whether the first row goes to the sender: asked for, and its chat has nothing unsent.
    earlier = _OUTBOX.alias("earlier")
    free = and_(
        bindparam("claim", type_=Boolean),
        ~exists().where(earlier.c.chat_id == shared["chat_id"], unsent(earlier.c.status)),
    )
    h = select(free.label("free")).subquery("h")
    now = bindparam("now", type_=_OUTBOX.c.created_at.type)
    pending = literal(OutboxStatus.PENDING.value)
    rows = []
    for i in range(count):
        first = i == 0
        leased = [
            case((h.c.free, literal(OutboxStatus.SENDING.value)), else_=pending),
            case((h.c.free, literal(1)), else_=literal(0)),
            case((h.c.free, bindparam("worker", type_=String))),
            case((h.c.free, bindparam("until", type_=_OUTBOX.c.locked_until.type))),
        ]
        nothing = [pending, literal(0), null(), null()]
        row = select(
            literal("ev") + cast(event_id, String) + bindparam(f"suffix{i}", type_=String),
            shared["chat_id"],
            shared["channel"],
            shared["recipient_user_id"],
            bindparam(f"payload{i}", type_=_OUTBOX.c.payload.type),
            *(leased if first else nothing),
            now,
            shared["case_id"],
            event_id,
            now,
        )
        # The event's WITH and, for the first row, the claim's answer: one row each.
        sources = [s for s in (ev, h if first else None) if s is not None]
        if sources:
            joined = sources[0] if len(sources) == 1 else sources[0].join(sources[1], true())
            row = row.select_from(joined)
        # SQLite reads ``SELECT … ON CONFLICT`` as a join's ON without a WHERE.
        rows.append(row.where(true()))
    source = rows[0] if count == 1 else union_all(*rows)
    insert = postgresql.insert(_OUTBOX) if dialect == "postgresql" else sqlite.insert(_OUTBOX)
    statement = (
        insert.from_select(_INTO, source)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_OUTBOX.c.id, _OUTBOX.c.status, _OUTBOX.c.event_id)
    )
    direct = _STATEMENTS[(dialect, count, columns)] = Direct(statement)
    return direct


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
    dispatch: Dispatch | None = None,
) -> None:
    """Queue each of ``payloads`` to ``chat_id`` for ``event``, keyed ``event_key(id,
    key_suffix + ":<n>")``. ``event`` is the id of an event already stored, or its columns
    (``case_events``' names) to store it first: in the same statement on PostgreSQL, in two
    on SQLite. A repeated event (the same source message) fails as ``IntegrityError`` and
    queues nothing. With ``dispatch`` (this process's sender) the first row is leased to it
    in the same statement and handed over once the write commits; the commit wakes the
    sender only for what it was not handed."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    if not payloads:
        if isinstance(event, dict):
            await ADD_EVENT.all(session, event, by_keys=True)
        return
    params: dict[str, Any] = {}
    if isinstance(event, dict) and dialect != "postgresql":
        event = int(await ADD_EVENT.scalar(session, event, by_keys=True))
    if isinstance(event, dict):
        columns: tuple[str, ...] | None = tuple(event)
        params.update({f"ev_{c}": v for c, v in event.items()})
    else:
        columns = None
        params["event_id"] = event
    holder = reserve(dispatch, chat_id)  # the sender, holding a slot for the first row
    params.update(
        chat_id=chat_id,
        channel=channel_of(chat_id),
        recipient_user_id=recipient_user_id,
        case_id=case_id,
        now=now,
        claim=holder is not None,
        worker=holder.worker_id if holder else None,
        until=now + holder.lease if holder else None,
    )
    for i, payload in enumerate(payloads):
        params[f"suffix{i}"] = f"{key_suffix}:{i}"
        params[f"payload{i}"] = payload
    try:
        stored = await _statement(dialect, len(payloads), columns).all(session, params)
    except BaseException:
        if holder is not None:
            holder.unreserve()  # e.g. the same message again (PostgreSQL: the event's insert)
        raise
    leased = next((row for row in stored if row[1] == OutboxStatus.SENDING.value), None)
    handed = None
    if leased is not None:
        row_id, _, event_id = leased
        handed = Claimed(
            row_id,
            chat_id,
            payloads[0],
            1,
            recipient_user_id,
            case_id,
            event_id,
            event_key(event_id, f"{key_suffix}:0"),
        )
    if holder is not None:
        hand_over(session, holder, handed)
    if stored and (handed is None or len(payloads) > 1):
        session.info[OUTBOX_TOUCHED] = True  # rows left for the sender's claim: wake it
