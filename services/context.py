"""Everything a use case needs from the outside world, injected once."""

from __future__ import annotations

from dataclasses import dataclass

from models.db import Database
from services.clock import Clock, SystemClock
from services.config import ServiceConfig
from services.texts import Texts


@dataclass
class Context:
    db: Database
    config: ServiceConfig
    clock: Clock
    texts: Texts

    @classmethod
    def create(
        cls, db: Database, config: ServiceConfig | None = None, clock: Clock | None = None
    ) -> Context:
        return cls(
            db=db, config=config or ServiceConfig(), clock=clock or SystemClock(), texts=Texts()
        )
