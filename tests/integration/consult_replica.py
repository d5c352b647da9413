"""One replica of the bot for tests/integration/test_consult_replicas.py: its own process, its
own connection pool to the shared PostgreSQL database, its own Services. It connects, says
``ready``, waits for a line on its input, submits every given answer at once and prints the
outcomes as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime

from sqlalchemy import text

from models.db import Database
from services.app import Services
from services.clock import FakeClock
from services.config import ServiceConfig
from services.context import Context
from services.errors import Invalid


async def main(url: str, now: str, jobs: str) -> None:
    db = Database.from_url(url)
    services = Services(Context.create(db, ServiceConfig(), FakeClock(datetime.fromisoformat(now))))
    consult = services.consultations
    todo = json.loads(jobs)
    async with db.read() as session:  # connected before saying ready
        await session.execute(text("SELECT 1"))
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # "go", to both replicas at once

    async def one(user_id: int, cid: int, answers: dict[str, object]) -> str:
        try:
            return await consult.submit(user_id, cid, answers)
        except Invalid as exc:
            return exc.key

    outcomes = await asyncio.gather(*(one(u, c, a) for u, c, a in todo))
    print(json.dumps(outcomes), flush=True)
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
