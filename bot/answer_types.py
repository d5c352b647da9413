"""Keep aiogram's answer types alive, so they are built once per process instead of per call.

aiogram reads every Bot API answer through ``Response[T]``, a pydantic generic parametrized on
each call. pydantic caches parametrized generics only weakly: once nothing else holds the
class, the garbage collector takes it and the next call builds it again — about 4 ms of schema
generation, measured on every ``sendMessage`` in a busy bot (bench/relay.py --profile showed it
at a tenth of the bot's CPU). Holding one strong reference per result type keeps the cache
warm. Nothing to configure; ``keep_answer_types()`` is called once when the bot is made.
"""

from __future__ import annotations

from typing import Any

import aiogram.methods
from aiogram.methods.base import Response, TelegramMethod

_KEPT: list[Any] = []


def keep_answer_types() -> int:
    """Build ``Response[T]`` for every method's result type once; returns how many."""
    if not _KEPT:
        results = set()
        for method in vars(aiogram.methods).values():
            returning = getattr(method, "__returning__", None)
            concrete = isinstance(method, type) and issubclass(method, TelegramMethod)
            if concrete and returning is not None and not isinstance(returning, property):
                results.add(returning)  # (the generic base itself has none: nothing calls it)
        _KEPT.extend(Response[result] for result in results)  # type: ignore[valid-type]
    return len(_KEPT)
