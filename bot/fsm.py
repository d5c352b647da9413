"""aiogram FSM storage over the database's conversations table (one process, no Redis)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey

from services.conversations import Conversations


class DatabaseStorage(BaseStorage):
    def __init__(self, conversations: Conversations) -> None:
        self.conversations = conversations
        self.keys = DefaultKeyBuilder(with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self.conversations.set_state(self.keys.build(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self.conversations.get(self.keys.build(key))
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.conversations.set_data(self.keys.build(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self.conversations.get(self.keys.build(key))
        return data

    async def close(self) -> None:
        return None
