"""Policy notices (政策通知 / 公告): composed once, fanned out to every resident, paced,
resumable, cancellable, acknowledged.

How a notice travels:

1. ``create`` checks who may address whom (cadres: the points they are assigned to;
   administrators: anything within their region scope; the CLI: everywhere) and stores the notice,
   ``scheduled`` or straight away ``sending``. Starting fixes the audience as a set of contact
   points (``notice_points``) and queues the posts to the points' linked Telegram groups.
2. The scheduler's ``tick`` starts due scheduled notices (a guarded ``UPDATE … WHERE
   status='scheduled'``, so two instances never both start one) and *advances* every notice in
   flight: it tallies progress, edits the author's progress message through the outbox, and
   queues the next chunks of recipients.
3. Recipients are read in keyset order (``user id > cursor``), a chunk at a time; the chunk's
   outbox rows and the new cursor commit in one transaction. A crash resumes after the last
   committed chunk, and each row's unique key (``notice{id}:u{user_id}``) guards as well.
   Residents already known to have blocked the bot are skipped (and counted as blocked).
4. The fan-out is *paced*: only about ``ahead_seconds`` of sending is queued ahead of the sender
   (measured from the delivery rate). The sender takes due rows oldest first, so a million rows
   queued at once would hold every case relay behind them for hours; paced, a cadre's reply
   waits seconds at most while a county-wide notice goes out, and cancelling is immediate.
5. Cancelling marks the notice's pending rows ``cancelled`` in chunks (again on later ticks, for
   rows a sender gives back after a 429), and stops the fan-out.

A notice's outbox rows are found without a column on the outbox: they lie in a primary-key range
recorded on the notice and their key starts with ``notice{id}:`` (an exact prefix test).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from locales import LOCALES, normalize_locale
from models.enums import OutboxStatus, Role
from models.notices import Notice, NoticePoint, NoticeRead
from models.queries import insert_ignore
from models.tables import Assignment, ContactPoint, Outbox, Residency, Staff, User, pk, table_of
from services.audit import audit
from services.cards import staff_name
from services.context import Context
from services.errors import Invalid, NotAllowed, NotFound, Refusal
from services.outbox import (
    Button,
    Keyboard,
    edit_message,
    enqueue,
    enqueue_many,
    media_message,
    text_message,
)
from services.points import residency_of
from services.reminders import Handler
from services.staff import covers_region
from services.texts import Texts, cut, esc

log = logging.getLogger(__name__)

SCHEDULED = "scheduled"
SENDING = "sending"
SENT = "sent"
CANCELLED = "cancelled"

# Room left for the heading and signature around the author's words.
TEXT_LIMIT = 3800
CAPTION_LIMIT = 800
MAX_AHEAD = timedelta(days=90)
MEDIA_KINDS = ("photo", "document")
AUDIENCE_KINDS = ("all", "regions", "points")

_FINAL = (OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.CANCELLED)
_UNSETTLED = (OutboxStatus.PENDING, OutboxStatus.SENDING)


# ---- plain data in and out ---------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Who a notice is for: everyone the author may reach, some regions, or some points."""

    kind: str = "all"
    regions: tuple[str, ...] = ()
    point_ids: tuple[int, ...] = ()
    point_codes: tuple[str, ...] = ()  # the CLI names points by code

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "regions": list(self.regions),
            "point_ids": list(self.point_ids),
            "point_codes": list(self.point_codes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            str(data.get("kind", "all")),
            tuple(str(r) for r in data.get("regions") or ()),
            tuple(int(i) for i in data.get("point_ids") or ()),
            tuple(str(c) for c in data.get("point_codes") or ()),
        )


@dataclass(frozen=True)
class NoticeMedia:
    """A photo or document kept by Telegram's file id (never uploaded again), and the author's
    message it came with."""

    kind: Literal["photo", "document"]
    file_id: str
    chat_id: int
    message_id: int

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file_id": self.file_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> NoticeMedia | None:
        if not data:
            return None
        kind: Literal["photo", "document"] = "photo" if data["kind"] == "photo" else "document"
        return cls(kind, str(data["file_id"]), int(data["chat_id"]), int(data["message_id"]))


@dataclass(frozen=True)
class NoticeDraft:
    texts: dict[str, str]  # locale -> HTML (Telegram's subset)
    fallback_locale: str  # the author's language: for residents without their own variant
    audience: Audience
    media: NoticeMedia | None = None
    send_at: datetime | None = None  # None: now


@dataclass(frozen=True)
class PointChoice:
    id: int
    code: str
    name: str
    region: str
    has_group: bool


@dataclass(frozen=True)
class ComposeScope:
    """What the author may address: the points (and, for administrators, their regions)."""

    is_admin: bool
    points: list[PointChoice]
    regions: list[str]


@dataclass(frozen=True)
class Estimate:
    points: int
    residents: int
    unreachable: int  # known to have blocked the bot: skipped
    groups: int
    tz: str
    point_names: list[str]


@dataclass(frozen=True)
class Created:
    notice_id: int
    status: str
    duplicate: bool
    text: str  # the author's progress message as it should read now
    buttons: Keyboard


@dataclass(frozen=True)
class Tally:
    sent: int = 0
    failed: int = 0
    blocked: int = 0  # 403 on sending, or skipped as already blocked
    cancelled: int = 0
    in_flight: int = 0

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.blocked + self.cancelled


@dataclass(frozen=True)
class Progress:
    notice_id: int
    status: str
    total: int
    tally: Tally
    reads: int
    rate: float
    fanout_done: bool
    finished: bool
    groups: int

    @property
    def remaining(self) -> int:
        if self.finished or self.status == CANCELLED:
            return 0
        return max(self.total - self.tally.done, self.tally.in_flight, 0)


@dataclass(frozen=True)
class ChunkResult:
    queued: int
    skipped: int
    done: bool


@dataclass(frozen=True)
class NoticeLine:
    id: int
    status: str
    when: datetime
    title: str
    read: bool
    tz: str


@dataclass(frozen=True)
class ResidentNotice:
    id: int
    text: str
    media: NoticeMedia | None
    read: bool
    buttons: Keyboard


@dataclass(frozen=True)
class LinkedGroup:
    point_name: str
    point_code: str
    link: str


@dataclass(frozen=True)
class TickReport:
    started: int = 0
    advanced: int = 0
    queued: int = 0
    finished: int = 0


@dataclass
class _Rights:
    """Who is composing and what they may address (None user: the office, from the CLI)."""

    user_id: int | None
    chat_id: int | None
    locale: str
    name: str
    title: str
    is_admin: bool
    region: str | None  # an administrator's scope; None means everywhere
    point_ids: frozenset[int] | None = None  # a cadre's current points
    extra: dict[str, Any] = field(default_factory=dict)


# ---- formatting helpers (pure) ------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")


def plain_length(html_text: str) -> int:
    """How long a message of this HTML is once Telegram has parsed it (what its limits count)."""
    return len(html.unescape(_TAG.sub("", html_text)))


def first_line(html_text: str, limit: int = 48) -> str:
    text = html.unescape(_TAG.sub("", html_text)).strip()
    line = text.splitlines()[0] if text else ""
    return cut(line, limit)


def bar(share: float, width: int = 10) -> str:
    full = max(0, min(width, round(share * width)))
    return "▓" * full + "░" * (width - full)


_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?|tg)://[^\s)]+)\)")
_MD_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_MD_ITALIC = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_MD_BULLET = re.compile(r"^(\s*)[-*+]\s+")


def markdown_to_html(source: str) -> str:
    """The small Markdown of a notice file as Telegram HTML: headings and **bold**, *italic*,
    ~~strike~~, `code`, [links](https://…) and bullet lists; everything else is plain text."""
    spans: list[str] = []

    def keep(fragment: str) -> str:
        spans.append(fragment)
        return f"\x00{len(spans) - 1}\x00"

    lines = []
    for raw in source.strip().splitlines():
        line = esc(raw.rstrip())
        line = _MD_CODE.sub(lambda m: keep(f"<code>{m.group(1)}</code>"), line)
        line = _MD_LINK.sub(
            lambda m: keep(f'<a href="{m.group(2).replace(chr(34), "%22")}">{m.group(1)}</a>'),
            line,
        )
        heading = _MD_HEADING.match(line)
        if heading:
            line = f"<b>{heading.group(1)}</b>"
        line = _MD_BULLET.sub(lambda m: m.group(1) + "• ", line)
        line = _MD_BOLD.sub(r"<b>\1</b>", line)
        line = _MD_STRIKE.sub(r"<s>\1</s>", line)
        line = _MD_ITALIC.sub(r"<i>\1</i>", line)
        lines.append(line)
    text = "\n".join(lines)
    return re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], text)


_LANG_MARK = re.compile(r"^\s*<!--\s*lang:\s*([A-Za-z_-]+)\s*-->\s*$", re.IGNORECASE)


def parse_notice_file(source: str, default_locale: str) -> dict[str, str]:
    """A notice file's language variants as HTML.

    Sections start with a line ``<!-- lang: en -->`` (invisible wherever Markdown is shown);
    text before the first marker is in ``default_locale``.
    """
    parts: dict[str, list[str]] = {}
    current = default_locale
    for line in source.splitlines():
        mark = _LANG_MARK.match(line)
        if mark:
            current = normalize_locale(mark.group(1), "")
            if not current:
                raise Invalid("notices.file_language", language=mark.group(1))
            continue
        parts.setdefault(current, []).append(line)
    variants = {
        locale: markdown_to_html("\n".join(lines))
        for locale, lines in parts.items()
        if "\n".join(lines).strip()
    }
    if not variants:
        raise Invalid("notices.empty")
    return variants


_WHEN = re.compile(
    r"^\s*(?:(?:(\d{4})[-/.])?(\d{1,2})[-/.](\d{1,2})\s+)?(\d{1,2})\s*[:：]\s*(\d{2})\s*$"
)


def parse_when(text: str, tz: str, now: datetime) -> datetime:
    """``2026-03-05 09:00``, ``03-05 09:00`` or ``09:00`` (the next one), in the point's zone."""
    match = _WHEN.match(text or "")
    if not match:
        raise Invalid("notices.time_format")
    year, month, day, hour, minute = match.groups()
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    try:
        if month is None:
            moment = local_now.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
            if moment <= local_now:
                moment += timedelta(days=1)
        else:
            moment = datetime(
                int(year) if year else local_now.year,
                int(month),
                int(day),
                int(hour),
                int(minute),
                tzinfo=zone,
            )
    except ValueError:
        raise Invalid("notices.time_format") from None
    when = moment.astimezone(now.tzinfo)
    if when <= now:
        raise Invalid("notices.time_past")
    if when - now > MAX_AHEAD:
        raise Invalid("notices.time_too_far", days=MAX_AHEAD.days)
    return when


def _duration_minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


# ---- the use cases ------------------------------------------------------------------------


class Notices:
    def __init__(
        self,
        ctx: Context,
        *,
        chunk_size: int = 1000,
        ahead_seconds: float = 10.0,
        first_window: int = 500,
        min_window: int = 100,
        max_window: int = 20_000,
        progress_every: float = 3.0,
    ) -> None:
        self.ctx = ctx
        self.texts: Texts = ctx.texts
        self.chunk_size = chunk_size
        self.ahead_seconds = ahead_seconds
        self.first_window = first_window
        self.min_window = min_window
        self.max_window = max_window
        self.progress_every = timedelta(seconds=progress_every)

    def reminder_handlers(self) -> dict[str, Handler]:
        return {}

    # ---- composing -----------------------------------------------------------------------

    async def compose_scope(self, user_id: int) -> ComposeScope:
        """What a staff member may address; residents and inspectors are refused."""
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
            scope = await self._scope_points(session, rights)
        if not scope:
            raise Invalid("notices.no_points")
        regions = sorted({p.region for p in scope if p.region})
        choices = [
            PointChoice(pk(p), p.code, p.name, p.region, p.group_chat_id is not None) for p in scope
        ]
        return ComposeScope(rights.is_admin, choices, regions if rights.is_admin else [])

    def check_text(self, html_text: str, *, with_media: bool) -> None:
        """Refuse an empty notice, or one too long for a message (or a caption, with media)."""
        length = plain_length(html_text)
        if not html_text.strip() or length == 0:
            raise Invalid("notices.empty")
        limit = CAPTION_LIMIT if with_media else TEXT_LIMIT
        if length > limit:
            raise Invalid("notices.too_long", limit=limit, length=length)

    def when(self, text: str, tz: str) -> datetime:
        return parse_when(text, tz, self.ctx.clock.now())

    async def estimate(self, user_id: int | None, audience: Audience) -> Estimate:
        """How many residents (and groups) an audience reaches, as the author may address it."""
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
            chosen = _pick(await self._scope_points(session, rights), audience)
            residents, unreachable = await _count_residents(session, [pk(p) for p in chosen])
        return Estimate(
            points=len(chosen),
            residents=residents,
            unreachable=unreachable,
            groups=sum(1 for p in chosen if p.group_chat_id is not None),
            tz=chosen[0].tz,
            point_names=[p.name for p in chosen],
        )

    async def preview(self, user_id: int, draft: NoticeDraft, locale: str) -> str:
        """The notice as a resident using ``locale`` will read it, signed by its author."""
        async with self.ctx.db.read() as session:
            rights = await self._rights(session, user_id)
        return self._render(draft.texts, draft.fallback_locale, locale, rights.name, rights.title)

    async def create(
        self,
        user_id: int | None,
        draft: NoticeDraft,
        *,
        origin: str | None = None,
        progress_message_id: int | None = None,
    ) -> Created:
        """Store a notice (scheduled, or sending now). ``origin`` names the confirmation (the
        wizard's message): confirming twice creates one notice."""
        self.check_draft(draft)
        now = self.ctx.clock.now()
        send_at = draft.send_at or now
        if send_at > now + MAX_AHEAD:
            raise Invalid("notices.time_too_far", days=MAX_AHEAD.days)
        if origin is not None:
            existing = await self._by_origin(origin)
            if existing is not None:
                return existing
        try:
            async with self.ctx.db.write() as session:
                rights = await self._rights(session, user_id)
                # Refused here, with the reason, rather than silently when it starts.
                chosen = _pick(await self._scope_points(session, rights), draft.audience)
                notice = Notice(
                    origin=origin,
                    author_user_id=rights.user_id,
                    author_chat_id=rights.chat_id,
                    author_name=rights.name[:128],
                    author_title=rights.title[:60],
                    fallback_locale=draft.fallback_locale,
                    texts=dict(draft.texts),
                    media=draft.media.to_json() if draft.media else None,
                    audience={**draft.audience.to_json(), "tz": chosen[0].tz},
                    status=SCHEDULED,
                    send_at=send_at,
                    created_at=now,
                    progress_message_id=progress_message_id,
                )
                session.add(notice)
                await session.flush()
                audit(
                    session,
                    now,
                    rights.user_id,
                    "notice:create",
                    f"notice:{notice.id}",
                    audience=draft.audience.kind,
                    scheduled=send_at > now,
                    source="bot" if origin else "cli",
                )
                if send_at > now:
                    notice.audience_size, _ = await _count_residents(
                        session, [pk(p) for p in chosen]
                    )
                else:
                    await self._start(session, notice, now)
                text, buttons = await self._status_message(session, notice, now)
                notice.progress_text = text
                notice.progress_at = now
                if progress_message_id is None and notice.author_chat_id is not None:
                    # From the CLI: the progress message is a new one, edited from then on.
                    await enqueue(
                        session,
                        now,
                        key=f"nprog{notice.id}:0",
                        chat_id=notice.author_chat_id,
                        payload=text_message(text, buttons),
                        recipient_user_id=notice.author_user_id,
                    )
                return Created(pk(notice), notice.status, False, text, buttons)
        except IntegrityError:
            if origin is None:
                raise
            existing = await self._by_origin(origin)
            if existing is None:
                raise
            return existing

    # ---- the scheduler's tick ------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Start due notices, then advance every notice in flight (progress, fan-out, end)."""
        started = await self.start_due()
        async with self.ctx.db.read() as session:
            open_ids = (
                (
                    await session.execute(
                        select(col(Notice.id))
                        .where(
                            col(Notice.status).in_((SENDING, CANCELLED)),
                            col(Notice.finished_at).is_(None),
                        )
                        .order_by(col(Notice.id))
                    )
                )
                .scalars()
                .all()
            )
        queued = finished = 0
        for notice_id in open_ids:
            assert notice_id is not None
            try:
                progress = await self.advance(notice_id)
            except Exception:
                log.exception("advancing notice %s failed; next tick retries", notice_id)
                continue
            if progress is None:
                continue
            queued += progress[1]
            finished += int(progress[0].finished)
        return TickReport(started, len(open_ids), queued, finished)

    async def start_due(self) -> int:
        """Move due scheduled notices to sending; a guarded update, so one instance starts each."""
        now = self.ctx.clock.now()
        async with self.ctx.db.read() as session:
            due = (
                (
                    await session.execute(
                        select(col(Notice.id)).where(
                            col(Notice.status) == SCHEDULED, col(Notice.send_at) <= now
                        )
                    )
                )
                .scalars()
                .all()
            )
        started = 0
        for notice_id in due:
            async with self.ctx.db.write() as session:
                claimed = await session.execute(
                    update(Notice)
                    .where(
                        col(Notice.id) == notice_id,
                        col(Notice.status) == SCHEDULED,
                        col(Notice.send_at) <= now,
                    )
                    .values(status=SENDING, started_at=now)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another instance started it, or it was cancelled meanwhile
                notice = await session.get(Notice, notice_id, populate_existing=True)
                assert notice is not None
                await self._start(session, notice, now)
                started += 1
        return started

    async def advance(self, notice_id: int) -> tuple[Progress, int] | None:
        """One step for one notice: tally and report progress, then queue what fits ahead."""
        progress = await self._settle(notice_id)
        if progress is None:
            return None
        queued = 0
        if progress.status == SENDING and not progress.fanout_done:
            room = self._window(progress.rate) - progress.tally.in_flight
            while room > 0:
                chunk = await self.queue_chunk(notice_id, min(room, self.chunk_size))
                if chunk is None:
                    break
                queued += chunk.queued
                room -= chunk.queued + chunk.skipped
                if chunk.done:
                    break
        return progress, queued

    def _window(self, rate: float) -> int:
        if rate <= 0:
            return self.first_window
        return int(min(self.max_window, max(self.min_window, rate * self.ahead_seconds)))

    async def queue_chunk(self, notice_id: int, size: int | None = None) -> ChunkResult | None:
        """Queue up to ``size`` recipients after the cursor (looking at no more than a chunk of
        residents) and move the cursor past them, in one transaction. None when the notice is
        not (or no longer) fanning out."""
        size = size or self.chunk_size
        scan = max(size, self.chunk_size)
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            notice = await _locked(session, notice_id)
            if notice is None or notice.status != SENDING or notice.fanout_done_at is not None:
                return None
            points = set(
                (
                    await session.execute(
                        select(col(NoticePoint.contact_point_id)).where(
                            col(NoticePoint.notice_id) == notice_id
                        )
                    )
                )
                .scalars()
                .all()
            )
            # Walk residents in id order on the unique index and keep those of the notice's
            # points: every resident is looked at once over the whole fan-out, whatever the
            # audience (a point filter first would sort all of a point's residents each chunk).
            scanned = (
                await session.execute(
                    select(col(Residency.user_id), col(Residency.contact_point_id))
                    .where(col(Residency.user_id) > notice.cursor)
                    .order_by(col(Residency.user_id))
                    .limit(scan)
                )
            ).all()
            wanted: list[int] = []
            cursor = notice.cursor
            for user_id, point in scanned:
                if len(wanted) == size:
                    break
                cursor = int(user_id)
                if point in points:
                    wanted.append(cursor)
            done = len(scanned) < scan and cursor == (int(scanned[-1][0]) if scanned else cursor)
            people = await _contacts(session, wanted)
            payloads = {loc: await self._resident_payload(session, notice, loc) for loc in LOCALES}
            fallback = payloads[notice.fallback_locale]
            out: list[dict[str, Any]] = []
            skipped = 0
            for user_id in wanted:
                chat_id, locale, blocked = people[user_id]
                if blocked:
                    skipped += 1
                    continue
                out.append(
                    {
                        "dedupe_key": f"notice{notice_id}:u{user_id}",
                        "chat_id": chat_id,
                        "payload": payloads.get(locale, fallback),
                        "recipient_user_id": user_id,
                    }
                )
            await enqueue_many(session, out, now)
            notice.cursor = cursor
            notice.queued += len(out)
            notice.skipped_blocked += skipped
            notice.outbox_upto_id = max(notice.outbox_upto_id, await _max_outbox_id(session))
            if done:
                notice.fanout_done_at = now
                notice.audience_size = notice.queued + notice.skipped_blocked
            return ChunkResult(len(out), skipped, done)

    # ---- cancelling ----------------------------------------------------------------------

    async def cancel(self, user_id: int | None, notice_id: int) -> Progress:
        """Stop a notice: nothing more is queued, and what is not yet sent never will be."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            notice = await _locked(session, notice_id)
            if notice is None:
                raise NotFound("notices.not_found")
            await self._may_manage(session, user_id, notice)
            if notice.status == SENT or (
                notice.finished_at is not None and notice.status != CANCELLED
            ):
                raise Invalid("notices.already_finished", id=notice_id)
            if notice.status != CANCELLED:
                was = notice.status
                notice.status = CANCELLED
                notice.cancelled_at = now
                notice.cancelled_by_user_id = user_id
                if was == SCHEDULED:
                    notice.finished_at = now  # nothing was sent; nothing to report on
                    text, buttons = await self._status_message(session, notice, now)
                    await self._show_progress(session, notice, text, buttons, now, force=True)
                audit(session, now, user_id, "notice:cancel", f"notice:{notice_id}", was=was)
        while await self._cancel_pending(notice_id, batch=self.chunk_size) == self.chunk_size:
            pass
        progress = await self.progress(user_id, notice_id)
        return progress

    async def _cancel_pending(self, notice_id: int, batch: int) -> int:
        """Mark up to ``batch`` of the notice's unsent rows cancelled; how many were."""
        async with self.ctx.db.write() as session:
            notice = await session.get(Notice, notice_id)
            if notice is None or notice.started_at is None:
                return 0
            return await self._cancel_rows(session, notice, batch)

    async def _cancel_rows(self, session: AsyncSession, notice: Notice, batch: int) -> int:
        mine = or_(_prefixed(f"notice{notice.id}:"), _prefixed(f"ngroup{notice.id}:"))
        pick = (
            select(col(Outbox.id))
            .where(
                col(Outbox.id) >= notice.settled_id,
                col(Outbox.id) <= notice.outbox_upto_id,
                col(Outbox.status) == OutboxStatus.PENDING,
                mine,
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

    # ---- progress ------------------------------------------------------------------------

    async def progress(self, user_id: int | None, notice_id: int) -> Progress:
        """Where a notice stands (read-only), for its author or an administrator over it."""
        async with self.ctx.db.read() as session:
            notice = await session.get(Notice, notice_id)
            if notice is None:
                raise NotFound("notices.not_found")
            await self._may_manage(session, user_id, notice)
            tally = await self._tally(session, notice)
            return await self._progress(session, notice, tally)

    async def details(self, user_id: int, notice_id: int, locale: str) -> tuple[str, Keyboard]:
        """The author's card for one notice: its status and figures, with what can be done."""
        async with self.ctx.db.read() as session:
            notice = await session.get(Notice, notice_id)
            if notice is None:
                raise NotFound("notices.not_found")
            await self._may_manage(session, user_id, notice)
            progress = await self._progress(session, notice, await self._tally(session, notice))
            text, buttons = self._progress_text(notice, progress, locale)
        head = self.texts(locale, "notices.details_head", title=esc(first_line(_body(notice))))
        refresh = [Button(self.texts(locale, "notices.btn_refresh"), "notice_refresh", notice_id)]
        return head + "\n\n" + text, [*buttons, refresh]

    async def _settle(self, notice_id: int) -> Progress | None:
        """Tally the rows above the settled mark, move the mark over the final ones, measure the
        rate, finish the notice when nothing is left, and keep the author's message current."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            notice = await _locked(session, notice_id)
            if notice is None or notice.finished_at is not None or notice.started_at is None:
                return None
            if notice.status == CANCELLED:
                # Rows given back by a sender after a 429 or an expired lease: cancel them too.
                await self._cancel_rows(session, notice, batch=self.chunk_size)
            groups = await self._groups(session, notice, notice.settled_id)
            above = _tally_of(groups)
            first_open = min(
                (low for (status, _), (_, low) in groups.items() if status in _UNSETTLED),
                default=None,
            )
            if first_open is None:
                settled = above
                notice.settled_id = max(notice.settled_id, notice.outbox_upto_id + 1)
            elif first_open > notice.settled_id:
                below = await self._groups(session, notice, notice.settled_id, first_open - 1)
                settled = _tally_of(below)
                notice.settled_id = first_open
            else:
                settled = Tally()
            tally = Tally(
                sent=notice.sent + above.sent,
                failed=notice.failed + above.failed,
                blocked=notice.blocked + above.blocked + notice.skipped_blocked,
                cancelled=notice.cancelled_rows + above.cancelled,
                in_flight=above.in_flight,
            )
            notice.sent += settled.sent
            notice.failed += settled.failed
            notice.blocked += settled.blocked
            notice.cancelled_rows += settled.cancelled
            self._measure(notice, tally.done - notice.skipped_blocked, now)
            if tally.in_flight == 0 and (
                notice.status == CANCELLED
                or (notice.status == SENDING and notice.fanout_done_at is not None)
            ):
                if notice.status == SENDING:
                    notice.status = SENT
                notice.finished_at = now
            progress = await self._progress(session, notice, tally)
            await self._report(session, notice, progress, now)
            return progress

    def _measure(self, notice: Notice, done: int, now: datetime) -> None:
        if notice.measured_at is None:
            notice.measured_at, notice.measured_done = now, done
            return
        elapsed = (now - notice.measured_at).total_seconds()
        if elapsed < 2:
            return
        rate = max(done - notice.measured_done, 0) / elapsed
        notice.rate = rate if notice.rate <= 0 else 0.6 * rate + 0.4 * notice.rate
        notice.measured_at, notice.measured_done = now, done

    async def _groups(
        self, session: AsyncSession, notice: Notice, low: int, high: int | None = None
    ) -> dict[tuple[str, bool], tuple[int, int]]:
        """Rows of the notice in [low, high] by (status, recipient blocked): (count, lowest id)."""
        high = notice.outbox_upto_id if high is None else high
        if high < low:
            return {}
        blocked = col(User.blocked_at).is_not(None)
        rows = (
            await session.execute(
                select(col(Outbox.status), blocked, func.count(), func.min(col(Outbox.id)))
                .select_from(Outbox)
                .join(User, col(User.id) == col(Outbox.recipient_user_id), isouter=True)
                .where(
                    col(Outbox.id) >= low,
                    col(Outbox.id) <= high,
                    _prefixed(f"notice{notice.id}:"),
                )
                .group_by(col(Outbox.status), blocked)
            )
        ).all()
        return {(str(s), bool(b)): (int(n), int(m or 0)) for s, b, n, m in rows}

    async def _tally(self, session: AsyncSession, notice: Notice) -> Tally:
        if notice.started_at is None:
            return Tally()
        above = _tally_of(await self._groups(session, notice, notice.settled_id))
        return Tally(
            sent=notice.sent + above.sent,
            failed=notice.failed + above.failed,
            blocked=notice.blocked + above.blocked + notice.skipped_blocked,
            cancelled=notice.cancelled_rows + above.cancelled,
            in_flight=above.in_flight,
        )

    async def _progress(self, session: AsyncSession, notice: Notice, tally: Tally) -> Progress:
        reads = int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(NoticeRead)
                    .where(col(NoticeRead.notice_id) == notice.id)
                )
            ).scalar_one()
        )
        return Progress(
            notice_id=pk(notice),
            status=notice.status,
            total=max(notice.audience_size, tally.done + tally.in_flight),
            tally=tally,
            reads=reads,
            rate=notice.rate,
            fanout_done=notice.fanout_done_at is not None,
            finished=notice.finished_at is not None,
            groups=notice.groups,
        )

    async def _report(
        self, session: AsyncSession, notice: Notice, progress: Progress, now: datetime
    ) -> None:
        notice_id = pk(notice)
        locale = await self._author_locale(session, notice)
        text, buttons = self._progress_text(notice, progress, locale)
        final = notice.finished_at is not None
        await self._show_progress(session, notice, text, buttons, now, force=final)
        if final and notice.author_chat_id is not None:
            # An edit makes no sound: tell the author it is over in a message of its own.
            await enqueue(
                session,
                now,
                key=f"nfinal{notice.id}",
                chat_id=notice.author_chat_id,
                payload=text_message(
                    self.texts(locale, "notices.finished_ping", id=notice.id),
                    [[Button(self.texts(locale, "notices.btn_details"), "notice_open", notice_id)]],
                ),
                recipient_user_id=notice.author_user_id,
            )

    async def _show_progress(
        self,
        session: AsyncSession,
        notice: Notice,
        text: str,
        buttons: Keyboard,
        now: datetime,
        *,
        force: bool,
    ) -> None:
        """Queue an edit of the author's progress message, if it changed and is due."""
        if notice.author_chat_id is None or text == notice.progress_text:
            return
        if notice.progress_message_id is None:
            notice.progress_message_id = await _sent_message_id(session, f"nprog{notice.id}:0")
            if notice.progress_message_id is None:
                return  # the first message is not out yet: the next tick edits it
        if not force:
            if notice.progress_at is not None and now - notice.progress_at < self.progress_every:
                return
            previous = await _status_of(session, f"nprog{notice.id}:{notice.progress_seq}")
            if previous in _UNSETTLED:
                return  # the last edit is still on its way: don't pile them up
        notice.progress_seq += 1
        await enqueue(
            session,
            now,
            key=f"nprog{notice.id}:{notice.progress_seq}",
            chat_id=notice.author_chat_id,
            payload=edit_message(notice.progress_message_id, text, buttons),
            recipient_user_id=notice.author_user_id,
        )
        notice.progress_text, notice.progress_at = text, now

    def _progress_text(
        self, notice: Notice, progress: Progress, locale: str
    ) -> tuple[str, Keyboard]:
        t = self.texts
        tally = progress.tally
        cancel = [[Button(t(locale, "notices.btn_cancel"), "notice_cancel", pk(notice))]]
        if notice.status == SCHEDULED:
            when = t.when(locale, notice.send_at, self._tz(notice))
            text = t(
                locale,
                "notices.progress_scheduled",
                id=notice.id,
                when=when,
                residents=notice.audience_size,
            )
            return text, cancel
        if progress.finished and notice.status == SENT:
            minutes = _duration_minutes(
                (
                    (notice.finished_at or notice.send_at) - (notice.started_at or notice.send_at)
                ).total_seconds()
            )
            text = t(
                locale,
                "notices.report_done",
                id=notice.id,
                sent=tally.sent,
                total=progress.total,
                failed=tally.failed,
                blocked=tally.blocked,
                groups=progress.groups,
                reads=progress.reads,
                minutes=minutes,
            )
            return text, []
        if notice.status == CANCELLED:
            key = "notices.report_cancelled" if progress.finished else "notices.progress_cancelling"
            text = t(
                locale,
                key,
                id=notice.id,
                sent=tally.sent,
                stopped=max(progress.total - tally.sent - tally.failed - tally.blocked, 0),
                reads=progress.reads,
            )
            return text, []
        share = tally.done / progress.total if progress.total else 0.0
        if progress.rate > 0 and progress.remaining:
            seconds = progress.remaining / progress.rate
            eta = (
                t(locale, "notices.eta_minutes", minutes=_duration_minutes(seconds))
                if seconds >= 60
                else t(locale, "notices.eta_soon")
            )
        else:
            eta = t(locale, "notices.eta_unknown")
        text = t(
            locale,
            "notices.progress",
            id=notice.id,
            bar=bar(share),
            percent=int(share * 100),
            sent=tally.sent,
            failed=tally.failed,
            blocked=tally.blocked,
            remaining=progress.remaining,
            eta=eta,
        )
        return text, cancel

    async def _status_message(
        self, session: AsyncSession, notice: Notice, now: datetime
    ) -> tuple[str, Keyboard]:
        locale = await self._author_locale(session, notice)
        tally = await self._tally(session, notice)
        return self._progress_text(notice, await self._progress(session, notice, tally), locale)

    # ---- starting ------------------------------------------------------------------------

    async def _start(self, session: AsyncSession, notice: Notice, now: datetime) -> None:
        """Fix the audience (with the author's rights as they are now), mark where the notice's
        outbox rows begin, and queue the posts to linked groups."""
        chosen = await self._audience_points(session, notice)
        notice.started_at = notice.started_at or now
        if not chosen:
            notice.status = CANCELLED
            notice.cancelled_at = notice.finished_at = now
            return
        notice.status = SENDING
        await insert_ignore(
            session,
            table_of(NoticePoint),
            [{"notice_id": notice.id, "contact_point_id": pk(p)} for p in chosen],
            "notice_id",
            "contact_point_id",
        )
        notice.audience_size, _ = await _count_residents(session, [pk(p) for p in chosen])
        notice.outbox_after_id = await _max_outbox_id(session)
        notice.settled_id = notice.outbox_after_id + 1
        group_rows = []
        for point in chosen:
            if point.group_chat_id is None:
                continue
            group_rows.append(
                {
                    "dedupe_key": f"ngroup{notice.id}:p{point.id}",
                    "chat_id": point.group_chat_id,
                    "payload": await self._group_payload(session, notice, point),
                }
            )
        await enqueue_many(session, group_rows, now)
        notice.groups = len(group_rows)
        notice.outbox_upto_id = await _max_outbox_id(session)
        notice.measured_at, notice.measured_done = now, 0
        await session.flush()

    # ---- residents -----------------------------------------------------------------------

    async def mark_read(self, user_id: int, notice_id: int) -> bool:
        """The resident read the notice; True the first time, False when already counted."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            notice = await session.get(Notice, notice_id)
            if notice is None or not await self._visible_to(session, notice, user_id):
                raise NotFound("notices.not_found")
            if await session.get(NoticeRead, (notice_id, user_id)) is not None:
                return False
            await insert_ignore(
                session,
                table_of(NoticeRead),
                [{"notice_id": notice_id, "user_id": user_id, "read_at": now}],
                "notice_id",
                "user_id",
            )
            return True

    async def for_resident(self, user_id: int, limit: int = 10) -> list[NoticeLine]:
        """The recent notices of the resident's contact point, newest first."""
        async with self.ctx.db.read() as session:
            residency = await residency_of(session, user_id)
            if residency is None:
                return []
            point = await session.get(ContactPoint, residency.contact_point_id)
            assert point is not None
            read = (
                select(func.count())
                .select_from(NoticeRead)
                .where(
                    col(NoticeRead.notice_id) == col(Notice.id),
                    col(NoticeRead.user_id) == user_id,
                )
                .scalar_subquery()
            )
            rows = (
                await session.execute(
                    select(Notice, read)
                    .join(NoticePoint, col(NoticePoint.notice_id) == col(Notice.id))
                    .where(
                        col(NoticePoint.contact_point_id) == residency.contact_point_id,
                        col(Notice.status).in_((SENDING, SENT)),
                    )
                    .order_by(col(Notice.started_at).desc(), col(Notice.id).desc())
                    .limit(limit)
                )
            ).all()
            user = await session.get(User, user_id)
            locale = user.locale if user else self.ctx.config.default_locale
        return [
            NoticeLine(
                pk(n),
                n.status,
                n.started_at or n.send_at,
                first_line(n.texts.get(locale) or n.texts[n.fallback_locale]),
                bool(was_read),
                point.tz,
            )
            for n, was_read in rows
        ]

    async def open_for_resident(self, user_id: int, notice_id: int) -> ResidentNotice:
        async with self.ctx.db.read() as session:
            notice = await session.get(Notice, notice_id)
            if notice is None or not await self._visible_to(session, notice, user_id):
                raise NotFound("notices.not_found")
            user = await session.get(User, user_id)
            assert user is not None
            read = await session.get(NoticeRead, (notice_id, user_id)) is not None
        locale = user.locale
        text = self._render(
            notice.texts, notice.fallback_locale, locale, notice.author_name, notice.author_title
        )
        return ResidentNotice(
            pk(notice),
            text,
            NoticeMedia.from_json(notice.media),
            read,
            [[self.read_button(locale, notice_id, read=read)]],
        )

    def read_button(self, locale: str, notice_id: int, *, read: bool) -> Button:
        key = "notices.btn_read_done" if read else "notices.btn_read"
        return Button(self.texts(locale, key), "notice_read", notice_id)

    # ---- staff ---------------------------------------------------------------------------

    async def of_author(self, user_id: int, limit: int = 10) -> list[NoticeLine]:
        async with self.ctx.db.read() as session:
            await self._rights(session, user_id)
            rows = (
                (
                    await session.execute(
                        select(Notice)
                        .where(col(Notice.author_user_id) == user_id)
                        .order_by(col(Notice.id).desc())
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
            tz = await self._default_tz(session)
        return [
            NoticeLine(pk(n), n.status, n.started_at or n.send_at, first_line(_body(n)), False, tz)
            for n in rows
        ]

    async def recent(self, limit: int = 20) -> list[tuple[NoticeLine, Progress]]:
        """Every recent notice with its figures (the office's CLI)."""
        async with self.ctx.db.read() as session:
            rows = (
                (await session.execute(select(Notice).order_by(col(Notice.id).desc()).limit(limit)))
                .scalars()
                .all()
            )
            tz = await self._default_tz(session)
            result = []
            for n in rows:
                progress = await self._progress(session, n, await self._tally(session, n))
                line = NoticeLine(
                    pk(n), n.status, n.started_at or n.send_at, first_line(_body(n)), False, tz
                )
                result.append((line, progress))
        return result

    # ---- groups --------------------------------------------------------------------------

    async def link_group(self, user_id: int, code: str, chat_id: int) -> LinkedGroup:
        """Link a Telegram group to a contact point: its notices are posted there too."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            try:
                rights = await self._rights(session, user_id)
            except NotAllowed:
                raise NotAllowed("notices.link_staff_only") from None
            point = (
                await session.execute(
                    select(ContactPoint).where(
                        func.lower(col(ContactPoint.code)) == code.strip().lower()
                    )
                )
            ).scalar()
            if point is None:
                raise NotFound("point.not_found", code=esc(code[:32]))
            if pk(point) not in {pk(p) for p in await self._scope_points(session, rights)}:
                raise NotAllowed("notices.link_not_yours", code=point.code)
            await session.execute(
                update(ContactPoint)
                .where(col(ContactPoint.group_chat_id) == chat_id, col(ContactPoint.id) != point.id)
                .values(group_chat_id=None)
            )
            point.group_chat_id = chat_id
            audit(session, now, user_id, "point:link_group", f"point:{point.code}")
            return LinkedGroup(point.name, point.code, self.registration_link(point.code))

    async def unlink_group(self, user_id: int, chat_id: int) -> str:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            try:
                rights = await self._rights(session, user_id)
            except NotAllowed:
                raise NotAllowed("notices.link_staff_only") from None
            point = (
                await session.execute(
                    select(ContactPoint).where(col(ContactPoint.group_chat_id) == chat_id)
                )
            ).scalar()
            if point is None:
                raise Invalid("notices.group_not_linked")
            if pk(point) not in {pk(p) for p in await self._scope_points(session, rights)}:
                raise NotAllowed("notices.link_not_yours", code=point.code)
            point.group_chat_id = None
            audit(session, now, user_id, "point:unlink_group", f"point:{point.code}")
            return point.name

    async def group_point(self, chat_id: int) -> LinkedGroup | None:
        async with self.ctx.db.read() as session:
            point = (
                await session.execute(
                    select(ContactPoint).where(col(ContactPoint.group_chat_id) == chat_id)
                )
            ).scalar()
        if point is None:
            return None
        return LinkedGroup(point.name, point.code, self.registration_link(point.code))

    async def group_gone(self, chat_id: int) -> None:
        """The bot was removed from a group: nothing more is posted there."""
        async with self.ctx.db.write() as session:
            await session.execute(
                update(ContactPoint)
                .where(col(ContactPoint.group_chat_id) == chat_id)
                .values(group_chat_id=None)
            )

    async def group_moved(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup and has a new id."""
        async with self.ctx.db.write() as session:
            await session.execute(
                update(ContactPoint)
                .where(col(ContactPoint.group_chat_id) == old_chat_id)
                .values(group_chat_id=new_chat_id)
            )

    async def author_of_tg(self, tg_id: int) -> int:
        """The user id of the staff member with this Telegram id (the CLI's ``--author``)."""
        async with self.ctx.db.read() as session:
            user_id = (
                await session.execute(select(col(User.id)).where(col(User.tg_id) == tg_id))
            ).scalar()
            if user_id is None:
                raise NotFound("notices.cli_no_author", tg_id=tg_id)
            await self._rights(session, user_id)
        return int(user_id)

    def registration_link(self, code: str) -> str:
        return f"https://t.me/{self.ctx.config.bot_username}?start=cp_{code}"

    # ---- internals -----------------------------------------------------------------------

    def check_draft(self, draft: NoticeDraft) -> None:
        """Refuse a draft that cannot be sent: no text in the author's language, a text too
        long, an unknown language, audience or kind of media."""
        if draft.fallback_locale not in LOCALES:
            raise Invalid("language.unknown")
        if draft.audience.kind not in AUDIENCE_KINDS:
            raise Invalid("notices.no_audience")
        if draft.media is not None and draft.media.kind not in MEDIA_KINDS:
            raise Invalid("notices.media_kind")
        if draft.fallback_locale not in draft.texts:
            raise Invalid("notices.empty")
        for locale, body in draft.texts.items():
            if locale not in LOCALES:
                raise Invalid("language.unknown")
            self.check_text(body, with_media=draft.media is not None)

    async def _by_origin(self, origin: str) -> Created | None:
        async with self.ctx.db.read() as session:
            notice = (
                await session.execute(select(Notice).where(col(Notice.origin) == origin))
            ).scalar()
            if notice is None:
                return None
            text, buttons = await self._status_message(session, notice, self.ctx.clock.now())
            return Created(pk(notice), notice.status, True, text, buttons)

    async def _rights(self, session: AsyncSession, user_id: int | None) -> _Rights:
        if user_id is None:
            return _Rights(None, None, self.ctx.config.default_locale, "", "", True, None)
        row = (
            await session.execute(
                select(User, Staff)
                .join(Staff, col(Staff.user_id) == col(User.id), isouter=True)
                .where(col(User.id) == user_id)
            )
        ).first()
        if row is None:
            raise NotAllowed("notices.staff_only")
        user, staff = row
        if staff is None or not staff.active or staff.role not in (Role.CADRE, Role.ADMIN):
            raise NotAllowed("notices.staff_only")
        rights = _Rights(
            user_id,
            user.chat_id,
            user.locale,
            user.name,
            staff.title,
            staff.role == Role.ADMIN,
            staff.region if staff.role == Role.ADMIN else None,
        )
        if not rights.is_admin:
            rights.point_ids = frozenset(
                (
                    await session.execute(
                        select(col(Assignment.contact_point_id)).where(
                            col(Assignment.staff_id) == staff.id, col(Assignment.until).is_(None)
                        )
                    )
                )
                .scalars()
                .all()
            )
        return rights

    async def _scope_points(self, session: AsyncSession, rights: _Rights) -> list[ContactPoint]:
        points = (
            (
                await session.execute(
                    select(ContactPoint)
                    .where(col(ContactPoint.active))
                    .order_by(col(ContactPoint.region), col(ContactPoint.code))
                )
            )
            .scalars()
            .all()
        )
        if rights.point_ids is not None:
            return [p for p in points if p.id in rights.point_ids]
        return [p for p in points if covers_region(rights.region, p.region)]

    async def _may_manage(self, session: AsyncSession, user_id: int | None, notice: Notice) -> None:
        """The author, or an administrator whose scope covers all of the notice's points."""
        if user_id is None or user_id == notice.author_user_id:
            return
        try:
            rights = await self._rights(session, user_id)
        except NotAllowed:
            raise NotFound("notices.not_found") from None
        if not rights.is_admin:
            raise NotFound("notices.not_found")
        regions = (
            (
                await session.execute(
                    select(col(ContactPoint.region))
                    .join(NoticePoint, col(NoticePoint.contact_point_id) == col(ContactPoint.id))
                    .where(col(NoticePoint.notice_id) == notice.id)
                )
            )
            .scalars()
            .all()
        )
        if notice.started_at is None:  # not fixed yet: the points it would go to now
            regions = [p.region for p in await self._audience_points(session, notice)]
        if not all(covers_region(rights.region, r) for r in regions):
            raise NotFound("notices.not_found")

    async def _audience_points(self, session: AsyncSession, notice: Notice) -> list[ContactPoint]:
        """The points a notice goes to, with its author's rights as they are now (none if the
        author lost them meanwhile, e.g. a cadre who moved on)."""
        try:
            rights = await self._rights(session, notice.author_user_id)
            scope = await self._scope_points(session, rights)
            return _pick(scope, Audience.from_json(notice.audience))
        except Refusal:
            return []

    async def _visible_to(self, session: AsyncSession, notice: Notice, user_id: int) -> bool:
        """Delivered to this resident, or sent to their contact point (they joined since)."""
        if notice.status not in (SENDING, SENT, CANCELLED) or notice.started_at is None:
            return False
        if await _status_of(session, f"notice{notice.id}:u{user_id}") is not None:
            return True
        if notice.status == CANCELLED:
            return False
        here = (
            await session.execute(
                select(col(NoticePoint.notice_id))
                .join(
                    Residency,
                    col(Residency.contact_point_id) == col(NoticePoint.contact_point_id),
                )
                .where(col(NoticePoint.notice_id) == notice.id, col(Residency.user_id) == user_id)
            )
        ).first()
        return here is not None

    async def _author_locale(self, session: AsyncSession, notice: Notice) -> str:
        if notice.author_user_id is not None:
            author = await session.get(User, notice.author_user_id)
            if author is not None:
                return author.locale
        return notice.fallback_locale

    def _tz(self, notice: Notice) -> str:
        return str((notice.audience or {}).get("tz") or "Asia/Shanghai")

    async def _default_tz(self, session: AsyncSession) -> str:
        tz = (await session.execute(select(col(ContactPoint.tz)).limit(1))).scalar()
        return str(tz or "Asia/Shanghai")

    def _render(
        self, texts: dict[str, str], fallback: str, locale: str, name: str, title: str
    ) -> str:
        body = texts.get(locale) or texts[fallback]
        author = (
            staff_name(self.texts, locale, name, title)
            if name
            else self.texts(locale, "notices.from_office")
        )
        return self.texts(locale, "notices.notice", body=body, author=author)

    async def _resident_payload(
        self, session: AsyncSession, notice: Notice, locale: str
    ) -> dict[str, Any]:
        text = self._render(
            notice.texts, notice.fallback_locale, locale, notice.author_name, notice.author_title
        )
        buttons = [[self.read_button(locale, pk(notice), read=False)]]
        return self._payload(notice, text, buttons)

    async def _group_payload(
        self, session: AsyncSession, notice: Notice, point: ContactPoint
    ) -> dict[str, Any]:
        locale = notice.fallback_locale
        text = self._render(notice.texts, locale, locale, notice.author_name, notice.author_title)
        join = Button(
            self.texts(locale, "notices.btn_register", point=point.name),
            url=self.registration_link(point.code),
        )
        return self._payload(notice, text, [[join]])

    def _payload(self, notice: Notice, text: str, buttons: Keyboard) -> dict[str, Any]:
        media = NoticeMedia.from_json(notice.media)
        if media is None:
            return text_message(text, buttons)
        return media_message(media.kind, media.file_id, caption=text, buttons=buttons)


# ---- module helpers -----------------------------------------------------------------------


def _prefixed(prefix: str) -> ColumnElement[bool]:
    """An exact, collation-independent test that a row's key starts with ``prefix``."""
    return func.substr(col(Outbox.dedupe_key), 1, len(prefix)) == prefix


def _tally_of(groups: dict[tuple[str, bool], tuple[int, int]]) -> Tally:
    sent = failed = blocked = cancelled = in_flight = 0
    for (status, is_blocked), (count, _) in groups.items():
        if status == OutboxStatus.SENT:
            sent += count
        elif status == OutboxStatus.DEAD:
            if is_blocked:
                blocked += count
            else:
                failed += count
        elif status == OutboxStatus.CANCELLED:
            cancelled += count
        else:
            in_flight += count
    return Tally(sent, failed, blocked, cancelled, in_flight)


def _body(notice: Notice) -> str:
    return notice.texts.get(notice.fallback_locale) or next(iter(notice.texts.values()), "")


def _pick(scope: Sequence[ContactPoint], audience: Audience) -> list[ContactPoint]:
    """The points of ``scope`` an audience names; naming anything outside it is refused."""
    if audience.kind == "all":
        chosen = list(scope)
    elif audience.kind == "regions":
        chosen = []
        for region in audience.regions:
            matched = [p for p in scope if covers_region(region, p.region)]
            if not matched:
                raise NotAllowed("notices.region_refused", region=esc(region[:60]))
            chosen += [p for p in matched if p not in chosen]
    elif audience.kind == "points":
        by_id = {pk(p): p for p in scope}
        by_code = {p.code.lower(): p for p in scope}
        chosen = []
        for point_id in audience.point_ids:
            if point_id not in by_id:
                raise NotAllowed("notices.point_refused")
            chosen.append(by_id[point_id])
        for code in audience.point_codes:
            if code.lower() not in by_code:
                raise NotAllowed("notices.point_code_refused", code=esc(code[:32]))
            chosen.append(by_code[code.lower()])
        chosen = list({pk(p): p for p in chosen}.values())
    else:
        raise Invalid("notices.no_audience")
    if not chosen:
        raise Invalid("notices.no_audience")
    return chosen


async def _locked(session: AsyncSession, notice_id: int) -> Notice | None:
    """The notice row, locked for this transaction (PostgreSQL; SQLite has one writer)."""
    return (
        await session.execute(
            select(Notice)
            .where(col(Notice.id) == notice_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar()


async def _count_residents(session: AsyncSession, point_ids: list[int]) -> tuple[int, int]:
    if not point_ids:
        return 0, 0
    total, blocked = (
        await session.execute(
            select(
                func.count(),
                func.count(col(User.blocked_at)),
            )
            .select_from(Residency)
            .join(User, col(User.id) == col(Residency.user_id))
            .where(col(Residency.contact_point_id).in_(point_ids))
        )
    ).one()
    return int(total), int(blocked)


async def _contacts(session: AsyncSession, user_ids: list[int]) -> dict[int, tuple[int, str, bool]]:
    """Chat id, language and whether they blocked the bot, for each of ``user_ids``."""
    if not user_ids:
        return {}
    rows = (
        await session.execute(
            select(
                col(User.id), col(User.chat_id), col(User.locale), col(User.blocked_at).is_not(None)
            ).where(col(User.id).in_(user_ids))
        )
    ).all()
    return {
        int(uid or 0): (int(chat), str(locale), bool(blocked))
        for uid, chat, locale, blocked in rows
    }


async def _max_outbox_id(session: AsyncSession) -> int:
    return int((await session.execute(select(func.max(col(Outbox.id))))).scalar() or 0)


async def _status_of(session: AsyncSession, key: str) -> str | None:
    status = (
        await session.execute(select(col(Outbox.status)).where(col(Outbox.dedupe_key) == key))
    ).scalar()
    return None if status is None else str(status)


async def _sent_message_id(session: AsyncSession, key: str) -> int | None:
    value = (
        await session.execute(
            select(col(Outbox.sent_message_id)).where(
                col(Outbox.dedupe_key) == key, col(Outbox.status) == OutboxStatus.SENT
            )
        )
    ).scalar()
    return None if value is None else int(value)


__all__ = [
    "Audience",
    "ComposeScope",
    "Created",
    "Estimate",
    "NoticeDraft",
    "NoticeLine",
    "NoticeMedia",
    "Notices",
    "Progress",
    "ResidentNotice",
    "Tally",
]
