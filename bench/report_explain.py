"""The query plans of the monthly report's figure queries, on SQLite and PostgreSQL, over a
seeded year (bench/report.py's seed): shows which index each query uses.

    .venv/bin/python bench/report_explain.py --cases 100000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import MONTH, REGION, seed  # noqa: E402


async def explain(url: str) -> None:
    from sqlalchemy import text

    from models.db import Database
    from services.app import Services
    from services.clock import FakeClock
    from services.context import Context
    from services.reports.figures import ReportFigures, month_period
    from services.reports.scope import office_scope

    db = Database.from_url(url)
    services = Services(Context.create(db, clock=FakeClock(datetime(2026, 12, 2, tzinfo=UTC))))
    async with db.write() as s:  # fresh statistics, so the plans are those of a real year
        await s.execute(text("ANALYZE"))
    async with db.read() as s:
        scope = await office_scope(s, region=REGION)
        period = month_period(MONTH, scope.zone)
        q = ReportFigures(services.figures, s, scope)
        from services.figures import _columns

        now = q.now
        statements: dict[str, Any] = {
            "rates (and each trend month)": q._counted(period, *_columns(now)),
        }
        # The statements the other figure methods build, captured rather than re-written.
        captured: list[Any] = []
        real = s.execute

        async def capture(stmt: Any, *args: Any, **kwargs: Any) -> Any:
            captured.append(stmt)
            return await real(stmt, *args, **kwargs)

        s.execute = capture  # type: ignore[method-assign]
        for name in ("by_category", "by_kind", "points", "cadres", "notices"):
            captured.clear()
            await getattr(q, name)(period)
            statements[name] = captured[-1]
        s.execute = real  # type: ignore[method-assign]
        dialect = s.bind.dialect
        for name, stmt in statements.items():
            sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN "
            rows = (await s.execute(text(prefix + sql))).all()
            print(f"--- {dialect.name}: {name}")
            for row in rows:
                print("   ", row[-1])
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    from bench.harness import create_postgres, drop_postgres, postgres_base

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'explain.sqlite3'}"
        asyncio.run(seed(url, args.cases))
        asyncio.run(explain(url))
    base = postgres_base()
    if base:
        url = asyncio.run(create_postgres(base))
        try:
            asyncio.run(seed(url, args.cases))
            asyncio.run(explain(url))
        finally:
            asyncio.run(drop_postgres(url))


if __name__ == "__main__":
    main()
