"""The one place outbox rows become Telegram messages.

Woken the moment a use case commits outbox rows (the poll interval is only a safety net), it
claims due rows with a lease (the claim marks them ``sending`` and counts the attempt before any
request leaves), sends them outside any transaction through the rate-limited session, and
records each outcome as soon as it is known. A row keeps its slot until its outcome is
committed, so at any moment at most ``concurrency`` rows are claimed and unrecorded: those are
the sends in flight. After a crash they are sent again (the rule: at least once), so the most
a crash can repeat is the sends that had reached Telegram among them — never more than
``concurrency``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, ClassVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.methods import SendMessage
from aiogram.methods.base import Response
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardMarkup,
    InputPollOption,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from pydantic import BaseModel, ConfigDict

from bot.keyboards import inline, main_menu
from bot.limits import in_outbox_send
from bot.logs import DATABASE, Outage, is_unreachable
from models.enums import Role
from services import channel_outbox
from services.channel_media import (
    TELEGRAM_PHOTO,
    TELEGRAM_UPLOAD,
    FetchFile,
    MediaGone,
    MediaTooLarge,
    file_name,
    sniff,
)
from services.outbox import FILE_KINDS, Claimed, OutboxStore, Result, keyboard_of
from services.texts import Texts, Translator

log = logging.getLogger(__name__)

SHUTDOWN_PATIENCE = 10.0  # seconds a stopping sender keeps trying to record what it sent
# Turns of the event loop a busy sender lets pass after a commit's wake before it claims.
COALESCE_TURNS = 2


class SentId(BaseModel):
    """What the sender reads of a message it sent: its id (the rest of Telegram's answer —
    the chat, the sender, the text — is not parsed)."""

    model_config = ConfigDict(extra="ignore")
    message_id: int


# Held for the process's life, as bot/answer_types.py holds aiogram's own: pydantic caches a
# parametrized generic only weakly, and building it again costs milliseconds per send.
_SENT_ID_ANSWER = Response[SentId]


class OutboxText(SendMessage):
    """``sendMessage`` for an outbox text row, as aiogram's ``Bot.send_message`` would send it
    (the same fields and values on the wire), for less CPU — it is most of a notice's sends:
    built without validation from what the row holds, its keyboard serialized once per distinct
    keyboard (``reply_markup`` holds that JSON), and only the new message's id read back."""

    __returning__: ClassVar[Any] = SentId

    def model_dump(self, **_: Any) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "chat_id": self.chat_id,
            "text": self.text,
            "parse_mode": "HTML",
            "link_preview_options": self.link_preview_options,
        }
        if self.reply_markup is not None:
            wire["reply_markup"] = self.reply_markup
        # A reply (``reply_request``): these hold their wire form too.
        for field in ("reply_parameters", "message_thread_id", "business_connection_id"):
            value = getattr(self, field)
            if value is not None:
                wire[field] = value
        return wire


# The buttons' JSON -> reply_markup's JSON (encoded as aiogram's session encodes it), for the
# latest few keyboards: a notice's rows share one per language.
_KEYBOARDS: OrderedDict[str, str] = OrderedDict()
_KEYBOARDS_KEPT = 256
_NO_PREVIEW = json.dumps({"is_disabled": True})


def _inline_json(buttons: list[list[dict[str, Any]]]) -> str:
    key = json.dumps(buttons, ensure_ascii=False, sort_keys=True)
    markup = _KEYBOARDS.get(key)
    if markup is None:
        built = inline(keyboard_of({"buttons": buttons}))
        assert built is not None
        markup = json.dumps(built.model_dump(exclude_none=True))
        _KEYBOARDS[key] = markup
        if len(_KEYBOARDS) > _KEYBOARDS_KEPT:
            _KEYBOARDS.popitem(last=False)
    else:
        _KEYBOARDS.move_to_end(key)
    return markup


def text_request(chat_id: int, payload: dict[str, Any]) -> OutboxText:
    """The request for a text row without a menu (see :class:`OutboxText`)."""
    buttons = payload.get("buttons")
    # A copy of a request built once (model_construct deep-copies every field's default, more
    # CPU than the rest of the request), with this row's fields: already encoded, as the
    # session would encode them (hence not the fields' declared types).
    method = copy.copy(_TEXT_TEMPLATE)
    method.__dict__.update(
        chat_id=chat_id,
        text=payload["text"],
        reply_markup=_inline_json(buttons) if buttons else None,
        link_preview_options=_NO_PREVIEW,
    )
    return method


_TEXT_TEMPLATE = OutboxText.model_construct(chat_id=0, text="")


def reply_request(message: Message, text: str) -> OutboxText:
    """``message.reply(text)`` as aiogram would put it on the wire (the same fields and
    values), built without validation and reading back only the new message's id: the
    acknowledgement of every relayed message, where aiogram's own request and its reading of
    Telegram's answer (the sent message with the whole replied-to message inside) were a
    tenth of the relay's CPU."""
    method = copy.copy(_TEXT_TEMPLATE)
    chat = message.chat.id
    method.__dict__.update(
        chat_id=chat,
        text=text,
        link_preview_options=_NO_PREVIEW,
        reply_parameters=json.dumps(
            {"message_id": message.message_id, "chat_id": chat, "quote_parse_mode": "HTML"}
        ),
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
        business_connection_id=message.business_connection_id,
    )
    return method


async def deliver(
    bot: Bot,
    chat_id: int,
    payload: dict[str, Any],
    texts: Texts | None = None,
    facts: dict[str, Any] | None = None,
) -> int | None:
    """Send one payload; returns the new message's id (None for non-message payloads).
    ``facts`` receives what else Telegram said about the sent message (a poll's id)."""
    kind = payload["type"]
    if kind == "text" and not (payload.get("menu") and texts is not None):
        return (await bot(text_request(chat_id, payload))).message_id
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
    markup = inline(keyboard_of(payload))
    if payload.get("menu") and texts is not None:
        # A message that also brings back the role's main menu (a reply keyboard).
        translator = Translator(texts, payload.get("locale") or texts.locales[0])
        markup = main_menu(translator, Role(payload["menu"]))
    if kind == "text":
        msg = await bot.send_message(
            chat_id,
            payload["text"],
            parse_mode="HTML",
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return msg.message_id
    if kind == "copy":
        caption = payload.get("caption")
        copied = await bot.copy_message(
            chat_id,
            payload["from_chat_id"],
            payload["message_id"],
            caption=caption,
            parse_mode="HTML" if caption else None,
            reply_markup=markup,
        )
        return copied.message_id
    if kind == "upload":
        # A file from another channel (see OutboxSender.cross), uploaded: Telegram keeps it.
        upload = BufferedInputFile(payload["data"], payload["filename"])
        caption = payload.get("caption")
        uploaders: dict[str, Callable[..., Awaitable[Message]]] = {
            "photo": bot.send_photo,
            "video": bot.send_video,
            "voice": bot.send_voice,
            "document": bot.send_document,
        }
        sent = await uploaders[payload["kind"]](
            chat_id,
            upload,
            caption=caption,
            parse_mode="HTML" if caption else None,
            reply_markup=markup,
        )
        return sent.message_id
    if kind in ("video_note", "sticker"):
        # By Telegram's file id, and these take no caption.
        send_bare = bot.send_video_note if kind == "video_note" else bot.send_sticker
        return (await send_bare(chat_id, payload["file_id"], reply_markup=markup)).message_id
    if kind in FILE_KINDS:
        # A file by Telegram's file id (a notice's attachment, a stored message): never
        # uploaded again.
        caption = payload.get("caption")
        senders: dict[str, Callable[..., Awaitable[Message]]] = {
            "photo": bot.send_photo,
            "document": bot.send_document,
            "video": bot.send_video,
            "audio": bot.send_audio,
            "voice": bot.send_voice,
            "animation": bot.send_animation,
        }
        send = senders[kind]
        sent = await send(
            chat_id,
            payload["file_id"],
            caption=caption,
            parse_mode="HTML" if caption else None,
            reply_markup=markup,
        )
        return sent.message_id
    if kind == "edit":
        # A message the bot sent earlier in this chat, edited in place (a notice's progress).
        # "message is not modified" is forgiven by the session's middleware.
        await bot.edit_message_text(
            text=payload["text"],
            chat_id=chat_id,
            message_id=int(payload["message_id"]),
            parse_mode="HTML",
            reply_markup=inline(keyboard_of(payload)),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return int(payload["message_id"])
    if kind == "poll":
        # A native poll in a group (a consultation's single-choice question); its id is what
        # the votes (poll_answer) and totals (poll) name, so it is recorded with the row.
        poll = await bot.send_poll(
            chat_id,
            question=payload["question"],
            options=[InputPollOption(text=str(o)) for o in payload["options"]],
            is_anonymous=bool(payload.get("is_anonymous", True)),
            allows_multiple_answers=False,
        )
        if facts is not None and poll.poll is not None:
            facts["poll_id"] = poll.poll.id
        return poll.message_id
    if kind == "stop_poll":
        # A consultation's poll, closed at its deadline.
        await bot.stop_poll(chat_id, int(payload["message_id"]))
        return int(payload["message_id"])
    if kind == "commands":
        commands = [BotCommand(command=c, description=d) for c, d in payload["commands"]]
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))
        return None
    raise ValueError(f"unknown outbox payload type {kind!r}")


# The sender running in this process for a bot, if any (an intake-only replica has none).
_RUNNING: dict[int, OutboxSender] = {}


def running_sender(bot: Bot) -> OutboxSender | None:
    return _RUNNING.get(id(bot))


MAX_IN_FLIGHT = 100  # aiogram's aiohttp session keeps 100 connections


def sending_concurrency(rate: int, configured: int | None = None) -> int:
    """Sends in flight at once (``CPBOT_SENDER_IN_FLIGHT`` when set): by default enough to keep
    ``rate`` a second going with a quarter second per row from claim to record, never more than
    the bot's HTTP session has connections (more would only queue inside it, holding rows
    claimed). It is also the most messages a crash can repeat."""
    if configured is not None:
        return max(1, min(MAX_IN_FLIGHT, configured))
    return max(8, min(MAX_IN_FLIGHT, rate // 4))


class OutboxSender:
    """Claims due rows (no more than it has free slots), sends each outside any transaction,
    and records every outcome as soon as it is known: a recording in progress gathers what
    finished meanwhile into the next one, so under load the records come in small batches and
    when quiet one by one. A row's slot is free again only once its outcome is committed, so
    claimed-but-unrecorded rows never number more than ``concurrency``: a crash can send again
    only those, and only those whose request had reached Telegram arrive twice."""

    def __init__(
        self,
        store: OutboxStore,
        bot: Bot,
        *,
        concurrency: int = 16,
        poll_seconds: float = 5.0,
        recover_orphans: bool = False,
    ) -> None:
        self.store = store
        self.bot = bot
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        # The only sender of its database (SQLite): rows claimed by anyone else belong to a
        # process that died, and go out again at start instead of after their lease.
        self.recover_orphans = recover_orphans
        self._wake = asyncio.Event()
        self._slot = asyncio.Event()
        self._stopping = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        # Slots held for rows being claimed for this sender in an intake write (``reserve``)
        # until it commits (``take``) or rolls back (``unreserve``).
        self._reserved = 0
        # The run's own context: a row handed over by a handler is sent in it, not in the
        # handler's (whose update slot, session and lane are not the send's).
        self._context: contextvars.Context | None = None
        # Outcomes waiting to be recorded, each with the future its send task waits on (the
        # row's slot is held until its record is committed); None tells the recorder to stop.
        self._done: asyncio.Queue[tuple[Result, asyncio.Future[None]] | None] = asyncio.Queue()
        self._flusher: asyncio.Task[None] | None = None
        self._given_up = False
        # The last claim left rows due but untaken, each behind its chat's unsent head: the
        # next record may free one, so the recorder wakes the claimer then (otherwise a record
        # frees nothing to claim, and the claimer sleeps until a commit wakes it or the next
        # row is due).
        self._behind = False
        self._records = 0  # records committed, to spot one that landed during a claim
        self._claim_failed = False
        self._blocked_wait = 0.0  # how long to wait for rows behind someone else's head
        self._watchers: dict[str, list[asyncio.Future[Result]]] = {}
        self._case_watchers: list[tuple[int, int, asyncio.Future[Result]]] = []
        self.outage: Outage = DATABASE
        self.sent = 0
        # Where files kept by other channels are fetched (channel -> fetch; ``channel_file``
        # payloads), set when that channel runs in this process.
        self.channel_files: dict[str, FetchFile] = {}

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows (and from other processes' signals)."""
        self._wake.set()

    # services.dispatch.Dispatch: a relayed message claimed for this sender as it is stored.
    @property
    def channel(self) -> str:
        return self.store.channel

    @property
    def worker_id(self) -> str:
        return self.store.worker_id

    @property
    def lease(self) -> timedelta:
        return self.store.lease

    def reserve(self) -> bool:
        if self._context is None or self._stopping.is_set() or self._given_up:
            return False
        # Only while at most half busy: under load the claims take their turn (a notice's
        # rows, cards) instead of every freed slot going to the next relay.
        if len(self._inflight) + self._reserved >= max(1, self.concurrency // 2):
            return False
        self._reserved += 1
        return True

    def unreserve(self) -> None:
        self._reserved -= 1
        self._slot.set()

    def take(self, row: Claimed) -> None:
        self._reserved -= 1
        if self._stopping.is_set() or self._context is None:
            # Leased to this sender, never sent: its shutdown gives the lease back
            # (``OutboxStore.release``) or the lease lapses; either way it goes out later.
            self._slot.set()
            return
        self._start(row)

    def _start(self, row: Claimed) -> None:
        task = asyncio.create_task(self._send(row), context=self._context)
        self._inflight.add(task)
        task.add_done_callback(self._finished)

    def watch(self, key: str) -> asyncio.Future[Result]:
        """A future resolved with the recorded outcome of the row with this dedupe key, when
        this process sends it (a handler waits briefly to tell the truth about delivery)."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._watchers.setdefault(key, []).append(future)
        return future

    def watch_case(self, case_id: int, not_chat: int) -> asyncio.Future[Result]:
        """A future resolved with the first outcome of a person's message relayed on this case
        to a chat other than ``not_chat`` (the author's own)."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._case_watchers.append((case_id, not_chat, future))
        return future

    def unwatch_case(self, future: asyncio.Future[Result]) -> None:
        self._case_watchers = [w for w in self._case_watchers if w[2] is not future]

    def unwatch(self, key: str, future: asyncio.Future[Result]) -> None:
        waiting = self._watchers.get(key)
        if waiting and future in waiting:
            waiting.remove(future)
            if not waiting:
                del self._watchers[key]

    async def run(self) -> None:
        _RUNNING[id(self.bot)] = self
        try:
            await self._run()
        finally:
            _RUNNING.pop(id(self.bot), None)

    async def _run(self) -> None:
        self._context = contextvars.copy_context()
        if self.recover_orphans:
            try:
                taken = await self.store.recover()
                if taken:
                    log.info("outbox: took back %d rows a stopped process had claimed", taken)
            except Exception as exc:
                self.outage.failed(exc)
        flusher = self._flusher = asyncio.create_task(self._flush_loop())
        try:
            while not self._stopping.is_set():
                free = self.concurrency - len(self._inflight) - self._reserved
                if free < max(1, self.concurrency // 4):
                    # (Nearly) every slot busy: wait for a quarter of them to free, without
                    # asking the database — claims come in chunks, not one row at a time.
                    self._slot.clear()
                    await self._slot.wait()
                    continue
                # Cleared before the claim: a commit from now on is seen by this claim or
                # wakes the next one.
                self._wake.clear()
                records = self._records
                claimed, due = await self._claim(free)
                # After a failed claim, any record may be worth a claim (as before the pass).
                self._behind = due == 0.0 or self._claim_failed
                for row in claimed:
                    self._start(row)
                if claimed and len(claimed) == free:
                    await asyncio.sleep(0)
                    continue
                if self._behind and self._records != records:
                    continue  # a record landed during the claim: it may have freed a row
                await self._idle(due, bool(claimed))
        finally:
            self._context = None  # nothing more is handed over
            if self._inflight:
                # Each ends once its outcome is recorded (or the recorder gave up).
                await asyncio.gather(*self._inflight, return_exceptions=True)
            await self._done.put(None)  # nothing more will come: stop
            await flusher
            with contextlib.suppress(Exception):
                await self.store.release()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._slot.set()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._slot.set()

    async def _claim(self, limit: int) -> tuple[list[Claimed], float | None]:
        """Claim, and learn in the same transaction when the next row left is due."""
        self._claim_failed = False
        try:
            claimed, due = await self.store.claim_due(limit)
        except Exception as exc:
            self._claim_failed = True
            if is_unreachable(exc):
                self.outage.failed(exc)
            else:
                log.exception("outbox claim failed; retrying after the poll interval")
            return [], None
        self.outage.ok()
        return claimed, due

    async def _idle(self, due: float | None, took: bool) -> None:
        """Wait for a commit (``wake``), a record that may have freed a chat's next row, or
        the next row's due time; the poll interval is only a safety net. Nothing is asked of
        the database here: the claim said when the next row is due."""
        timeout = self.poll_seconds
        if due is None or took:
            self._blocked_wait = 0.0
        if due is not None and due > 0:
            timeout = min(timeout, max(due, 0.05))
        elif due is not None and not self._inflight:
            # Due but untaken, behind an unsent head that is not this sender's (the records of
            # its own heads wake it): another sender's, or a dead one's lease. Looked at
            # again after a pause that doubles while nothing else happens.
            self._blocked_wait = min(max(self._blocked_wait * 2, 0.05), self.poll_seconds)
            timeout = self._blocked_wait
        # asyncio.timeout, not wait_for: wait_for runs the wait as a task of its own, and a
        # commit's wake then took three turns of the event loop to reach the claim — behind
        # every handler ready meanwhile (4 ms at the median from commit to claim, 12 ms at the
        # 90th percentile, when updates come in a batch).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        if self._wake.is_set() and self._inflight:
            # Busy: let the handlers already running commit too, and take their rows in the
            # same claim. Claiming at every single commit cost a claim transaction per row
            # under load (saturating, 13 % fewer relays a second); a quiet sender, with
            # nothing in flight, claims at once.
            for _ in range(COALESCE_TURNS):
                await asyncio.sleep(0)

    async def _send(self, row: Claimed) -> None:
        """Send, then hold the slot until the outcome is committed: a row whose result is
        still unrecorded counts as in flight, since a crash now would send it again."""
        result = await self.deliver_row(row)
        recorded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._done.put((result, recorded))
        await recorded

    async def deliver_row(self, row: Claimed) -> Result:
        """Send one claimed row and say what happened; never raises for Telegram's answers."""
        token = in_outbox_send.set(True)
        try:
            facts: dict[str, Any] = {}
            payload = row.payload
            if payload.get("type") == "channel_file":
                payload = await self.cross(row)
            message_id = await deliver(self.bot, row.chat_id, payload, self.store.ctx.texts, facts)
            result = Result(row.id, "sent", message_id=message_id, poll_id=facts.get("poll_id"))
            self.sent += 1
        except TelegramRetryAfter as exc:
            result = Result(row.id, "rate_limited", retry_after=exc.retry_after, error=exc.message)
        except TelegramForbiddenError as exc:
            result = Result(row.id, "blocked", error=exc.message)
        except TelegramBadRequest as exc:
            result = Result(row.id, "dead", error=exc.message)
        except Exception as exc:  # network, 5xx, timeouts: back off and try again
            result = Result(row.id, "retry", error=f"{type(exc).__name__}: {exc}"[:500])
        finally:
            in_outbox_send.reset(token)
        result.claimed = row
        return result

    async def cross(self, row: Claimed) -> dict[str, Any]:
        """A file kept by another channel (a WeChat resident's photo, voice or video), fetched
        from there now (outside any transaction) to be uploaded to Telegram; the text with its
        mark instead when it is gone or too large, and then its sender is told. Network
        failures raise: the row is tried again later."""
        payload = row.payload
        fallback = {"type": "text", "text": payload["fallback"], "buttons": payload.get("buttons")}
        fetch = self.channel_files.get(str(payload.get("channel")))
        if fetch is None or not payload.get("media"):
            return fallback
        try:
            data, mime = await fetch(str(payload["media"]))
            if len(data) > TELEGRAM_UPLOAD:
                raise MediaTooLarge(len(data), TELEGRAM_UPLOAD)
        except MediaGone:
            return fallback
        except MediaTooLarge as exc:
            await self._too_large(row, exc)
            return fallback
        mime = sniff(data) if mime in ("", "application/octet-stream") else mime
        kind = str(payload.get("kind"))
        plays = {
            "photo": len(data) <= TELEGRAM_PHOTO and mime.startswith("image/"),
            "video": mime == "video/mp4",
            # WeChat's AMR or SILK go as files: Telegram plays voice as OGG or MP3 only.
            "voice": mime in ("audio/mpeg", "audio/ogg"),
        }
        if not plays.get(kind, False):
            kind = "document"
        return {
            "type": "upload",
            "kind": kind,
            "data": data,
            "filename": file_name(str(payload.get("kind")), mime),
            "caption": payload.get("caption"),
            "buttons": payload.get("buttons"),
        }

    async def _too_large(self, row: Claimed, exc: MediaTooLarge) -> None:
        author = row.payload.get("from_chat_id")
        if not author:
            return  # a sealed reporter: nobody to tell, and no chat to name
        await channel_outbox.tell_chat(
            self.store.ctx,
            int(author),
            f"toolarge{row.id}",
            "wx.media_too_large_telegram",
            kind=str(row.payload.get("kind")),
            limit=exc.limit_mb,
        )

    async def drain(self, batch: int = 100) -> int:
        """Send everything due now and return how many rows were handled (tests, tools)."""
        handled = 0
        while True:
            claimed, due = await self.store.claim_due(batch)
            if not claimed:
                return handled
            results = list(await asyncio.gather(*(self.deliver_row(row) for row in claimed)))
            queued = await self.store.complete(results)
            self._tell(results)
            handled += len(claimed)
            # Claim again only if there may be more due now: a full batch, a row that waited
            # behind one just recorded, or rows the record queued.
            if len(claimed) < batch and due != 0.0 and not queued:
                return handled

    async def _flush_loop(self) -> None:
        """Record outcomes as they come: whatever finished while the last record was written
        goes into the next (one short transaction). A failed record is tried again (the rows'
        leases stay this sender's, their slots stay taken), never dropped: a row recorded late
        is not sent twice, one never recorded would be. Only a stopping sender gives up, after
        ``SHUTDOWN_PATIENCE``; its rows then go out again as after a crash."""
        pending: list[tuple[Result, asyncio.Future[None]]] = []
        stop = False
        delay, waited = 0.2, 0.0
        while True:
            if not pending and not stop:
                item = await self._done.get()
                if item is None:
                    stop = True
                else:
                    pending.append(item)
            while not self._done.empty():
                item = self._done.get_nowait()
                if item is None:
                    stop = True
                else:
                    pending.append(item)
            if not pending:
                if stop:
                    return
                continue
            batch = [result for result, _ in pending]
            queued = False
            try:
                if not self._given_up:
                    queued = bool(await self.store.complete(batch))
            except Exception as exc:
                self.outage.failed(exc)
                if self._stopping.is_set() and waited > SHUTDOWN_PATIENCE:
                    log.warning("outbox: %d outcomes not recorded at shutdown", len(batch))
                    self._given_up = True
                    self._settle(pending)
                    pending = []
                    continue
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 5.0)
                continue
            if not self._given_up:
                self.outage.ok()
                self._tell(batch)
            delay, waited = 0.2, 0.0
            self._settle(pending)
            pending = []
            self._records += 1
            # The claimer claims again only when this record may have made a row due: a
            # recorded head with a row behind it (the last claim saw such rows), a row put
            # back for later (its due time is learnt by claiming), or rows queued by the
            # record. Otherwise claiming now would find nothing.
            if self._behind or queued or any(r.outcome != "sent" for r in batch):
                self._wake.set()

    @staticmethod
    def _settle(pending: list[tuple[Result, asyncio.Future[None]]]) -> None:
        for _, recorded in pending:
            if not recorded.done():
                recorded.set_result(None)

    def _tell(self, results: list[Result]) -> None:
        for res in results:
            row = res.claimed
            if row is None:
                continue
            for future in self._watchers.pop(row.dedupe_key, []) if row.dedupe_key else []:
                if not future.done():
                    future.set_result(res)
            if self._case_watchers and row.case_id and row.dedupe_key.startswith("ev"):
                for case_id, not_chat, future in self._case_watchers:
                    if case_id == row.case_id and row.chat_id != not_chat and not future.done():
                        future.set_result(res)
