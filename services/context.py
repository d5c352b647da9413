"""Everything a use case needs from the outside world, injected once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.db import Database
from services.clock import Clock, SystemClock
from services.config import ServiceConfig
from services.texts import Texts

if TYPE_CHECKING:
    from services.dispatch import Dispatch


@dataclass
class Context:
    db: Database
    config: ServiceConfig
    clock: Clock
    texts: Texts
    # This process's Telegram sender, when one runs here: relayed messages are claimed for it
    # as they are stored and sent once stored (services/dispatch.py).
    dispatch: Dispatch | None = None

    @classmethod
    def create(
        cls, db: Database, config: ServiceConfig | None = None, clock: Clock | None = None
    ) -> Context:
        return cls(
            db=db, config=config or ServiceConfig(), clock=clock or SystemClock(), texts=Texts()
        )
