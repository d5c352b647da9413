"""The fan-out engine: recipients → outbox rows, paced, resumable, with progress and cancel.

A feature subclasses ``Fanout`` for its run's table (a notice; a consultation's invitation or
outcome) and says who the recipients are, what each one gets, and how progress reads.

- Recipients are read in keyset order (``user id > cursor``), a chunk at a time; the chunk's
  outbox rows and the new cursor commit in one transaction. A kill resumes after the last
  committed chunk, and each row's unique key (``{prefix}u{user_id}``) guards as well.
  Recipients known to have blocked the bot are skipped (and counted as blocked).
- Paced: only about ``ahead_seconds`` of sending (at the measured delivery rate) is queued ahead
  of the sender, so a case relay waits seconds at most behind a county-wide fan-out, and a
  cancel is immediate.
- Cancelling marks the run's pending rows ``cancelled`` in chunks (again on later ticks, for rows
  a sender gives back after a 429).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from locales import LOCALES
from models.enums import OutboxStatus
from models.tables import Outbox
from services.context import Context
from services.fanout import ledger as lg
from services.fanout.audience import contacts
from services.fanout.ledger import CANCELLED, SENDING, SENT, UNSETTLED, Ledger, Progress, Tally
from services.outbox import Keyboard, edit_message, enqueue, enqueue_many
from services.texts import Texts

L = TypeVar("L", bound=SQLModel)
START_SECONDS = 3.0  # the rate is first measured two seconds in; the ticks come every second


@dataclass(frozen=True)
class ChunkResult:
    queued: int
    skipped: int
    done: bool


class Fanout(Generic[L]):
    """The shared engine; subclasses fill in the hooks below."""

    model: type[L]

    def __init__(
        self,
        ctx: Context,
        *,
        chunk_size: int = 1000,
        ahead_seconds: float = 10.0,
        first_window: int | None = None,
        min_window: int = 100,
        max_window: int = 20_000,
        progress_every: float = 3.0,
    ) -> None:
        self.ctx = ctx
        self.texts: Texts = ctx.texts
        self.chunk_size = chunk_size
        self.ahead_seconds = ahead_seconds
        # Before the run's own rate is measured (two seconds in): the bot's configured rate
        # for START_SECONDS, at least 500 rows (a smaller window ran dry between ticks at
        # 1,000 a second, and a notice reached 91% of the rate).
        self.first_window = (
            first_window
            if first_window is not None
            else max(500, int(ctx.config.send_rate * START_SECONDS))
        )
        self.min_window = min_window
        self.max_window = max_window
        self.progress_every = timedelta(seconds=progress_every)

    # ---- hooks ---------------------------------------------------------------------------

    def row_prefix(self, run: L) -> str:
        """The key prefix of the run's rows to recipients (counted in progress)."""
        raise NotImplementedError

    def other_prefixes(self, run: L) -> tuple[str, ...]:
        """Prefixes of the run's other rows (e.g. posts to groups): cancelled, not counted."""
        return ()

    def progress_key(self, run: L) -> str:
        """The key prefix of the author's progress message and its edits."""
        raise NotImplementedError

    async def recipients(
        self, session: AsyncSession, run: L, size: int, scan: int
    ) -> tuple[list[int], int, bool]:
        """The next recipients after the run's cursor: ids, the new cursor, whether done."""
        raise NotImplementedError

    async def payloads(self, session: AsyncSession, run: L) -> dict[str, dict[str, Any]]:
        """What a recipient gets, per locale (every locale of ``LOCALES``)."""
        raise NotImplementedError

    def fallback_locale(self, run: L) -> str:
        raise NotImplementedError

    async def reads(self, session: AsyncSession, run: L) -> int:
        return 0

    async def report(
        self, session: AsyncSession, run: L, progress: Progress, now: datetime
    ) -> None:
        """Keep the author's message current (called on every settle)."""

    # ---- the engine ----------------------------------------------------------------------

    def _l(self, run: L) -> Ledger:
        return run  # type: ignore[return-value]

    async def locked(self, session: AsyncSession, run_id: int) -> L | None:
        """The run's row, locked for this transaction (PostgreSQL; SQLite has one writer)."""
        model: Any = self.model
        return (
            await session.execute(
                select(self.model)
                .where(model.id == run_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar()

    async def begin(
        self, session: AsyncSession, run: L, now: datetime, extra_rows: list[dict[str, Any]]
    ) -> None:
        """Mark where the run's outbox rows begin and queue its first rows (group posts)."""
        led = self._l(run)
        led.started_at = led.started_at or now
        led.status = SENDING
        led.outbox_after_id = await lg.max_outbox_id(session)
        led.settled_id = led.outbox_after_id + 1
        await enqueue_many(session, extra_rows, now)
        led.groups = len(extra_rows)
        led.outbox_upto_id = await lg.max_outbox_id(session)
        led.measured_at, led.measured_done = now, 0
        await session.flush()

    def window(self, rate: float) -> int:
        if rate <= 0:
            return self.first_window
        return int(min(self.max_window, max(self.min_window, rate * self.ahead_seconds)))

    async def advance(self, run_id: int) -> tuple[Progress, int] | None:
        """One step for one run: tally and report progress, then queue what fits ahead."""
        progress = await self.settle(run_id)
        if progress is None:
            return None
        queued = 0
        if progress.status == SENDING and not progress.fanout_done:
            room = self.window(progress.rate) - progress.tally.in_flight
            while room > 0:
                chunk = await self.queue_chunk(run_id, min(room, self.chunk_size))
                if chunk is None:
                    break
                queued += chunk.queued
                room -= chunk.queued + chunk.skipped
                if chunk.done:
                    break
        return progress, queued

    async def queue_chunk(self, run_id: int, size: int | None = None) -> ChunkResult | None:
        """Queue up to ``size`` recipients after the cursor (looking at no more than a chunk)
        and move the cursor past them, in one transaction. None when the run is not (or no
        longer) fanning out."""
        size = size or self.chunk_size
        scan = max(size, self.chunk_size)
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            run = await self.locked(session, run_id)
            if run is None:
                return None
            led = self._l(run)
            if led.status != SENDING or led.fanout_done_at is not None:
                return None
            return await self.queue_in(session, run, size, scan, now)

    async def queue_in(
        self, session: AsyncSession, run: L, size: int, scan: int, now: datetime
    ) -> ChunkResult:
        """One chunk in the caller's transaction: up to ``size`` recipients after the cursor
        (looking at no more than ``scan``), their rows queued and the cursor moved past them."""
        led = self._l(run)
        wanted, cursor, done = await self.recipients(session, run, size, scan)
        people = await contacts(session, wanted)
        payloads = await self.payloads(session, run)
        fallback = payloads[self.fallback_locale(run)]
        prefix = self.row_prefix(run)
        out: list[dict[str, Any]] = []
        skipped = 0
        for user_id in wanted:
            if user_id not in people:
                continue  # erased meanwhile
            chat_id, locale, blocked = people[user_id]
            if blocked:
                skipped += 1
                continue
            out.append(
                {
                    "dedupe_key": f"{prefix}u{user_id}",
                    "chat_id": chat_id,
                    "payload": payloads.get(locale, fallback),
                    "recipient_user_id": user_id,
                }
            )
        await enqueue_many(session, out, now)
        led.cursor = cursor
        led.queued += len(out)
        led.skipped_blocked += skipped
        led.outbox_upto_id = max(led.outbox_upto_id, await lg.max_outbox_id(session))
        if done:
            led.fanout_done_at = now
            led.audience_size = led.queued + led.skipped_blocked
        return ChunkResult(len(out), skipped, done)

    async def settle(self, run_id: int) -> Progress | None:
        """Tally the rows above the settled mark, move the mark over the final ones, measure the
        rate, finish the run when nothing is left, and keep the author's message current."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            run = await self.locked(session, run_id)
            if run is None:
                return None
            led = self._l(run)
            if led.finished_at is not None or led.started_at is None:
                return None
            if led.status == CANCELLED:
                # Rows given back by a sender after a 429 or an expired lease: cancel them too.
                await self.cancel_rows(session, run, batch=self.chunk_size)
            prefix = self.row_prefix(run)
            groups = await lg.groups_of(session, led, prefix, led.settled_id)
            above = lg.tally_of(groups)
            first_open = min(
                (low for (status, _), (_, low) in groups.items() if status in UNSETTLED),
                default=None,
            )
            if first_open is None:
                settled = above
                led.settled_id = max(led.settled_id, led.outbox_upto_id + 1)
            elif first_open > led.settled_id:
                below = await lg.groups_of(session, led, prefix, led.settled_id, first_open - 1)
                settled = lg.tally_of(below)
                led.settled_id = first_open
            else:
                settled = Tally()
            tally = lg.with_ledger(led, above)
            led.sent += settled.sent
            led.failed += settled.failed
            led.blocked += settled.blocked
            led.cancelled_rows += settled.cancelled
            lg.measure(led, tally.done - led.skipped_blocked, now)
            if tally.in_flight == 0 and (
                led.status == CANCELLED
                or (led.status == SENDING and led.fanout_done_at is not None)
            ):
                if led.status == SENDING:
                    led.status = SENT
                led.finished_at = now
            progress = await self.progress_of(session, run, tally)
            await self.report(session, run, progress, now)
            return progress

    async def tally(self, session: AsyncSession, run: L) -> Tally:
        led = self._l(run)
        if led.started_at is None:
            return Tally()
        above = lg.tally_of(await lg.groups_of(session, led, self.row_prefix(run), led.settled_id))
        return lg.with_ledger(led, above)

    async def progress_of(self, session: AsyncSession, run: L, tally: Tally) -> Progress:
        led = self._l(run)
        return Progress(
            id=int(led.id or 0),
            status=led.status,
            total=max(led.audience_size, tally.done + tally.in_flight),
            tally=tally,
            reads=await self.reads(session, run),
            rate=led.rate,
            fanout_done=led.fanout_done_at is not None,
            finished=led.finished_at is not None,
            groups=led.groups,
        )

    async def cancel_pending(self, run_id: int, batch: int) -> int:
        """Mark up to ``batch`` of the run's unsent rows cancelled; how many were."""
        async with self.ctx.db.write() as session:
            run = await session.get(self.model, run_id)
            if run is None or self._l(run).started_at is None:
                return 0
            return await self.cancel_rows(session, run, batch)

    async def cancel_all_pending(self, run_id: int) -> None:
        while await self.cancel_pending(run_id, batch=self.chunk_size) == self.chunk_size:
            pass

    async def cancel_rows(self, session: AsyncSession, run: L, batch: int) -> int:
        led = self._l(run)
        prefixes = (self.row_prefix(run), *self.other_prefixes(run))
        pick = (
            select(col(Outbox.id))
            .where(
                col(Outbox.id) >= led.settled_id,
                col(Outbox.id) <= led.outbox_upto_id,
                col(Outbox.status) == OutboxStatus.PENDING,
                or_(*(lg.prefixed(p) for p in prefixes)),
            )
            .order_by(col(Outbox.id))
            .limit(batch)
        )
        if not self.ctx.db.is_sqlite:
            pick = pick.with_for_update(skip_locked=True)
        result = await session.execute(
            update(Outbox)
            .where(
                col(Outbox.id).in_(pick.scalar_subquery()),
                col(Outbox.status) == OutboxStatus.PENDING,
            )
            .values(status=OutboxStatus.CANCELLED, locked_by=None, locked_until=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def show_progress(
        self,
        session: AsyncSession,
        run: L,
        text: str,
        buttons: Keyboard,
        now: datetime,
        *,
        force: bool,
    ) -> None:
        """Queue an edit of the author's progress message, if it changed and is due."""
        led = self._l(run)
        key = self.progress_key(run)
        if led.author_chat_id is None or text == led.progress_text:
            return
        if led.progress_message_id is None:
            led.progress_message_id = await lg.sent_message_id(session, f"{key}:0")
            if led.progress_message_id is None:
                return  # the first message is not out yet: the next tick edits it
        if not force:
            if led.progress_at is not None and now - led.progress_at < self.progress_every:
                return
            previous = await lg.status_of(session, f"{key}:{led.progress_seq}")
            if previous in UNSETTLED:
                return  # the last edit is still on its way: don't pile them up
        led.progress_seq += 1
        await enqueue(
            session,
            now,
            key=f"{key}:{led.progress_seq}",
            chat_id=led.author_chat_id,
            payload=edit_message(led.progress_message_id, text, buttons),
            recipient_user_id=led.author_user_id,
        )
        led.progress_text, led.progress_at = text, now


__all__ = ["LOCALES", "ChunkResult", "Fanout"]
