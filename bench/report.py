"""The monthly report at scale: a region with 1,000,000 cases over a year, rendered (figures,
seven charts, the workbook) on SQLite and PostgreSQL; wall time and peak memory.

    .venv/bin/python bench/report.py                 # 1,000,000 cases (several minutes to seed)
    .venv/bin/python bench/report.py --smoke         # 3,000 cases, under a minute (CI)
    .venv/bin/python bench/report.py --cases 200000  # any size

The cases are written straight into the tables (bulk inserts), spread evenly over 2026 across
50 contact points of one region and 50 cadres, with answered, resolved, rated and open ones in
fixed proportions. The report is then made for November 2026 twice, each in a fresh process
that reports its wall and CPU time (imports excluded) and its peak RSS (imports included):
as the chat makes it (``/report``: the cases sheet capped at ``report_case_rows``, 10,000 by
default) and as ``cpbot report`` writes it (every case of the month). PostgreSQL runs when
CPBOT_BENCH_POSTGRES_URL or CPBOT_TEST_POSTGRES_URL is set.

Prints a table and writes bench/results/report.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "report.json"
POINTS = 50
MONTH = "2026-11"
REGION = "Bench"


async def seed(url: str, cases: int) -> None:
    from sqlalchemy import insert, select, text

    from models.db import Database
    from models.migrate import upgrade
    from models.tables import Assignment, Category, ContactPoint, Staff, User, table_of

    await asyncio.to_thread(upgrade, url)
    db = Database.from_url(url)
    now = datetime(2026, 1, 1, tzinfo=UTC)
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
    # One INSERT … SELECT over a generated series: the database makes the rows itself, so a
    # million cases take seconds, not the many minutes a row-by-row Python insert did.
    async with db.write() as s:
        dialect = s.bind.dialect.name
        await s.execute(text(_cases_sql(dialect, cases, cats, points, staff)))
    await db.dispose()


def _pick(index: str, values: list[int]) -> str:
    """values[index % len(values)] in SQL."""
    whens = " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values))
    return f"CASE ({index}) % {len(values)} {whens} END"


def _cases_sql(
    dialect: str, cases: int, cats: list[int], points: list[int], staff: list[int]
) -> str:
    """Cases 0..n-1 spread evenly over 2026, with answered, resolved, rated and open ones in fixed
    proportions chosen by a hash of the number (deterministic, no Python per row)."""
    year = 365 * 86400
    if dialect == "postgresql":
        series = f"(SELECT n::bigint AS n FROM generate_series(0, {cases - 1}) AS n) AS g"

        def ts(seconds: str) -> str:
            return f"(TIMESTAMPTZ '2026-01-01 00:00:00+00' + make_interval(secs => {seconds}))"

        number = "'B' || lpad(n::text, 8, '0')"
        prefix = ""
    else:
        series = "g"

        def ts(seconds: str) -> str:  # SQLAlchemy's SQLite text form of a naive UTC datetime
            return (
                f"(strftime('%Y-%m-%d %H:%M:%S', '2026-01-01 00:00:00', '+' || ({seconds}) || "
                "' seconds') || '.000000')"
            )

        number = "'B' || printf('%08d', n)"
        last = cases - 1
        prefix = (
            f"WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < {last}) "
        )
    at = f"(n * {year} / {cases})"
    fate = "((n * 2654435761) % 1000)"
    hours = "(CASE (n / 7) % 3 WHEN 0 THEN 1 WHEN 1 THEN 5 ELSE 30 END)"
    days = "(CASE (n / 13) % 3 WHEN 0 THEN 1 WHEN 1 THEN 3 ELSE 9 END)"
    resolved = f"CASE WHEN {fate} < 800 THEN {ts(f'{at} + 86400 * {days}')} END"
    columns = (
        "public_no, kind, category_id, tier, status, resident_id, contact_point_id, assignee_id, "
        "first_receiver_id, summary, created_at, accepted_at, first_response_at, resolved_at, "
        "closed_at, close_reason, due_ack_at, due_resolve_at, satisfaction, verdict, verdict_at, "
        "reopened_count, source_chat_id, source_message_id"
    )
    values = [
        number,
        "CASE n % 4 WHEN 0 THEN 'complaint' WHEN 1 THEN 'help' WHEN 2 THEN 'suggestion' "
        "ELSE 'petition' END",
        _pick("n", cats),
        "'general'",
        f"CASE WHEN {fate} < 600 THEN 'closed' WHEN {fate} < 800 THEN 'resolved' ELSE 'new' END",
        "NULL",
        _pick(f"n % {POINTS}", points),
        _pick(f"n % {POINTS}", staff),
        _pick(f"n % {POINTS}", staff),
        "''",
        ts(at),
        "NULL",
        f"CASE WHEN {fate} < 900 THEN {ts(f'{at} + 3600 * {hours}')} END",
        resolved,
        f"CASE WHEN {fate} < 600 THEN {ts(f'{at} + 86400 * {days}')} END",
        f"CASE WHEN {fate} < 600 THEN 'resolved' END",
        ts(f"{at} + 86400"),
        ts(f"{at} + 7 * 86400"),
        f"CASE WHEN {fate} < 700 THEN 1 + (n / 11) % 5 END",
        f"CASE WHEN {fate} < 600 THEN 'resolved' WHEN {fate} < 700 THEN 'not_resolved' END",
        "NULL",
        "0",
        "1",
        "n",
    ]
    return f"{prefix}INSERT INTO cases ({columns}) SELECT {', '.join(values)} FROM {series}"


RENDER = """
import asyncio, json, resource, sys, time
sys.path.insert(0, {root!r})
from bot.report_cli import write_report
from models.db import Database
from services.app import Services
from services.clock import FakeClock
from services.context import Context
from datetime import datetime, UTC

stages = {{}}

def took(w, c):
    return [round(time.perf_counter() - w, 2), round(time.process_time() - c, 2)]

def timed(owner, name, label):
    # CPU and wall time of each stage (figures, workbook, charts); they run one after another.
    real = getattr(owner, name)
    if asyncio.iscoroutinefunction(real):
        async def wrapper(*a, **k):
            w, c = time.perf_counter(), time.process_time()
            try:
                return await real(*a, **k)
            finally:
                stages[label] = took(w, c)
    else:
        def wrapper(*a, **k):
            w, c = time.perf_counter(), time.process_time()
            try:
                return real(*a, **k)
            finally:
                stages[label] = took(w, c)
    setattr(owner, name, wrapper)

from services.reports.service import Reports
from services.reports.workbook import WorkbookMaker
from services.reports import charts as chart_module
timed(Reports, "collect", "figures")
timed(WorkbookMaker, "build", "workbook")
timed(chart_module, "draw_charts", "charts")  # in a thread, after the workbook

async def main():
    db = Database.from_url({url!r})
    services = Services(Context.create(db, clock=FakeClock(datetime(2026, 12, 2, tzinfo=UTC))))
    started, cpu = time.perf_counter(), time.process_time()
    made = await services.reports.for_office(
        {month!r}, "zh_Hans", region={region!r}, case_rows={case_rows!r}
    )
    write_report(made, __import__("pathlib").Path({out!r}))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    await db.dispose()
    print(json.dumps(dict(seconds=seconds, cpu_seconds=cpu, filed=made.figures.total.filed,
        case_rows=made.cases_listed, cases_total=made.cases_total,
        workbook_bytes=len(made.workbook), charts=len(made.charts), stages=stages,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))

asyncio.run(main())
"""


def render(url: str, out: Path, case_rows: int | None) -> dict[str, Any]:
    code = RENDER.format(
        root=str(ROOT), url=url, month=MONTH, region=REGION, out=str(out), case_rows=case_rows
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=3600
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(kind: str, url: str, cases: int, work: Path, case_rows: int) -> list[dict[str, Any]]:
    started = time.perf_counter()
    asyncio.run(seed(url, cases))
    seeded = time.perf_counter() - started
    out = []
    for made_as, rows in (("chat", case_rows), ("cli", None)):
        result = render(url, work / f"out-{kind}-{made_as}", rows)
        out.append(
            {"database": kind, "made_as": made_as, "cases": cases,
             "seed_seconds": round(seeded, 1), **result}
        )  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--case-rows",
        type=int,
        default=None,
        help="the chat report's cap on the cases sheet (default: the bot's setting)",
    )
    args = parser.parse_args()
    from services.config import ServiceConfig

    case_rows = ServiceConfig().report_case_rows if args.case_rows is None else args.case_rows
    cases = 3000 if args.smoke else args.cases
    from bench.harness import create_postgres, drop_postgres, postgres_base

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.only in (None, "sqlite"):
            sqlite = f"sqlite+aiosqlite:///{work / 'bench.sqlite3'}"
            results += run("sqlite", sqlite, cases, work, case_rows)
        base = postgres_base()
        if base and args.only in (None, "postgres"):
            url = asyncio.run(create_postgres(base))
            try:
                results += run("postgres", url, cases, work, case_rows)
            finally:
                asyncio.run(drop_postgres(url))
    for r in results:
        print(
            f"{r['database']:9} {r['made_as']:4} {r['cases']:>9,} cases  month {r['filed']:>7,}  "
            f"sheet {r['case_rows']:>6,}/{r['cases_total']:,}  "
            f"{r['seconds']:6.2f} s (cpu {r['cpu_seconds']:.2f} s)  "
            f"peak {r['peak_rss_mb']:6.0f} MB  (seeded in {r['seed_seconds']} s)  "
            f"stages [wall, cpu] {r['stages']}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    me = resource.getrusage(resource.RUSAGE_SELF)
    args.out.write_text(
        json.dumps({"results": results, "bench_process_maxrss_kb": me.ru_maxrss}, indent=2)
    )


if __name__ == "__main__":
    main()
