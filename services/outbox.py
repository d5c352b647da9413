"""The outbox: every message to someone other than the current chat.

Use cases call :func:`enqueue` inside their own transaction; a sender (the Telegram one lives in
``bot/sender.py``) claims due rows with a lease, sends them outside any transaction and records
the outcome. Payloads are transport-neutral: buttons carry an action name and an id, which the
sender turns into its channel's button format.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from models.db import OUTBOX_TOUCHED
from models.direct import Direct
from models.enums import OutboxStatus
from models.queries import insert_ignore
from models.tables import Case, CaseEvent, MessageLink, Outbox, User, table_of
from models.tipoffs import TipOffLink
from services.channels import TELEGRAM, channel_of
from services.context import Context

_T = table_of(Outbox)
# The sender's statements touch no loaded objects: skip the ORM's search of the session for
# rows to synchronize (a measurable share of each send's CPU).
_NO_SYNC = {"synchronize_session": False}
# A sent row, recorded for a whole batch at once (executemany) if this sender still holds it.
_SENT = (
    _T.update()
    .where(_T.c.id == bindparam("rid"), _T.c.locked_by == bindparam("worker"))
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("at"),
        sent_message_id=bindparam("mid"),
        last_error=None,
        locked_by=None,
        locked_until=None,
    )
)


def _build_sent_with_link() -> Any:
    """PostgreSQL: one plain send recorded whole in one statement — its message's link to
    its case, when it has one, and its row marked sent. Run for a batch as one executemany
    on a connection of its own (``Database.alone()``): the driver sends the batch in one
    round trip, all or nothing, where ``BEGIN``, the links, the rows and ``COMMIT`` took
    four."""
    links = table_of(MessageLink)
    case = bindparam("case", type_=links.c.case_id.type)
    message = bindparam("mid", type_=links.c.message_id.type)
    link = (
        postgresql.insert(links)
        .from_select(
            ["chat_id", "message_id", "case_id", "event_id"],
            select(
                bindparam("chat", type_=links.c.chat_id.type),
                message,
                case,
                bindparam("event", type_=links.c.event_id.type),
            ).where(case.is_not(None), message.is_not(None)),
        )
        .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
        .cte("link")
    )
    return _SENT.add_cte(link)


_SENT_WITH_LINK = _build_sent_with_link()


# The statuses of rows still to be sent, written as literals: the planners use the partial
# indexes over them (models.tables.OUTBOX_UNSENT) only when the query states the same condition
# in so many words — a bound parameter's value is unknown when the plan is made.
_UNSENT: list[ColumnElement[str]] = [
    literal_column(f"'{s.value}'") for s in (OutboxStatus.PENDING, OutboxStatus.SENDING)
]


def unsent(status: Any) -> ColumnElement[bool]:
    """``status IN ('pending', 'sending')``, as the partial indexes state it."""
    return status.in_(_UNSENT)  # type: ignore[no-any-return]


def _build_claim(skip_locked: bool) -> Any:
    """The claim: lease up to ``lim`` due rows, each its chat's oldest unsent one.

    Built once per dialect with bound parameters (Core, on the table): building it anew on
    every claim cost more CPU than running it."""
    earlier = _T.alias("earlier")
    now = bindparam("now", type_=_T.c.next_attempt_at.type)
    head = ~exists().where(
        earlier.c.chat_id == _T.c.chat_id,
        earlier.c.id < _T.c.id,
        unsent(earlier.c.status),
    )
    pending = and_(_T.c.status == OutboxStatus.PENDING, _T.c.next_attempt_at <= now)
    lapsed = and_(_T.c.status == OutboxStatus.SENDING, _T.c.locked_until < now)
    mine = _T.c.channel == bindparam("for_channel")
    lim = bindparam("lim", type_=Integer)
    if skip_locked:
        # PostgreSQL: row locks, skipped when another sender's claim holds them (a lock
        # clause cannot apply to a UNION). In id order over the unsent rows' index: by the
        # primary key, every claim stepped over every row ever sent (8 ms at 60,000).
        pick: Any = (
            select(_T.c.id)
            .where(unsent(_T.c.status), or_(pending, lapsed), head, mine)
            .order_by(_T.c.id)
            .limit(lim)
            .with_for_update(skip_locked=True)
        )
    else:
        # SQLite: lapsed leases first (a dead sender's rows), then pending rows in the order
        # they fell due — the order of the (status, next_attempt_at) index, whose entries end
        # with the id, so the walk stops after ``lim`` heads. Ordered by id alone, every due
        # row was sorted on every claim: with a notice's thousands queued ahead, most of a
        # claim's CPU (1.1 ms against 0.02 for 25 of 3,000).
        first = select(_T.c.id).where(lapsed, head, mine).limit(lim).subquery()
        then = (
            select(_T.c.id)
            .where(pending, head, mine)
            .order_by(_T.c.next_attempt_at, _T.c.id)
            .limit(lim)
            .subquery()
        )
        both = union_all(select(first.c.id), select(then.c.id)).subquery()
        pick = select(both.c.id).limit(lim)
    return (
        _T.update()
        .where(_T.c.id.in_(pick.scalar_subquery()))
        .values(
            status=OutboxStatus.SENDING,
            locked_by=bindparam("worker"),
            locked_until=bindparam("until"),
            attempts=_T.c.attempts + 1,
        )
        .returning(
            _T.c.id,
            _T.c.chat_id,
            _T.c.payload,
            _T.c.attempts,
            _T.c.recipient_user_id,
            _T.c.case_id,
            _T.c.event_id,
            _T.c.dedupe_key,
        )
    )


# When the sender next has something to do (read in a claim that left it slots to spare).
_NEXT_DUE = select(func.min(_T.c.next_attempt_at)).where(
    _T.c.status == OutboxStatus.PENDING, _T.c.channel == bindparam("for_channel")
)
# By "skip locked rows" (PostgreSQL; SQLite has one writer and no row locks).
_CLAIMS = {False: _build_claim(False), True: _build_claim(True)}
# SQLite's claim, its next due time and its record of plain sends, on the driver there.
_SQLITE_CLAIM = Direct(_CLAIMS[False])
_SQLITE_NEXT_DUE = Direct(_NEXT_DUE)
_SENT_DIRECT = Direct(_SENT)
_CLAIMED_COLUMNS = 8  # what the claim returns of each row (Claimed's fields, in order)


def _build_claim_with_next_due() -> Any:
    """PostgreSQL: the claim and the next due time as one statement, run on its own
    (``Database.alone()``): one round trip where ``BEGIN``, the claim, the next due time and
    ``COMMIT`` took four — and with a batch of updates in hand, each round trip waits for a
    step of every other update (docs/performance.md, ninth pass). One row per claimed row,
    each with the next due time; a single row of NULLs and the time when nothing was taken.

    The statement's parts share one snapshot, in which the rows this claim takes still read
    as pending: the next due time leaves them out by id (in a transaction of its own, as on
    SQLite, the second statement sees them leased)."""
    claimed = _CLAIMS[True].cte("claimed")
    due = (
        select(func.min(_T.c.next_attempt_at).label("next_due"))
        .where(
            _T.c.status == OutboxStatus.PENDING,
            _T.c.channel == bindparam("for_channel"),
            _T.c.id.not_in(select(claimed.c.id)),
        )
        .subquery("due")
    )
    return select(claimed, due.c.next_due).select_from(due.outerjoin(claimed, true()))


_CLAIM_WITH_NEXT_DUE = _build_claim_with_next_due()
# PostgreSQL's claim and record of plain sends, on asyncpg's connection (models/direct.py).
_PG_CLAIM = Direct(_CLAIM_WITH_NEXT_DUE)
_PG_SENT = Direct(_SENT_WITH_LINK)

# Is a message to this chat being sent right now (sent, perhaps, and not yet recorded)?
_SENDING_TO = (
    select(_T.c.id)
    .where(
        _T.c.chat_id == bindparam("chat"),
        unsent(_T.c.status),  # implied by the next line; stated so the chat's unsent index serves
        _T.c.status == OutboxStatus.SENDING,
    )
    .limit(1)
)


async def sending_to(ctx: Context, chat_id: int) -> bool:
    """Whether a row to ``chat_id`` is leased by a sender: Telegram may already show it while
    its outcome — and the link of its message to a case — is not yet recorded."""
    async with ctx.db.read() as session:
        found = await session.execute(_SENDING_TO, {"chat": chat_id}, execution_options=_NO_SYNC)
        return found.first() is not None


# Why a relayed message could not be delivered, as its author is told (catalog keys).
UNDELIVERED_BECAUSE = {
    "blocked": "delivery.reason.blocked",
    "dead": "delivery.reason.refused",
    "retry": "delivery.reason.gave_up",
}


def _linked_at_most(res: Result) -> bool:
    """A plain send whose record is its row and at most its link to a case: no anonymous
    reporter's row to seal, no report's link, no consultation's poll."""
    claimed = res.claimed
    return (
        res.outcome == "sent"
        and claimed is not None
        and not _sealed(res)
        and not claimed.payload.get("tipoff_link")
        and not claimed.payload.get("consult_poll")
    )


def _sealed(res: Result) -> bool:
    """An anonymous reporter's row: once done, whose chat it was is forgotten (see _record)."""
    return bool(res.claimed and res.claimed.payload.get("seal"))


@dataclass(frozen=True)
class Button:
    """An inline button: an action on one thing (``ref``), or a link."""

    label: str
    action: str = ""
    ref: int = 0
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"label": self.label}
        if self.url:
            data["url"] = self.url
        else:
            data["action"] = self.action
            data["ref"] = self.ref
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Button:
        return cls(data["label"], data.get("action", ""), int(data.get("ref", 0)), data.get("url"))


Keyboard = list[list[Button]]


def _buttons(keyboard: Keyboard | None) -> list[list[dict[str, Any]]]:
    return [[b.to_json() for b in row] for row in keyboard or []]


buttons_json = _buttons  # for payloads built elsewhere (services.relay)


def text_message(text: str, buttons: Keyboard | None = None) -> dict[str, Any]:
    """A message with HTML text and optional inline buttons."""
    return {"type": "text", "text": text, "buttons": _buttons(buttons)}


def copy_of(
    from_chat_id: int,
    message_id: int,
    caption: str | None = None,
    buttons: Keyboard | None = None,
) -> dict[str, Any]:
    """A copy of someone's message (media is never re-uploaded); ``caption`` replaces theirs."""
    return {
        "type": "copy",
        "from_chat_id": from_chat_id,
        "message_id": message_id,
        "caption": caption,
        "buttons": _buttons(buttons),
    }


# What Telegram sends again by its file id; the first six take a caption.
FileKind = Literal[
    "photo", "document", "video", "audio", "voice", "animation", "video_note", "sticker"
]
FILE_KINDS: frozenset[str] = frozenset(FileKind.__args__)  # type: ignore[attr-defined]


def media_message(
    kind: FileKind,
    file_id: str,
    caption: str | None = None,
    buttons: Keyboard | None = None,
) -> dict[str, Any]:
    """A file sent by Telegram's file id (never uploaded again): a notice's attachment, or a
    stored message whose original chat is gone or sealed."""
    return {"type": kind, "file_id": file_id, "caption": caption, "buttons": _buttons(buttons)}


def poll_message(
    question: str, options: list[str], *, anonymous: bool, **about: Any
) -> dict[str, Any]:
    """A native poll (one answer); ``about`` is recorded with the poll's id once sent."""
    return {
        "type": "poll",
        "question": question[:300],
        "options": [o[:100] for o in options],
        "is_anonymous": anonymous,
        **about,
    }


def stop_poll_message(message_id: int) -> dict[str, Any]:
    """Close a native poll the bot posted in the row's chat (a consultation's, at its deadline):
    the group sees it closed and nobody can vote any more."""
    return {"type": "stop_poll", "message_id": message_id}


def edit_message(message_id: int, text: str, buttons: Keyboard | None = None) -> dict[str, Any]:
    """Edit a message the bot sent earlier in the row's chat."""
    return {"type": "edit", "message_id": message_id, "text": text, "buttons": _buttons(buttons)}


def keyboard_of(payload: dict[str, Any]) -> Keyboard:
    return [[Button.from_json(b) for b in row] for row in payload.get("buttons") or []]


async def enqueue(
    session: AsyncSession,
    now: datetime,
    *,
    key: str,
    chat_id: int,
    payload: dict[str, Any],
    recipient_user_id: int | None = None,
    case_id: int | None = None,
    event_id: int | None = None,
) -> None:
    """Queue one message in the caller's transaction; a repeated ``key`` is ignored."""
    await enqueue_many(
        session,
        [
            dict(
                dedupe_key=key,
                chat_id=chat_id,
                payload=payload,
                recipient_user_id=recipient_user_id,
                case_id=case_id,
                event_id=event_id,
            )
        ],
        now,
    )


async def enqueue_many(session: AsyncSession, rows: list[dict[str, Any]], now: datetime) -> None:
    if not rows:
        return
    full = [
        {
            "recipient_user_id": None,
            "case_id": None,
            "event_id": None,
            "channel": channel_of(int(row["chat_id"])),
            **row,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for row in rows
    ]
    await insert_ignore(session, _T, full, "dedupe_key")
    session.info[OUTBOX_TOUCHED] = True


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: int
    payload: dict[str, Any]
    attempts: int
    recipient_user_id: int | None
    case_id: int | None
    event_id: int | None
    dedupe_key: str = ""


Outcome = Literal["sent", "retry", "dead", "blocked", "rate_limited"]


@dataclass
class Result:
    id: int
    outcome: Outcome
    message_id: int | None = None
    error: str | None = None
    retry_after: float = 0.0
    poll_id: str | None = None  # a sent poll's id, from Telegram
    # Filled from the claim so links and blocks can be recorded without another lookup.
    claimed: Claimed | None = field(default=None, repr=False)


class OutboxStore:
    """Claims, completes and inspects outbox rows."""

    def __init__(
        self,
        ctx: Context,
        worker_id: str | None = None,
        lease_seconds: float = 60,
        channel: str = TELEGRAM,
    ) -> None:
        self.ctx = ctx
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self.lease = timedelta(seconds=lease_seconds)
        # Each channel's sender claims only its own rows (Telegram's, WeChat's).
        self.channel = channel

    async def claim(self, limit: int) -> list[Claimed]:
        """Lease up to ``limit`` due rows, at most one per chat: the chat's oldest unsent one.

        Taking only a chat's head row keeps each chat's messages in commit order, also with
        several senders: a later row is never claimed while an earlier one is unsent.
        """
        return (await self.claim_due(limit, next_due=False))[0]

    async def claim_due(
        self, limit: int, *, next_due: bool = True
    ) -> tuple[list[Claimed], float | None]:
        """:meth:`claim`, and in the same transaction, when it took fewer than ``limit`` rows,
        the seconds until the earliest row left pending is due: 0 when one is due now but
        could not be taken (it waits behind its chat's unsent head), None when none waits
        (or ``limit`` rows were taken: there may be more to take at once)."""
        now = self.ctx.clock.now()
        params = {
            "now": now,
            "until": now + self.lease,
            "worker": self.worker_id,
            "lim": limit,
            "for_channel": self.channel,
        }
        when: datetime | None = None
        if not self.ctx.db.is_sqlite:
            async with self.ctx.db.alone() as conn:
                both = await _PG_CLAIM.all(conn, params)
            rows = [tuple(row[:_CLAIMED_COLUMNS]) for row in both if row[0] is not None]
            if next_due and len(rows) < limit and both:
                when = both[0][_CLAIMED_COLUMNS]
        else:
            async with self.ctx.db.write() as session:
                rows = await _SQLITE_CLAIM.all(session, params)
                if next_due and len(rows) < limit:
                    when = await _SQLITE_NEXT_DUE.scalar(session, {"for_channel": self.channel})
        claimed = [Claimed(*row) for row in rows]
        if len(claimed) > 1:
            claimed.sort(key=lambda c: c.id)
        if when is None:
            return claimed, None
        return claimed, max((when - now).total_seconds(), 0.0)

    async def complete(self, results: list[Result]) -> bool:
        """Record the outcomes of a batch of sends in one short transaction; True when that
        queued messages of its own (an author told of an undelivered message, a late poll
        closed)."""
        if not results:
            return False
        now = self.ctx.clock.now()
        if not self.ctx.db.is_sqlite and all(_linked_at_most(r) for r in results):
            # PostgreSQL, plain sends only (nearly every batch): one statement for the lot.
            async with self.ctx.db.alone() as conn:
                await _PG_SENT.many(conn, [self._sent_with_link(r, now) for r in results])
            return False
        # Plain sends, the bulk of any batch, are recorded in one statement run for all of
        # them; other outcomes and sealed rows one by one.
        plain = [r for r in results if r.outcome == "sent" and not _sealed(r)]
        async with self.ctx.db.write() as session:
            await self._links(session, [r for r in results if r.outcome == "sent"])
            if plain:
                await _SENT_DIRECT.many(
                    session,
                    [
                        {"rid": r.id, "worker": self.worker_id, "at": now, "mid": r.message_id}
                        for r in plain
                    ],
                )
            for res in results:
                if not (res.outcome == "sent" and not _sealed(res)):
                    await self._record(session, res, now)
            queued = bool(session.info.get(OUTBOX_TOUCHED))
        return queued

    def _sent_with_link(self, res: Result, now: datetime) -> dict[str, Any]:
        claimed = res.claimed
        assert claimed is not None
        return {
            "rid": res.id,
            "worker": self.worker_id,
            "at": now,
            "mid": res.message_id,
            "chat": claimed.chat_id,
            "case": claimed.case_id or None,
            "event": claimed.event_id,
        }

    async def _links(self, session: AsyncSession, sent: list[Result]) -> None:
        """Where each sent message came from, so a swipe-reply to it finds its case or report."""
        cases: list[dict[str, Any]] = []
        reports: list[dict[str, Any]] = []
        for res in sent:
            claimed = res.claimed
            if claimed is None or not res.message_id:
                continue
            if claimed.case_id:
                cases.append(
                    {
                        "chat_id": claimed.chat_id,
                        "message_id": res.message_id,
                        "case_id": claimed.case_id,
                        "event_id": claimed.event_id,
                    }
                )
            tipoff = claimed.payload.get("tipoff_link")
            if tipoff:
                reports.append(
                    {
                        "chat_id": claimed.chat_id,
                        "message_id": res.message_id,
                        "tipoff_id": int(tipoff),
                    }
                )
        await insert_ignore(session, table_of(MessageLink), cases, "chat_id", "message_id")
        await insert_ignore(session, table_of(TipOffLink), reports, "chat_id", "message_id")
        await self._polls(session, sent)

    async def _polls(self, session: AsyncSession, sent: list[Result]) -> None:
        """A sent consultation poll: which question its id asks (votes name only the id)."""
        polls: list[dict[str, Any]] = []
        for res in sent:
            claimed = res.claimed
            about = claimed.payload.get("consult_poll") if claimed is not None else None
            if about and res.poll_id and res.message_id and claimed is not None:
                polls.append(
                    {
                        "poll_id": res.poll_id,
                        "consultation_id": int(about["consultation_id"]),
                        "question": int(about["question"]),
                        "chat_id": claimed.chat_id,
                        "message_id": res.message_id,
                        "anonymous": bool(claimed.payload.get("is_anonymous", True)),
                        "counts": [0] * len(claimed.payload["options"]),
                        "voters": 0,
                        "created_at": self.ctx.clock.now(),
                    }
                )
        if polls:
            from models.consultations import Consultation, ConsultPoll

            await insert_ignore(session, table_of(ConsultPoll), polls, "poll_id")
            # A poll that went out after its consultation closed (it was queued before):
            # closed at once, as the deadline closed the others.
            closed = set(
                (
                    await session.execute(
                        select(col(Consultation.id)).where(
                            col(Consultation.id).in_({p["consultation_id"] for p in polls}),
                            col(Consultation.status) == "closed",
                        )
                    )
                )
                .scalars()
                .all()
            )
            now = self.ctx.clock.now()
            for poll in polls:
                if poll["consultation_id"] in closed:
                    await enqueue(
                        session,
                        now,
                        key=f"consult{poll['consultation_id']}:stop:{poll['poll_id']}",
                        chat_id=int(poll["chat_id"]),
                        payload=stop_poll_message(int(poll["message_id"])),
                    )

    async def _record(self, session: AsyncSession, res: Result, now: datetime) -> None:
        mine = and_(col(Outbox.id) == res.id, col(Outbox.locked_by) == self.worker_id)
        values: dict[str, Any] = {"locked_by": None, "locked_until": None}
        claimed = res.claimed
        if res.outcome == "sent":
            values.update(
                status=OutboxStatus.SENT,
                sent_at=now,
                sent_message_id=res.message_id,
                last_error=None,
            )
        elif res.outcome == "rate_limited":
            # Not the row's fault: try again after the pause without spending an attempt.
            values.update(
                status=OutboxStatus.PENDING,
                attempts=col(Outbox.attempts) - 1,
                next_attempt_at=now + timedelta(seconds=max(res.retry_after, 1)),
            )
        elif res.outcome == "retry":
            attempts = claimed.attempts if claimed else 1
            if attempts >= self.ctx.config.outbox_max_attempts:
                values.update(status=OutboxStatus.DEAD, last_error=res.error)
            else:
                backoff = min(2**attempts, 600)
                values.update(
                    status=OutboxStatus.PENDING,
                    last_error=res.error,
                    next_attempt_at=now + timedelta(seconds=backoff),
                )
        else:  # dead or blocked
            values.update(status=OutboxStatus.DEAD, last_error=res.error)
            if res.outcome == "blocked" and claimed and claimed.recipient_user_id:
                await session.execute(
                    update(User)
                    .where(
                        col(User.id) == claimed.recipient_user_id,
                        col(User.blocked_at).is_(None),
                    )
                    .values(blocked_at=now)
                )
        if values.get("status") == OutboxStatus.DEAD and claimed is not None:
            reason = UNDELIVERED_BECAUSE.get(res.outcome, "delivery.reason.gave_up")
            await self._tell_author(session, claimed, reason, now)
        if _sealed(res) and values.get("status") in (OutboxStatus.SENT, OutboxStatus.DEAD):
            # Done with a sealed row (an anonymous reporter's): forget whose chat it was.
            values.update(chat_id=0, payload={"type": "sealed"}, last_error=None)
        await session.execute(
            update(Outbox).where(mine).values(**values), execution_options=_NO_SYNC
        )

    async def recover(self) -> int:
        """Take back every row another sender had claimed: only when this is the one sender
        (SQLite allows one process), so their holder is a process that died. They go out again
        at once instead of after their lease; those whose request had left before the crash
        (at most the sends that were in flight) reach their chat a second time."""
        async with self.ctx.db.write() as session:
            taken = await session.execute(
                update(Outbox)
                .where(
                    col(Outbox.status) == OutboxStatus.SENDING,
                    col(Outbox.locked_by) != self.worker_id,
                    col(Outbox.channel) == self.channel,
                )
                .values(
                    status=OutboxStatus.PENDING,
                    locked_by=None,
                    locked_until=None,
                    attempts=col(Outbox.attempts) - 1,
                    next_attempt_at=self.ctx.clock.now(),
                ),
                execution_options=_NO_SYNC,
            )
        return int(taken.rowcount)  # type: ignore[attr-defined]

    async def _tell_author(
        self, session: AsyncSession, row: Claimed, reason: str, now: datetime
    ) -> None:
        """A person's message relayed on a case (a cadre's reply, a resident's follow-up) that
        could not be delivered: its author is told, in their language, and why — they had
        been told it was on its way."""
        if not row.dedupe_key.startswith("ev") or not row.event_id or not row.case_id:
            return
        author = (
            await session.execute(
                select(col(User.id), col(User.chat_id), col(User.locale), col(Case.public_no))
                .join(CaseEvent, col(CaseEvent.actor_user_id) == col(User.id))
                .join(Case, col(Case.id) == col(CaseEvent.case_id))
                .where(col(CaseEvent.id) == row.event_id)
            )
        ).first()
        if author is None:
            return
        user_id, chat_id, locale, case_no = author
        if chat_id is None or user_id == row.recipient_user_id or chat_id == row.chat_id:
            return
        texts = self.ctx.texts
        text = texts(
            locale,
            "delivery.later",
            no=case_no,
            reason=texts(locale, reason),
        )
        await enqueue(
            session,
            now,
            key=f"undelivered{row.id}",
            chat_id=chat_id,
            payload=text_message(text),
            recipient_user_id=user_id,
            case_id=row.case_id,
        )

    async def release(self) -> None:
        """Give back every lease this worker holds (graceful shutdown)."""
        async with self.ctx.db.write() as session:
            await session.execute(
                update(Outbox)
                .where(
                    col(Outbox.locked_by) == self.worker_id,
                    col(Outbox.status) == OutboxStatus.SENDING,
                )
                .values(
                    status=OutboxStatus.PENDING,
                    locked_by=None,
                    locked_until=None,
                    attempts=col(Outbox.attempts) - 1,
                )
            )

    async def next_due_in(self) -> float | None:
        """Seconds until the earliest pending row is due (None when nothing waits)."""
        async with self.ctx.db.read() as session:
            when: datetime | None = (
                await session.execute(_NEXT_DUE, {"for_channel": self.channel})
            ).scalar_one_or_none()
        if when is None:
            return None
        return max((when - self.ctx.clock.now()).total_seconds(), 0.0)

    async def counts(self) -> dict[str, int]:
        async with self.ctx.db.read() as session:
            rows = (
                await session.execute(
                    select(col(Outbox.status), func.count()).group_by(col(Outbox.status))
                )
            ).all()
        return {str(status): int(n) for status, n in rows}
