"""Callback data: an action name and the id of the thing acted on — never text or secrets."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from services.outbox import Button


class Act(CallbackData, prefix="a"):
    do: str
    ref: int = 0


def pack(button: Button) -> str:
    return Act(do=button.action, ref=button.ref).pack()
