"""Telegram's sending limits, kept on our side so its 429s stay rare.

Every message the bot sends — outbox rows and direct answers alike — passes one limiter through
a request middleware on the bot's session: at most ``rate`` messages in any second bot-wide, one
a second per private chat, ``group_per_minute`` a minute per group. A 429 pauses every sender for
``retry_after``. With several processes the windows live in Redis (``bot/redis_limits.py``).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    CopyMessages,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    ForwardMessage,
    ForwardMessages,
    SendAnimation,
    SendAudio,
    SendContact,
    SendDocument,
    SendLocation,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendSticker,
    SendVenue,
    SendVideo,
    SendVideoNote,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType

from bot.presses import MemoryPresses, PressBook

log = logging.getLogger(__name__)

EDITS = (EditMessageText, EditMessageCaption, EditMessageReplyMarkup)
BURST_SPAN = 0.1
SWEEP_EVERY = 10.0  # seconds between sweeps of chats idle for two minutes
# Telegram counts a group's 20 a minute from when messages arrive; we count from when the answer
# came back (no earlier than the arrival), over a minute lengthened by the same 5 % margin that a
# person's interval (1.05 s) keeps.
GROUP_WINDOW = 63.0
SENDING = (
    SendMessage,
    CopyMessage,
    ForwardMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    SendAudio,
    SendDocument,
    SendAnimation,
    SendSticker,
    SendLocation,
    SendVenue,
    SendContact,
    SendVideoNote,
    SendMediaGroup,
    CopyMessages,
    ForwardMessages,
)

# Set while the outbox sender is sending: it handles 429s itself (reschedules the row), while a
# handler's direct answer is retried here after the pause.
in_outbox_send: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "in_outbox_send", default=False
)


class Limiter(Protocol):
    async def acquire(self, chat_id: int, count: int = 1) -> None: ...

    async def sent(self, chat_id: int, count: int = 1) -> None:
        """The message is with Telegram: a person's next one waits a full interval from now,
        so two senders' requests can never arrive closer than that."""

    async def pause(self, seconds: float) -> None: ...


class MemoryLimiter:
    """The limits for one process."""

    def __init__(
        self,
        rate: int = 25,
        group_per_minute: int = 20,
        chat_interval: float = 1.05,
        clock: Callable[[], float] = time.monotonic,
        group_window: float = GROUP_WINDOW,
    ) -> None:
        self.rate = rate
        self.group_per_minute = group_per_minute
        self.group_window = group_window
        self.chat_interval = chat_interval
        self.clock = clock
        self._window: deque[float] = deque()
        # A tenth of the second's budget in any tenth of a second: after a start or a pause
        # the messages leave spread out, not in one bunch that a busy machine delivers at once.
        self._burst: deque[float] = deque()
        self.burst = max(1, math.ceil(rate * BURST_SPAN))
        self._global = asyncio.Lock()
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._chat_last: dict[int, float] = {}
        self._group_windows: dict[int, deque[float]] = {}
        self._paused_until = 0.0
        self._next_sweep = 0.0

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def sent(self, chat_id: int, count: int = 1) -> None:
        if chat_id > 0:
            self._chat_last[chat_id] = self.clock() + self.chat_interval * (count - 1)
        elif chat_id < 0:
            # The group's slots count from now, when Telegram surely has the message, not from
            # when the request left: a slow request must not free its slot early.
            window = self._group_windows.setdefault(chat_id, deque())
            for _ in range(min(count, len(window))):
                window.pop()
            window.extend([self.clock()] * count)

    async def acquire(self, chat_id: int, count: int = 1) -> None:
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            await self._wait_chat(chat_id, count)
            await self._wait_global(count)
            now = self.clock()
            if chat_id < 0:
                self._group_windows.setdefault(chat_id, deque()).extend([now] * count)
            else:
                # An album counts as several messages: space the next send accordingly.
                self._chat_last[chat_id] = now + self.chat_interval * (count - 1)
        if len(self._chat_locks) > 10_000 and self.clock() >= self._next_sweep:
            # At most every few seconds: a county-wide notice keeps tens of thousands of chats
            # recent, and sweeping them on every message cost more than the sending.
            self._next_sweep = self.clock() + SWEEP_EVERY
            self._forget_idle()

    async def _wait_chat(self, chat_id: int, count: int) -> None:
        while True:
            now = self.clock()
            if chat_id < 0:
                window = self._group_windows.setdefault(chat_id, deque())
                while window and window[0] <= now - self.group_window:
                    window.popleft()
                full = len(window) + count > self.group_per_minute
                wait = window[0] + self.group_window - now if full else 0.0
            else:
                wait = self._chat_last.get(chat_id, -1e9) + self.chat_interval - now
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def _wait_global(self, count: int) -> None:
        async with self._global:
            while True:
                now = self.clock()
                if self._paused_until > now:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                while self._window and self._window[0] <= now - 1.0:
                    self._window.popleft()
                while self._burst and self._burst[0] <= now - BURST_SPAN:
                    self._burst.popleft()
                if len(self._window) + count > self.rate:
                    await asyncio.sleep(self._window[0] + 1.0 - now)
                elif len(self._burst) + count > max(count, self.burst):
                    await asyncio.sleep(self._burst[0] + BURST_SPAN - now)
                else:
                    self._window.extend([now] * count)
                    self._burst.extend([now] * count)
                    return

    def _forget_idle(self) -> None:
        cutoff = self.clock() - 120
        for chat_id in [c for c, t in self._chat_last.items() if t < cutoff]:
            self._chat_last.pop(chat_id, None)
            lock = self._chat_locks.get(chat_id)
            if lock is not None and not lock.locked():
                del self._chat_locks[chat_id]


def message_count(method: TelegramMethod[Any]) -> int:
    if isinstance(method, SendMediaGroup):
        return len(method.media)
    if isinstance(method, CopyMessages | ForwardMessages):
        return len(method.message_ids)
    return 1


async def _answer_forgivingly(
    make_request: NextRequestMiddlewareType[TelegramType],
    bot: Bot,
    method: TelegramMethod[TelegramType],
    presses: PressBook,
) -> Response[TelegramType]:
    """A button press already answered, or answered too late (a redelivered update, a slow
    moment), must not stop the handler from doing the work the press asked for.

    Each press is answered once: ``presses`` knows the presses answered — by this process, by
    one before a restart, by another replica (``bot/presses.py``) — and a second answer (a
    refusal after "I agree" was acknowledged, a redelivered press) is not sent: False tells the
    caller to say it otherwise."""
    query_id = str(getattr(method, "callback_query_id", ""))
    if not await presses.claim(query_id):
        return cast(Response[TelegramType], False)
    try:
        return await make_request(bot, method)
    except TelegramBadRequest as exc:
        if "query is too old" not in exc.message and "query ID is invalid" not in exc.message:
            await presses.release(query_id)
            raise
        log.info("a button press could not be acknowledged any more")
        # False: nothing was shown, so a caller with something to say can say it otherwise.
        # (Sessions hand the method's result through middlewares, not the envelope.)
        return cast(Response[TelegramType], False)
    except Exception:
        await presses.release(query_id)  # not sent: a try again may answer it
        raise


async def _edit_forgivingly(
    make_request: NextRequestMiddlewareType[TelegramType],
    bot: Bot,
    method: TelegramMethod[TelegramType],
    send: Callable[
        [NextRequestMiddlewareType[TelegramType], Bot, TelegramMethod[TelegramType]],
        Awaitable[Response[TelegramType]],
    ],
) -> Response[TelegramType]:
    """Editing a message into what it already shows (the same step handled twice after a
    redelivery) has done its job. A message that is gone (the bot replaced a prompt while a
    press on it was on its way, an update handled again after a crash) is not a dead end:
    the step it was to show is sent as a new message — through ``send``, held to the limits
    and tried again after a 429 like any other message (a resend that met the chat's limit
    once ended the resident's step in "something went wrong")."""
    try:
        return await make_request(bot, method)
    except TelegramBadRequest as exc:
        if "message is not modified" in exc.message:
            return cast(Response[TelegramType], True)
        if (
            "message to edit not found" in exc.message
            and isinstance(method, EditMessageText)
            and method.chat_id is not None
            and method.inline_message_id is None
            and method.text
        ):
            resend = SendMessage(
                chat_id=method.chat_id,
                text=method.text,
                parse_mode=method.parse_mode,
                entities=method.entities,
                link_preview_options=method.link_preview_options,
                reply_markup=method.reply_markup,
            )
            return await send(make_request, bot, cast(TelegramMethod[TelegramType], resend))
        raise


class RateLimitMiddleware(BaseRequestMiddleware):
    """Holds every outgoing message to the limits; pauses everyone on a 429."""

    def __init__(
        self, limiter: Limiter, retries: int = 3, presses: PressBook | None = None
    ) -> None:
        self.limiter = limiter
        self.retries = retries
        self.presses: PressBook = presses or MemoryPresses()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, AnswerCallbackQuery):
            return await _answer_forgivingly(make_request, bot, method, self.presses)
        if isinstance(method, EDITS):
            return await _edit_forgivingly(
                make_request, bot, cast(TelegramMethod[TelegramType], method), self._limited
            )
        return await self._limited(make_request, bot, method)

    async def _limited(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        """Send within the limits; after a 429 everyone pauses and this is tried again (an
        outbox send is not: its row is put back for later)."""
        chat_id = getattr(method, "chat_id", None)
        # Usernames (@channel) can't be keyed per chat; they still count bot-wide below.
        limited_chat = chat_id if isinstance(chat_id, int) else None
        sending = isinstance(method, SENDING)
        attempt = 0
        while True:
            if sending:
                await self.limiter.acquire(limited_chat or 0, message_count(method))
            try:
                result = await make_request(bot, method)
                if sending and limited_chat is not None:
                    await self.limiter.sent(limited_chat, message_count(method))
                return result
            except TelegramRetryAfter as exc:
                log.warning("telegram asked to slow down for %ss", exc.retry_after)
                await self.limiter.pause(exc.retry_after)
                attempt += 1
                if in_outbox_send.get() or attempt > self.retries:
                    raise
