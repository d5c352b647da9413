"""The one place outbox rows become Telegram messages.

Woken the moment a use case commits outbox rows (the poll interval is only a safety net), it
claims due rows with a lease, sends them outside any transaction through the rate-limited
session, and records outcomes in small batches. The only duplicate window is a crash between a
send and its record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.keyboards import inline, main_menu
from bot.limits import in_outbox_send
from models.enums import Role
from services.outbox import FILE_KINDS, Claimed, OutboxStore, Result, keyboard_of
from services.texts import Texts, Translator

log = logging.getLogger(__name__)


async def deliver(
    bot: Bot, chat_id: int, payload: dict[str, Any], texts: Texts | None = None
) -> int | None:
    """Send one payload; returns the new message's id (None for non-message payloads)."""
    kind = payload["type"]
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
    if kind == "commands":
        commands = [BotCommand(command=c, description=d) for c, d in payload["commands"]]
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))
        return None
    raise ValueError(f"unknown outbox payload type {kind!r}")


class OutboxSender:
    def __init__(
        self, store: OutboxStore, bot: Bot, *, concurrency: int = 64, poll_seconds: float = 5.0
    ) -> None:
        self.store = store
        self.bot = bot
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._done: asyncio.Queue[Result] = asyncio.Queue()
        self.sent = 0

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows (and from other processes' signals)."""
        self._wake.set()

    async def run(self) -> None:
        flusher = asyncio.create_task(self._flush_loop())
        try:
            while not self._stopping.is_set():
                free = self.concurrency - len(self._inflight)
                claimed = await self._claim(free) if free > 0 else []
                for row in claimed:
                    task = asyncio.create_task(self._send(row))
                    self._inflight.add(task)
                    task.add_done_callback(self._inflight.discard)
                if claimed and len(claimed) == free:
                    await asyncio.sleep(0)
                    continue
                await self._idle()
        finally:
            if self._inflight:
                await asyncio.gather(*self._inflight, return_exceptions=True)
            await self._done.put(Result(-1, "sent"))  # sentinel: flush what's left and stop
            await flusher
            with contextlib.suppress(Exception):
                await self.store.release()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def _claim(self, limit: int) -> list[Claimed]:
        try:
            return await self.store.claim(limit)
        except Exception:
            log.exception("outbox claim failed; retrying after the poll interval")
            return []

    async def _idle(self) -> None:
        timeout = self.poll_seconds
        with contextlib.suppress(Exception):
            due = await self.store.next_due_in()
            if due is not None:
                timeout = min(timeout, max(due, 0.05))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()

    async def _send(self, row: Claimed) -> None:
        await self._done.put(await self.deliver_row(row))

    async def deliver_row(self, row: Claimed) -> Result:
        """Send one claimed row and say what happened; never raises for Telegram's answers."""
        token = in_outbox_send.set(True)
        try:
            message_id = await deliver(self.bot, row.chat_id, row.payload, self.store.ctx.texts)
            result = Result(row.id, "sent", message_id=message_id)
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

    async def drain(self, batch: int = 100) -> int:
        """Send everything due now and return how many rows were handled (tests, tools)."""
        handled = 0
        while claimed := await self.store.claim(batch):
            results = await asyncio.gather(*(self.deliver_row(row) for row in claimed))
            await self.store.complete(list(results))
            handled += len(claimed)
        return handled

    async def _flush_loop(self) -> None:
        """Record outcomes in batches: whatever finished while the last batch was written."""
        while True:
            batch = [await self._done.get()]
            while not self._done.empty():
                batch.append(self._done.get_nowait())
            stop = any(r.id == -1 for r in batch)
            batch = [r for r in batch if r.id != -1]
            try:
                await self.store.complete(batch)
            except Exception:
                log.exception("recording %d outbox results failed; leases will expire", len(batch))
            # A finished row may have been the head of its chat: the next one is now due.
            self._wake.set()
            if stop:
                return
