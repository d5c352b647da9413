"""The table of implemented Bot API methods, keyed case-insensitively as Telegram does."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from emulator.params import Params
from emulator.world import BotState, World

Handler = Callable[[World, BotState, Params], Any]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True, slots=True)
class Described:
    """A result with the optional description Telegram adds to some successes."""

    result: Any
    description: str


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    handler: Handler
    is_async: bool

    async def run(self, world: World, bot: BotState, params: Params) -> Any:
        if self.is_async:
            awaitable: Awaitable[Any] = self.handler(world, bot, params)
            return await awaitable
        return self.handler(world, bot, params)


class MethodTable:
    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def __call__(self, name: str) -> Callable[[H], H]:
        def register(handler: H) -> H:
            key = name.lower()
            if key in self._entries:
                raise ValueError(f"{name} registered twice")
            self._entries[key] = Entry(name, handler, inspect.iscoroutinefunction(handler))
            return handler

        return register

    def get(self, name: str) -> Entry | None:
        return self._entries.get(name.lower())

    def names(self) -> list[str]:
        return sorted(entry.name for entry in self._entries.values())


method = MethodTable()
