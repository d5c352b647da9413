"""Who is talking to the bot: residents and staff, their language, phone and reachability."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from locales import LOCALES, normalize_locale
from models.enums import Role
from models.tables import Residency, Staff, User, pk
from services.audit import audit
from services.context import Context
from services.errors import Invalid, NotAllowed
from services.staff import refresh_commands

STAFF_ROLES = (Role.CADRE, Role.INSPECTOR, Role.ADMIN)
# People, roles and points are read on every update; they change rarely. A change made in
# this process drops the cache at once (``Database.people_version``, bumped on commit; with
# Redis, other processes' changes too); one made by another process without Redis (the
# command line) is seen within this many seconds. Use cases check roles again in their own
# transaction, so a stale role never grants anything.
ACTOR_TTL = 30.0
ACTOR_CACHE_SIZE = 50_000


@dataclass(frozen=True)
class Actor:
    """The person behind an update, as the use cases need to know them."""

    tg_id: int
    chat_id: int
    locale: str
    name: str
    user_id: int | None = None
    role: Role | None = None  # None: has not accepted the privacy notice yet
    staff_id: int | None = None
    point_id: int | None = None
    region: str | None = None  # an administrator's scope; None means everywhere
    phone: str | None = None

    @property
    def uid(self) -> int:
        """The user id of someone registered (handlers behind a role filter only)."""
        if self.user_id is None:
            raise NotAllowed("guest.start_first")
        return self.user_id

    @property
    def registered(self) -> bool:
        return self.user_id is not None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


@dataclass(frozen=True)
class _Known:
    actor: Actor
    version: int
    at: float


class People:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._known: OrderedDict[int, _Known] = OrderedDict()

    def _cached(self, tg_id: int, chat_id: int) -> Actor | None:
        known = self._known.get(tg_id)
        if known is None:
            return None
        fresh = (
            known.version == self.ctx.db.people_version
            and time.monotonic() - known.at < ACTOR_TTL
            and known.actor.chat_id == chat_id
        )
        if not fresh:
            del self._known[tg_id]
            return None
        return known.actor

    def _remember(self, actor: Actor, version: int) -> None:
        self._known[actor.tg_id] = _Known(actor, version, time.monotonic())
        self._known.move_to_end(actor.tg_id)
        while len(self._known) > ACTOR_CACHE_SIZE:
            self._known.popitem(last=False)

    async def actor(self, tg_id: int, chat_id: int, name: str, language_code: str | None) -> Actor:
        """Load the person behind an update; a stranger gets a guest actor and nothing is kept.

        A registered person is remembered (see ``ACTOR_TTL``): most updates read nothing."""
        cached = self._cached(tg_id, chat_id)
        if cached is not None:
            return cached
        version = self.ctx.db.people_version  # read before loading: a change during it wins
        async with self.ctx.db.read() as session:
            row = await self._load(session, tg_id)
        if row is None:
            locale = normalize_locale(language_code, self.ctx.config.default_locale)
            return Actor(tg_id=tg_id, chat_id=chat_id, locale=locale, name=name)
        user, staff, residency = row
        needs_admin = tg_id in self.ctx.config.admin_tg_ids and (
            staff is None or staff.role != Role.ADMIN or not staff.active
        )
        if user.blocked_at is not None or user.chat_id != chat_id or needs_admin:
            # They wrote to us, so they are reachable again; bootstrap administrators from settings.
            async with self.ctx.db.write() as session:
                await session.execute(
                    update(User)
                    .where(col(User.id) == user.id)
                    .values(blocked_at=None, chat_id=chat_id)
                )
                if needs_admin:
                    await self._make_admin(session, pk(user))
                row = await self._load(session, tg_id)
            assert row is not None
            user, staff, residency = row
            version = self.ctx.db.people_version
        actor = self._to_actor(user, staff, residency)
        self._remember(actor, version)
        return actor

    async def register(self, tg_id: int, chat_id: int, name: str, locale: str) -> Actor:
        """The person accepted the privacy notice: from now on we may keep what they tell us."""
        now = self.ctx.clock.now()
        if locale not in LOCALES:
            raise Invalid("language.unknown")
        async with self.ctx.db.write() as session:
            row = await self._load(session, tg_id)
            if row is None:
                user = User(
                    tg_id=tg_id,
                    chat_id=chat_id,
                    name=name[:128],
                    locale=locale,
                    privacy_accepted_at=now,
                    created_at=now,
                )
                session.add(user)
                await session.flush()
                if tg_id in self.ctx.config.admin_tg_ids:
                    await self._make_admin(session, pk(user))
                row = await self._load(session, tg_id)
        assert row is not None
        return self._to_actor(*row)

    async def set_locale(self, user_id: int, locale: str) -> None:
        if locale not in LOCALES:
            raise Invalid("language.unknown")
        async with self.ctx.db.write() as session:
            await session.execute(update(User).where(col(User.id) == user_id).values(locale=locale))
            await refresh_commands(session, self.ctx, user_id)

    async def set_phone(self, user_id: int, phone: str | None) -> None:
        """Keep a phone number only with consent: sharing it is the consent; None withdraws it."""
        now = self.ctx.clock.now()
        clean = None
        if phone:
            clean = "".join(ch for ch in phone if ch.isdigit() or ch == "+")[:20]
            if len(clean.strip("+")) < 5:
                raise Invalid("phone.invalid")
        async with self.ctx.db.write() as session:
            await session.execute(
                update(User)
                .where(col(User.id) == user_id)
                .values(phone=clean, phone_consent_at=now if clean else None)
            )

    async def set_reachable(self, tg_id: int, reachable: bool) -> None:
        """The person blocked or unblocked the bot (Telegram told us)."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            await session.execute(
                update(User)
                .where(col(User.tg_id) == tg_id)
                .values(blocked_at=None if reachable else now)
            )

    async def _make_admin(self, session: AsyncSession, user_id: int) -> None:
        now = self.ctx.clock.now()
        staff = (await session.execute(select(Staff).where(col(Staff.user_id) == user_id))).scalar()
        if staff is None:
            session.add(Staff(user_id=user_id, role=Role.ADMIN, created_at=now))
        else:
            staff.role, staff.active, staff.removed_at, staff.region = Role.ADMIN, True, None, None
        audit(session, now, None, "staff:bootstrap_admin", f"user:{user_id}")
        await session.flush()
        await refresh_commands(session, self.ctx, user_id)

    @staticmethod
    async def _load(
        session: AsyncSession, tg_id: int
    ) -> tuple[User, Staff | None, Residency | None] | None:
        stmt = (
            select(User, Staff, Residency)
            .join(Staff, col(Staff.user_id) == col(User.id), isouter=True)
            .join(Residency, col(Residency.user_id) == col(User.id), isouter=True)
            .where(col(User.tg_id) == tg_id)
        )
        row = (await session.execute(stmt)).first()
        return None if row is None else (row[0], row[1], row[2])

    @staticmethod
    def _to_actor(user: User, staff: Staff | None, residency: Residency | None) -> Actor:
        active_staff = staff if staff is not None and staff.active else None
        role = Role(active_staff.role) if active_staff else Role.RESIDENT
        return Actor(
            tg_id=user.tg_id,
            chat_id=user.chat_id,
            locale=user.locale,
            name=user.name,
            user_id=user.id,
            role=role,
            staff_id=active_staff.id if active_staff else None,
            point_id=residency.contact_point_id if residency else None,
            region=active_staff.region if active_staff else None,
            phone=user.phone,
        )
