"""Pushing updates to a bot's webhook the way Telegram does.

Each update is POSTed as JSON until the webhook answers 2xx; a non-2xx answer, a timeout or a
connection error means the same update is sent again after a back-off. Updates of one chat go
one at a time and in order; different chats are delivered concurrently, up to the webhook's
max_connections. Several target URLs (replicas behind a load balancer) take deliveries in turn.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from emulator.config import WebhookConfig
from emulator.errors import ApiResponse
from emulator.params import UploadedFile
from emulator.updates import Update
from emulator.world import BotState, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Execute = Callable[[str, str, dict[str, Any], dict[str, UploadedFile]], Awaitable[ApiResponse]]


class WebhookManager:
    """Starts and stops one deliverer per bot as webhooks are set and deleted."""

    def __init__(self, world: World, config: WebhookConfig, execute: Execute) -> None:
        self.world = world
        self.config = config
        self.execute = execute
        self.targets: list[str] = list(config.targets)
        self._round_robin = 0
        self._deliverers: dict[str, Deliverer] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def sync(self, bot: BotState) -> None:
        """Match the deliverer to the bot's webhook setting (called by setWebhook/deleteWebhook)."""
        current = self._deliverers.pop(bot.config.token, None)
        if current is not None:
            self._closing.add(current.stop())
        if bot.webhook is not None:
            self._deliverers[bot.config.token] = Deliverer(bot, self)

    def next_target(self, url: str) -> str:
        if not self.targets:
            return url
        target = self.targets[self._round_robin % len(self.targets)]
        self._round_robin += 1
        return target

    async def aclose(self) -> None:
        for token in list(self._deliverers):
            self._closing.add(self._deliverers.pop(token).stop())
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
            self._closing.clear()


class Deliverer:
    def __init__(self, bot: BotState, manager: WebhookManager) -> None:
        self.bot = bot
        self.manager = manager
        self.counters = manager.world.counters
        self._by_chat: dict[int | str, deque[Update]] = {}
        self._ready: deque[int | str] = deque()
        self._inflight: dict[int | str, asyncio.Task[None]] = {}
        self._timers: dict[int | str, asyncio.TimerHandle] = {}
        self._wake = asyncio.Event()
        for update in bot.updates.pending():
            self._enqueue(update)
        bot.updates.on_push = self._enqueue
        self._task = asyncio.create_task(self._run())

    def stop(self) -> asyncio.Task[None]:
        """Stop pushing; undelivered updates stay queued for getUpdates or the next webhook."""
        if self.bot.updates.on_push == self._enqueue:
            self.bot.updates.on_push = None
        for timer in self._timers.values():
            timer.cancel()
        self._task.cancel()
        return self._task

    def _enqueue(self, update: Update) -> None:
        queue = self._by_chat.get(update.chat_key)
        if queue is None:
            queue = self._by_chat[update.chat_key] = deque()
        queue.append(update)
        if len(queue) == 1:
            # Nothing of this chat is in flight or waiting for a retry: it may go now.
            self._ready.append(update.chat_key)
            self._wake.set()

    async def _run(self) -> None:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=self.manager.config.timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            try:
                while True:
                    await self._wake.wait()
                    self._wake.clear()
                    self._launch(session)
            finally:
                for task in self._inflight.values():
                    task.cancel()
                if self._inflight:
                    await asyncio.gather(*self._inflight.values(), return_exceptions=True)

    def _launch(self, session: aiohttp.ClientSession) -> None:
        webhook = self.bot.webhook
        if webhook is None:
            return
        while self._ready and len(self._inflight) < webhook.max_connections:
            key = self._ready.popleft()
            queue = self._by_chat.get(key)
            if queue and key not in self._inflight:
                self._inflight[key] = asyncio.create_task(self._deliver(session, key, queue[0]))

    async def _deliver(
        self, session: aiohttp.ClientSession, key: int | str, update: Update
    ) -> None:
        try:
            delivered = await self._attempt(session, update)
        finally:
            self._inflight.pop(key, None)
        queue = self._by_chat.get(key)
        if delivered:
            if queue and queue[0] is update:
                queue.popleft()
            self.bot.updates.ack(update)
            if queue:
                self._ready.append(key)
            else:
                self._by_chat.pop(key, None)
        else:
            config = self.manager.config
            delay = min(config.retry_cap, config.retry_initial * 2 ** (update.attempts - 1))
            self._timers[key] = asyncio.get_running_loop().call_later(delay, self._retry, key)
        self._wake.set()

    def _retry(self, key: int | str) -> None:
        self._timers.pop(key, None)
        if self._by_chat.get(key):
            self._ready.append(key)
            self._wake.set()

    async def _attempt(self, session: aiohttp.ClientSession, update: Update) -> bool:
        webhook = self.bot.webhook
        if webhook is None:
            return False
        if update.attempts:
            self.counters.webhook_redeliveries += 1
            if update.reached_bot:
                self.counters.duplicate_deliveries += 1
        update.attempts += 1
        self.counters.webhook_deliveries += 1
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers[SECRET_HEADER] = webhook.secret_token
        url = self.manager.next_target(webhook.url)
        body = json.dumps(update.to_api(), ensure_ascii=False).encode()
        try:
            async with session.post(url, data=body, headers=headers) as response:
                update.reached_bot = True
                if 200 <= response.status < 300:
                    await self._run_reply(response)
                    every = self.manager.config.duplicate_every
                    if (
                        every
                        and update.attempts == 1
                        and self.counters.webhook_deliveries % every == 0
                    ):
                        error = "Answer lost on the way back (simulated)"
                        webhook.last_error_date = self.manager.world.now()
                        webhook.last_error_message = error
                        return False
                    return True
                error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            update.reached_bot = True
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError):
            # The request was sent: the bot may have handled it before the connection died.
            update.reached_bot = True
            error = "Connection reset by peer"
        except aiohttp.ClientError as exc:
            error = f"Connection error: {type(exc).__name__}"
        webhook.last_error_date = self.manager.world.now()
        webhook.last_error_message = error
        return False

    async def _run_reply(self, response: aiohttp.ClientResponse) -> None:
        """A webhook may answer with a method call in its body; Telegram then carries it out."""
        params: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        if response.content_type == "application/json":
            data = await response.json()
            if isinstance(data, dict):
                params = data
        elif response.content_type == "multipart/form-data":
            reader = aiohttp.MultipartReader(response.headers, response.content)
            while (part := await reader.next()) is not None:
                if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
                    continue
                if part.filename:
                    files[part.name] = UploadedFile(
                        await part.read(), part.filename, part.headers.get("Content-Type")
                    )
                else:
                    params[part.name] = await part.text()
        method = params.pop("method", None)
        if isinstance(method, str) and method:
            await self.manager.execute(self.bot.config.token, method, params, files)
