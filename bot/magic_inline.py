"""aiogram's own pure filters — magic filters (``F.chat.type == "private"``,
``F.reply_to_message``, …) and steps used as filters (``Filing.content``) — evaluated where
they are, not in a thread.

aiogram runs every filter that is not a coroutine through ``asyncio.to_thread``, also these,
which only read attributes of the update or compare the step's name. Every router and many
handlers have one, so a resident's follow-up made about thirty thread round trips (each a
thread wake-up, a future and an event-loop wake-up) before its handler ran: milliseconds of
CPU where the filters themselves take microseconds. Other synchronous filters and handlers
keep aiogram's behaviour.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aiogram.dispatcher.event.handler import FilterObject
from aiogram.fsm.state import State, StatesGroup

_original_call = FilterObject.call


def _pure(item: FilterObject) -> bool:
    callback = item.callback
    return not item.awaitable and (
        item.magic is not None or isinstance(callback, State | StatesGroup)
    )


async def _call(self: FilterObject, *args: Any, **kwargs: Any) -> Any:
    if _pure(self):
        return partial(self.callback, *args, **self._prepare_kwargs(kwargs))()
    return await _original_call(self, *args, **kwargs)


def install() -> None:
    """Idempotent: the dispatcher's builder calls it."""
    FilterObject.call = _call  # type: ignore[method-assign,assignment]
