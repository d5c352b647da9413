"""The sender's claim reads the rows still to be sent, not the outbox's history.

Sent rows stay in the outbox for good. The claim used to step over every one of them on
PostgreSQL (the primary key in id order) and, on both databases, over a chat's whole history to
check that a row is its chat's oldest unsent one: a claim's cost grew with everything ever sent
(at 300,000 sent rows, 44 ms a claim on PostgreSQL and 7 ms of CPU on SQLite). The partial
indexes over unsent rows (migration 0015) keep it to the rows queued. Measured here as work, not
time: SQLite's virtual-machine steps with and without a history, and the rows PostgreSQL's
scans read under a history thirty times the queue.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.ext.asyncio import create_async_engine

from services.outbox import _CLAIM_WITH_NEXT_DUE, _CLAIMS

CHATS = 100
PENDING = 2_000  # 20 a chat
HISTORY = 60_000  # 600 sent rows a chat
LIMIT = 50
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PARAMS: dict[str, Any] = {
    "now": NOW,
    "until": NOW + timedelta(minutes=1),
    "worker": "w1",
    "lim": LIMIT,
    "for_channel": "telegram",
}
# Sent rows first (lower ids), then the queue: the order a real outbox has.
FILL = """
INSERT INTO outbox (dedupe_key, chat_id, channel, payload, status, attempts, next_attempt_at,
                    created_at)
SELECT 'k' || x, 1000 + (x % {chats}), 'telegram', '{{"type": "text", "text": "x"}}',
       CASE WHEN x <= {sent} THEN 'sent' ELSE 'pending' END, 0, :due, :due
FROM ({series}) AS s
"""
SQLITE_SERIES = (
    "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < :n) SELECT x FROM g"
)
PG_SERIES = "SELECT generate_series(1, :n) AS x"


def fill(sent: int, series: str) -> tuple[Any, dict[str, Any]]:
    sql = text(FILL.format(chats=CHATS, sent=sent, series=series))
    return sql, {"n": sent + PENDING, "due": NOW - timedelta(minutes=1)}


def sqlite_claim_steps(path: Path, sent: int) -> int:
    """SQLite's virtual-machine steps for one claim of LIMIT rows."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(*fill(sent, SQLITE_SERIES))
            conn.execute(text("ANALYZE"))
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            steps = [0]

            def count() -> int:
                steps[0] += 1
                return 0  # go on

            driver.set_progress_handler(count, 10)
            with conn.begin() as transaction:
                claimed = conn.execute(_CLAIMS[False], PARAMS).all()
                transaction.rollback()
            driver.set_progress_handler(None, 0)
    finally:
        engine.dispose()
    assert len(claimed) == LIMIT
    return steps[0]


def test_a_claim_on_sqlite_does_as_much_work_with_a_long_history_as_without(
    tmp_path: Path, template_db: Path
) -> None:
    fresh, used = tmp_path / "fresh.sqlite3", tmp_path / "used.sqlite3"
    fresh.write_bytes(template_db.read_bytes())
    used.write_bytes(template_db.read_bytes())
    without = sqlite_claim_steps(fresh, 0)
    with_history = sqlite_claim_steps(used, HISTORY)
    # Without the partial index the "oldest unsent of its chat" check read each chat's 25
    # sent rows for every row claimed: several times the work.
    assert with_history < without * 1.25, (without, with_history)


SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


def rows_scanned(plan: dict[str, Any], indexes: set[str]) -> float:
    """Rows the plan's scans read (kept or filtered out), over all their loops; the indexes
    they read go into ``indexes``."""
    own = 0.0
    if "Index Name" in plan:
        indexes.add(plan["Index Name"])
    if plan["Node Type"] in SCANS:
        own = (
            plan.get("Actual Rows", 0)
            + plan.get("Rows Removed by Filter", 0)
            + plan.get("Rows Removed by Index Recheck", 0)
        ) * plan.get("Actual Loops", 1)
    return own + sum(rows_scanned(child, indexes) for child in plan.get("Plans", []))


async def pg_claim_rows(url: str, sent: int) -> tuple[float, set[str]]:
    """Rows PostgreSQL's scans read for one claim of LIMIT rows, and the indexes they used."""
    engine = create_async_engine(url)

    def explained(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> tuple[str, Any]:
        return f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params

    try:
        async with engine.begin() as conn:
            await conn.execute(*fill(sent, PG_SERIES))
            await conn.execute(text("ANALYZE outbox"))
        async with engine.connect() as conn:
            transaction = await conn.begin()
            # The claim as the sender runs it, explained: the same SQL and parameters.
            event.listen(engine.sync_engine, "before_cursor_execute", explained, retval=True)
            result = await conn.execute(_CLAIM_WITH_NEXT_DUE, PARAMS)
            plan = result.cursor.fetchall()[0][0]
            await transaction.rollback()
    finally:
        await engine.dispose()
    explain = json.loads(plan) if isinstance(plan, str) else plan  # asyncpg may decode it
    indexes: set[str] = set()
    return rows_scanned(explain[0]["Plan"], indexes), indexes


async def test_a_claim_on_postgres_reads_the_queue_not_the_history(pg_url: str) -> None:
    read, indexes = await pg_claim_rows(pg_url, HISTORY)
    # Whatever plan PostgreSQL picks, its scans stay within the queued rows (a hash join reads
    # them twice); by the primary key it stepped over all 60,000 sent rows first.
    assert read <= 3 * PENDING, read
    assert indexes & {"ix_outbox_unsent", "ix_outbox_chat_unsent"}, indexes
