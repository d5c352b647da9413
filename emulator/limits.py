"""Telegram's flood control for messages a bot sends, over sliding windows.

Limits: messages per second bot-wide, one a second per private chat, twenty a minute per group.
A call is admitted while its windows have room and then occupies as many slots as it creates
messages (an album of five takes five), so the next call waits correspondingly longer.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from emulator.config import LimitsConfig


class SlidingWindow:
    __slots__ = ("_stamps", "span")

    def __init__(self, span: float) -> None:
        self.span = span
        self._stamps: deque[float] = deque()

    def count(self, now: float) -> int:
        stamps = self._stamps
        horizon = now - self.span
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        return len(stamps)

    def add(self, now: float, n: int = 1) -> None:
        self._stamps.extend([now] * n)

    def wait(self, now: float, limit: int) -> float:
        """Seconds until the window holds fewer than ``limit`` entries (0 if it does)."""
        count = self.count(now)
        if count < limit:
            return 0.0
        return self._stamps[count - limit] + self.span - now


class RateLimiter:
    def __init__(self, config: LimitsConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self._clock = clock
        self._global = SlidingWindow(1.0)
        self._chats: dict[int, SlidingWindow] = {}

    def admit(self, chat_id: int, is_group: bool, messages: int) -> int | None:
        """Record ``messages`` sent to a chat, or the whole seconds to wait before retrying."""
        config = self.config
        if not config.enabled:
            return None
        now = self._clock()
        window = self._chats.get(chat_id)
        if window is None:
            window = self._chats[chat_id] = SlidingWindow(60.0 if is_group else 1.0)
        limit = config.per_group_per_minute if is_group else config.per_chat_per_second
        wait = max(self._global.wait(now, config.global_per_second), window.wait(now, limit))
        if wait > 0:
            return max(1, math.ceil(wait))
        self._global.add(now, messages)
        window.add(now, messages)
        return None

    def reset(self) -> None:
        self._global = SlidingWindow(1.0)
        self._chats.clear()
