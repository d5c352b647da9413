"""The notices feature's use cases."""

from __future__ import annotations

from services.context import Context
from services.reminders import Handler


class Notices:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def reminder_handlers(self) -> dict[str, Handler]:
        return {}
