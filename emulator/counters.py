"""What the emulator saw: the figures end-to-end tests and benchmarks assert on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from emulator.limits import SlidingWindow


class Counters:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self.messages_per_chat: Counter[int] = Counter()
        self.messages_total = 0
        self.updates_created = 0
        self.responses_429 = 0
        self.responses_403 = 0
        self.connections_dropped = 0
        self.errors_per_code: Counter[int] = Counter()
        self.duplicate_deliveries = 0
        self.webhook_deliveries = 0
        self.webhook_redeliveries = 0
        self.requests_per_method: Counter[str] = Counter()
        self.max_chat_rate = 0
        self.max_global_rate = 0
        self._global_window = SlidingWindow(1.0)
        self._chat_windows: dict[int, SlidingWindow] = {}

    def message_sent(self, chat_id: int, count: int = 1) -> None:
        """Count messages the bot created and the highest rates they reached in any second."""
        self.messages_total += count
        self.messages_per_chat[chat_id] += count
        now = self._clock()
        window = self._chat_windows.get(chat_id)
        if window is None:
            window = self._chat_windows[chat_id] = SlidingWindow(1.0)
        window.add(now, count)
        self._global_window.add(now, count)
        self.max_chat_rate = max(self.max_chat_rate, window.count(now))
        self.max_global_rate = max(self.max_global_rate, self._global_window.count(now))

    def request(self, method: str) -> None:
        self.requests_per_method[method] += 1

    def response(self, status: int) -> None:
        if status == 200:
            return
        self.errors_per_code[status] += 1
        if status == 429:
            self.responses_429 += 1
        elif status == 403:
            self.responses_403 += 1

    def snapshot(self, violations: int) -> dict[str, Any]:
        return {
            "messages_total": self.messages_total,
            "messages_per_chat": {str(k): v for k, v in self.messages_per_chat.items()},
            "updates_created": self.updates_created,
            "responses_429": self.responses_429,
            "responses_403": self.responses_403,
            "connections_dropped": self.connections_dropped,
            "errors_per_code": {str(k): v for k, v in self.errors_per_code.items()},
            "duplicate_deliveries": self.duplicate_deliveries,
            "webhook_deliveries": self.webhook_deliveries,
            "webhook_redeliveries": self.webhook_redeliveries,
            "max_chat_rate": self.max_chat_rate,
            "max_global_rate": self.max_global_rate,
            "requests_per_method": dict(self.requests_per_method),
            "violations": violations,
        }
