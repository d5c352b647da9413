"""A relayed message claimed for this process's sender in the transaction that queues it, and
handed to the sender the moment that commits (the statement: ``services/event_relay.py``).

Queued the usual way, a resident's follow-up waited for its commit to wake the sender, for the
sender's turn of the event loop, and for a claim transaction of its own before its request
left: on a paced load, 2.6 ms at the median of a 10 ms relay (docs/performance.md, eleventh
pass). Here the row is inserted already leased to the sender (``status = 'sending'``, its
worker, its lease) by the statement that stores it, and the sender starts sending it once the
write commits (``models.db.after_commit``); a rollback gives the reserved slot back.

Nothing is lost or sent twice that the usual claim would not lose or repeat:

- only a row whose chat has no other unsent row is taken, so it is its chat's head as a
  claimed row must be: a message queued behind another to the same chat waits for the
  sender's usual claim;
- only while the sender has a free slot (``reserve``), and at most half of its slots: claimed-
  but-unrecorded rows still never number more than its concurrency, and under load the
  sender's own claims (a notice's rows, cards) still get their turn;
- the row is committed as leased, so if this process dies before sending it, it goes out again
  once its lease lapses (on SQLite, at the next start), like any claimed row;
- a sender that is stopping takes nothing (``reserve`` refuses), and one that began stopping
  between the reservation and the commit leaves the row leased: its shutdown gives back its
  leases (``OutboxStore.release``), or the lease lapses.

On PostgreSQL two transactions queuing to the same chat at the same moment may each see its
own row as the chat's head (neither sees the other's uncommitted row) and both be sent at
once, in either order. They are unrelated messages (a follow-up waits for the commit of what
came before it in its own chat); the per-chat flood limit still spaces them.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from models.db import after_commit
from services.channels import channel_of
from services.outbox import Claimed


class Dispatch(Protocol):
    """A sender running in this process that takes rows claimed for it as they commit."""

    @property
    def channel(self) -> str: ...

    @property
    def worker_id(self) -> str: ...

    @property
    def lease(self) -> timedelta: ...

    def reserve(self) -> bool:
        """Hold a slot for one row, if the sender has one free and is not stopping."""

    def take(self, row: Claimed) -> None:
        """Send ``row`` (claimed in a transaction that has now committed) in the held slot."""

    def unreserve(self) -> None:
        """Give the held slot back (nothing was claimed, or the transaction rolled back)."""


def reserve(dispatch: Dispatch | None, chat_id: int) -> Dispatch | None:
    """``dispatch``, holding a slot for a row to ``chat_id`` — or None: no sender here, another
    channel's chat, or no slot free. With a holder the caller claims the row in its write and
    calls :func:`hand_over` whatever came of it."""
    if dispatch is None or channel_of(chat_id) != dispatch.channel or not dispatch.reserve():
        return None
    return dispatch


def hand_over(session: AsyncSession, dispatch: Dispatch, row: Claimed | None) -> None:
    """After :func:`reserve`: ``row`` (leased to ``dispatch`` in this write) goes to the
    sender once the write commits, and the slot back if it rolls back; with no row (it stayed
    pending behind its chat's unsent one, or was already stored) the slot goes back now."""
    if row is None:
        dispatch.unreserve()
        return
    after_commit(session, partial(dispatch.take, row), dispatch.unreserve)
