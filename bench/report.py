"""The monthly report at scale: a region with 1,000,000 cases over a year, rendered (figures,
seven charts, the workbook) on SQLite and PostgreSQL; wall time and peak memory.

    .venv/bin/python bench/report.py                 # 1,000,000 cases (several minutes to seed)
    .venv/bin/python bench/report.py --smoke         # 3,000 cases, under a minute (CI)
    .venv/bin/python bench/report.py --cases 200000  # any size

The cases are written straight into the tables (bulk inserts), spread evenly over 2026 across
50 contact points of one region and 50 cadres, with answered, resolved, rated and open ones in
fixed proportions. The report is then made for November 2026 by ``cpbot report``'s own code in
a fresh process, which reports its wall time (imports excluded) and its peak RSS (imports
included). PostgreSQL runs when CPBOT_BENCH_POSTGRES_URL or CPBOT_TEST_POSTGRES_URL is set.

Prints a table and writes bench/results/report.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "report.json"
POINTS = 50
MONTH = "2026-11"
REGION = "Bench"


async def seed(url: str, cases: int) -> None:
    from sqlalchemy import insert, select

    from models.db import Database
    from models.migrate import upgrade
    from models.tables import Assignment, Case, Category, ContactPoint, Staff, User, table_of

    await asyncio.to_thread(upgrade, url)
    db = Database.from_url(url)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(7)
    async with db.write() as s:
        cats = [r[0] for r in (await s.execute(select(Category.id))).all()]  # type: ignore[call-overload]
        await s.execute(
            insert(table_of(ContactPoint)),
            [
                dict(code=f"B{i:03d}", name=f"第{i}联系点", region=f"{REGION}/T{i % 5}",
                     tz="Asia/Shanghai", radius_m=300, active=True, created_at=now)
                for i in range(POINTS)
            ],
        )  # fmt: skip
        await s.execute(
            insert(table_of(User)),
            [
                dict(tg_id=10_000 + i, chat_id=10_000 + i, name=f"干部{i}", locale="zh_Hans",
                     privacy_accepted_at=now, created_at=now)
                for i in range(POINTS + 1)
            ],
        )  # fmt: skip
        users = [r[0] for r in (await s.execute(select(User.id).order_by(User.id))).all()]  # type: ignore[call-overload]
        points = [
            r[0] for r in (await s.execute(select(ContactPoint.id).order_by(ContactPoint.id))).all()
        ]  # type: ignore[call-overload]
        await s.execute(
            insert(table_of(Staff)),
            [dict(user_id=u, role="cadre", active=True, created_at=now) for u in users[:POINTS]],
        )
        staff = [r[0] for r in (await s.execute(select(Staff.id).order_by(Staff.id))).all()]  # type: ignore[call-overload]
        await s.execute(
            insert(table_of(Assignment)),
            [dict(staff_id=st, contact_point_id=p, is_primary=True, since=now)
             for st, p in zip(staff, points, strict=True)],
        )  # fmt: skip
    year = timedelta(days=365).total_seconds()
    batch = 5000
    for start in range(0, cases, batch):
        rows: list[dict[str, Any]] = []
        for n in range(start, min(cases, start + batch)):
            created = now + timedelta(seconds=year * n / cases)
            p = n % POINTS
            fate = rng.random()
            answered = created + timedelta(hours=rng.choice((1, 5, 30)))
            resolved = created + timedelta(days=rng.choice((1, 3, 9))) if fate < 0.8 else None
            verdict = ("resolved" if fate < 0.6 else "not_resolved") if fate < 0.7 else None
            closed = verdict == "resolved"
            status = "closed" if closed else ("resolved" if resolved else "new")
            rows.append(
                {
                    "public_no": f"B{n:08d}",
                    "kind": ("complaint", "help", "suggestion", "petition")[n % 4],
                    "category_id": cats[n % len(cats)],
                    "tier": "general",
                    "status": status,
                    "contact_point_id": points[p],
                    "assignee_id": staff[p],
                    "first_receiver_id": staff[p],
                    "summary": "",
                    "created_at": created,
                    "first_response_at": answered if fate < 0.9 else None,
                    "resolved_at": resolved,
                    "closed_at": resolved if closed else None,
                    "close_reason": "resolved" if closed else None,
                    "due_ack_at": created + timedelta(hours=24),
                    "due_resolve_at": created + timedelta(days=7),
                    "satisfaction": rng.randint(1, 5) if verdict else None,
                    "verdict": verdict,
                    "reopened_count": 0,
                    "source_chat_id": 1,
                    "source_message_id": n,
                }
            )
        async with db.write() as s:
            await s.execute(insert(table_of(Case)), rows)
    await db.dispose()


RENDER = """
import asyncio, json, resource, sys, time
sys.path.insert(0, {root!r})
from bot.report_cli import write_report
from models.db import Database
from services.app import Services
from services.clock import FakeClock
from services.context import Context
from datetime import datetime, UTC

async def main():
    db = Database.from_url({url!r})
    services = Services(Context.create(db, clock=FakeClock(datetime(2026, 12, 2, tzinfo=UTC))))
    started, cpu = time.perf_counter(), time.process_time()
    made = await services.reports.for_office({month!r}, "zh_Hans", region={region!r})
    write_report(made, __import__("pathlib").Path({out!r}))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    await db.dispose()
    print(json.dumps(dict(seconds=seconds, cpu_seconds=cpu, filed=made.figures.total.filed,
        workbook_bytes=len(made.workbook), charts=len(made.charts),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))

asyncio.run(main())
"""


def render(url: str, out: Path) -> dict[str, Any]:
    code = RENDER.format(root=str(ROOT), url=url, month=MONTH, region=REGION, out=str(out))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=3600
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(kind: str, url: str, cases: int, work: Path) -> dict[str, Any]:
    started = time.perf_counter()
    asyncio.run(seed(url, cases))
    seeded = time.perf_counter() - started
    result = render(url, work / f"out-{kind}")
    return {"database": kind, "cases": cases, "seed_seconds": round(seeded, 1), **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    cases = 3000 if args.smoke else args.cases
    from bench.harness import create_postgres, drop_postgres, postgres_base

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.only in (None, "sqlite"):
            results.append(
                run("sqlite", f"sqlite+aiosqlite:///{work / 'bench.sqlite3'}", cases, work)
            )
        base = postgres_base()
        if base and args.only in (None, "postgres"):
            url = asyncio.run(create_postgres(base))
            try:
                results.append(run("postgres", url, cases, work))
            finally:
                asyncio.run(drop_postgres(url))
    for r in results:
        print(
            f"{r['database']:9} {r['cases']:>9,} cases  month {r['filed']:>7,}  "
            f"{r['seconds']:6.2f} s (cpu {r['cpu_seconds']:.2f} s)  "
            f"peak {r['peak_rss_mb']:6.0f} MB  (seeded in {r['seed_seconds']} s)"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    me = resource.getrusage(resource.RUSAGE_SELF)
    args.out.write_text(
        json.dumps({"results": results, "bench_process_maxrss_kb": me.ru_maxrss}, indent=2)
    )


if __name__ == "__main__":
    main()
