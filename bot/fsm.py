"""aiogram FSM storage over the database's conversations table (one process, no Redis)."""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from aiogram.types import TelegramObject

from services.conversations import Conversations
from services.errors import Refusal
from services.presses import handler_finished

# The data read with the step, for the same update's next get_data. aiogram reads the step of
# every update first (for the state filters), so the slot is refreshed before each use; it
# lives in the update's task context, so no other update ever sees it.
_read_with_state: contextvars.ContextVar[tuple[str, dict[str, Any]] | None] = (
    contextvars.ContextVar("read_with_state", default=None)
)


class DatabaseStorage(BaseStorage):
    def __init__(self, conversations: Conversations) -> None:
        self.conversations = conversations
        self.keys = DefaultKeyBuilder(with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        _read_with_state.set(None)
        await self.conversations.set_state(self.keys.build(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        built = self.keys.build(key)
        state, data = await self.conversations.get(built)
        _read_with_state.set((built, data))
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        _read_with_state.set(None)
        await self.conversations.set_data(self.keys.build(key), dict(data))

    async def set_state_and_data(
        self, key: StorageKey, state: StateType, data: Mapping[str, Any]
    ) -> None:
        """Both in one write (a step change usually changes both)."""
        value = state.state if isinstance(state, State) else state
        _read_with_state.set(None)
        await self.conversations.set(self.keys.build(key), value, dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        built = self.keys.build(key)
        kept = _read_with_state.get()
        if kept is not None and kept[0] == built:
            _read_with_state.set(None)
            return dict(kept[1])
        _, data = await self.conversations.get(built)
        return data

    async def close(self) -> None:
        return None


_UNSET: Any = object()


class StepState(FSMContext):
    """The person's step, changed only when the handler that changes it has finished.

    Reads see the handler's own changes; writes reach the storage after the handler returns.
    If the process dies half-way, the step is as it was, so the redelivered update is handled
    again from the same place — the use cases are idempotent, the answers repeat at worst.
    """

    def __init__(self, real: FSMContext, state: Any = _UNSET) -> None:
        super().__init__(real.storage, real.key)
        self._state: Any = state
        self._data: dict[str, Any] | None = None
        self._dirty_state = False
        self._dirty_data = False

    async def set_state(self, state: StateType = None) -> None:
        self._state = state.state if isinstance(state, State) else state
        self._dirty_state = True

    async def get_state(self) -> str | None:
        if self._state is _UNSET:
            self._state = await super().get_state()
        return cast(str | None, self._state)

    async def set_data(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)
        self._dirty_data = True

    async def get_data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = await super().get_data()
        return dict(self._data)

    async def update_data(
        self, data: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        merged = await self.get_data()
        merged.update(data or {}, **kwargs)
        await self.set_data(merged)
        return merged

    async def clear(self) -> None:
        await self.set_state(None)
        await self.set_data({})

    async def flush(self) -> None:
        if self._dirty_state and self._dirty_data and isinstance(self.storage, DatabaseStorage):
            await self.storage.set_state_and_data(self.key, self._state, self._data or {})
            self._dirty_state = self._dirty_data = False
            return
        if self._dirty_state:
            await self.storage.set_state(self.key, self._state)
        if self._dirty_data:
            await self.storage.set_data(self.key, self._data or {})
        self._dirty_state = self._dirty_data = False


class StepMiddleware(BaseMiddleware):
    """Gives handlers a :class:`StepState` and writes it once they are done (also when they
    refuse: a refusal is an answer; not when they fail unexpectedly)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        real = data.get("state")
        if not isinstance(real, FSMContext):
            return await handler(event, data)
        # aiogram's FSM middleware has just read the step for the state filters: reuse it.
        step = StepState(real, data.get("raw_state", _UNSET))
        data["state"] = step
        try:
            result = await handler(event, data)
        except Refusal:
            handler_finished()  # the step's write records the update's press as handled too
            await step.flush()
            raise
        handler_finished()
        await step.flush()
        return result
