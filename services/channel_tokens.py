"""Access tokens of outside platforms (WeChat), shared by every process through the database.

WeChat allows 2,000 token fetches a day, and a new token retires the previous one five minutes
later, so processes must not each fetch their own. One row per account holds the token; a process
that finds it missing or near expiry takes a short lease on the row and fetches, and the others
keep using the old token (still valid) or wait for the new one. A crashed fetcher's lease lapses.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlmodel import col

from models.channels import ChannelToken
from models.db import Database
from models.queries import insert_ignore
from models.tables import table_of
from services.clock import Clock

# Refresh this long before expiry, so no request carries a token that lapses on the way.
REFRESH_MARGIN = timedelta(minutes=5)
LEASE = timedelta(seconds=20)


@dataclass(frozen=True)
class Fetched:
    token: str
    expires_in: int  # seconds, as the platform says


Fetch = Callable[[], Awaitable[Fetched]]


class TokenUnavailable(RuntimeError):
    """No token could be had: the platform refused, or another process's fetch never ended."""


class SharedToken:
    """One account's access token, fetched by one process at a time for all of them."""

    def __init__(
        self, db: Database, clock: Clock, key: str, fetch: Fetch, poll: float = 0.2
    ) -> None:
        self._db = db
        self._clock = clock
        self._key = key
        self._fetch = fetch
        self._poll = poll
        self._owner = uuid.uuid4().hex
        self._cached: tuple[str, datetime] | None = None
        self._local = asyncio.Lock()  # one fetch per process at a time

    async def get(self) -> str:
        """A token valid for at least the refresh margin, fetching one if needed."""
        if (fresh := self._fresh(self._cached)) is not None:
            return fresh
        async with self._local:
            deadline = self._clock.now() + LEASE * 2
            while True:
                stored = await self._read()
                if (fresh := self._fresh(stored)) is not None:
                    self._cached = stored
                    return fresh
                if await self._take_lease():
                    return await self._refresh()
                # Another process is fetching: an old token that still works will do meanwhile.
                if stored is not None and stored[1] > self._clock.now():
                    return stored[0]
                if self._clock.now() >= deadline:
                    raise TokenUnavailable(self._key)
                await asyncio.sleep(self._poll)

    async def invalidate(self, token: str) -> None:
        """The platform called ``token`` invalid: drop it (only if nobody replaced it yet)."""
        self._cached = None
        now = self._clock.now()
        async with self._db.write() as session:
            await session.execute(
                update(ChannelToken)
                .where(col(ChannelToken.key) == self._key, col(ChannelToken.token) == token)
                .values(expires_at=now)
            )

    def _fresh(self, stored: tuple[str, datetime] | None) -> str | None:
        if stored is None or stored[1] - REFRESH_MARGIN <= self._clock.now():
            return None
        return stored[0]

    async def _read(self) -> tuple[str, datetime] | None:
        async with self._db.read() as session:
            row = (
                await session.execute(
                    select(col(ChannelToken.token), col(ChannelToken.expires_at)).where(
                        col(ChannelToken.key) == self._key
                    )
                )
            ).first()
        if row is None or row[0] is None or row[1] is None:
            return None
        return row[0], row[1]

    async def _take_lease(self) -> bool:
        now = self._clock.now()
        async with self._db.write() as session:
            await insert_ignore(session, table_of(ChannelToken), [{"key": self._key}], "key")
            result = await session.execute(
                update(ChannelToken)
                .where(
                    col(ChannelToken.key) == self._key,
                    or_(
                        col(ChannelToken.lease_until).is_(None), col(ChannelToken.lease_until) < now
                    ),
                    # Not if another process stored a fresh token since we looked.
                    or_(
                        col(ChannelToken.token).is_(None),
                        col(ChannelToken.expires_at) <= now + REFRESH_MARGIN,
                    ),
                )
                .values(lease_owner=self._owner, lease_until=now + LEASE)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _refresh(self) -> str:
        try:
            fetched = await self._fetch()
        except BaseException:
            await self._release(None)
            raise
        expires_at = self._clock.now() + timedelta(seconds=fetched.expires_in)
        await self._release((fetched.token, expires_at))
        self._cached = (fetched.token, expires_at)
        return fetched.token

    async def _release(self, new: tuple[str, datetime] | None) -> None:
        values: dict[str, object] = {"lease_owner": None, "lease_until": None}
        if new is not None:
            values |= {"token": new[0], "expires_at": new[1]}
        async with self._db.write() as session:
            await session.execute(
                update(ChannelToken)
                .where(
                    col(ChannelToken.key) == self._key,
                    col(ChannelToken.lease_owner) == self._owner,
                )
                .values(**values)
            )
