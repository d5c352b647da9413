"""Issue 15: one submission per resident also under two replicas. Two processes, each with its
own Services and connection pool on the same PostgreSQL database, submit for the same
residents at the same moment: each resident has one roll entry and one submission (anonymous:
the second is refused as final; named: the second is a change of the first). PostgreSQL only
(SQLite is one process's); skipped when CPBOT_TEST_POSTGRES_URL is unset."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import text

from models.db import Database
from services.app import Services
from services.clock import FakeClock
from services.config import ServiceConfig
from services.context import Context
from tests.factories import load_points, resident, staff
from tests.unit.test_consultations import ANSWERS, opened

ROOT = Path(__file__).resolve().parents[2]
RESIDENTS = 8


async def _replica(url: str, now: str, jobs: list) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["-m", "tests.integration.consult_replica", url, now, json.dumps(jobs)]
    pipe = asyncio.subprocess.PIPE
    return await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, env=env, stdin=pipe, stdout=pipe
    )


async def test_two_replicas_submitting_at_once_store_one_submission_each(
    pg_url: str, clock: FakeClock
) -> None:
    db = Database.from_url(pg_url)
    services = Services(Context.create(db, ServiceConfig(), clock))
    try:
        await load_points(services)
        cadre = await staff(services, "Li Wei", "cadre", "XH01")
        people = [await resident(services, f"R{i}", "XH01") for i in range(RESIDENTS)]
        _, anonymous = await opened(services, cadre, anonymous=True)
        _, named = await opened(services, cadre, anonymous=False)
        jobs = [(p.user_id, cid, ANSWERS) for cid in (anonymous, named) for p in people]
        replicas = [await _replica(pg_url, clock.now().isoformat(), jobs) for _ in range(2)]
        for replica in replicas:  # both started and connected before either submits
            assert replica.stdout is not None
            assert (await replica.stdout.readline()).strip() == b"ready"
        for replica in replicas:  # go
            assert replica.stdin is not None
            replica.stdin.write(b"go\n")
        await asyncio.gather(*(r.stdin.drain() for r in replicas if r.stdin))
        outcomes: Counter[str] = Counter()
        for replica in replicas:
            out, _ = await replica.communicate()
            assert replica.returncode == 0
            outcomes.update(json.loads(out.decode().strip().splitlines()[-1]))
        # Each resident: one "new" in all; the other replica's was refused (anonymous) or
        # became a change of it (named).
        assert outcomes == {
            "new": 2 * RESIDENTS,
            "consult.anonymous_final": RESIDENTS,
            "changed": RESIDENTS,
        }
        async with db.read() as session:
            for cid in (anonymous, named):
                for table in ("consult_roll", "consult_submissions"):
                    count = await session.execute(
                        text(f"SELECT count(*) FROM {table} WHERE consultation_id = :c"), {"c": cid}
                    )
                    assert count.scalar() == RESIDENTS, (cid, table)
            named_rows = await session.execute(
                text("SELECT count(DISTINCT user_id), count(*) FROM consult_named")
            )
            assert tuple(named_rows.one()) == (RESIDENTS, RESIDENTS)
    finally:
        await db.dispose()
