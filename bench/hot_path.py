"""The relay's hot path in one process, for profiling: the real dispatcher, middlewares,
handlers, services and outbox sender against the emulator in-process (``tests/harness.py``),
no sockets, no other process. A resident and a cadre register through the bot, the resident
files a case through the wizard, then sends follow-ups as native replies to the filing
confirmation — the path residents take, relayed by the running sender as in ``cpbot run``
(``--sender drain``: by the harness's drain after every round, as before the sender's pass);
then files a few more cases. Reports CPU per
follow-up (handled and relayed), per warm filing (the six updates of the wizard, the median),
transactions (``BEGIN`` … ``COMMIT``: a statement in autocommit, as the sender's on
PostgreSQL, commits alone and is not counted) and statements of each, and with
``--profile``, where a follow-up's CPU goes
(cProfile, grouped by package). The first filing is reported apart: it also compiles every
statement once.

    .venv/bin/python bench/hot_path.py --follow-ups 300 --profile
    .venv/bin/python bench/hot_path.py --smoke

Not a throughput figure (one update at a time, no network); bench/relay.py is the real one.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
import time
import weakref
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from services.clock import FakeClock  # noqa: E402
from tests.harness import (  # noqa: E402
    World,
    file_case,
    join_staff,
    load_points,
    register_resident,
)

RESULTS = ROOT / "bench" / "results"


def group_of(filename: str) -> str:
    """Which package a profiled function belongs to."""
    path = filename.replace("\\", "/")
    for marker, name in (
        ("/sqlalchemy/", "SQLAlchemy"),
        ("/sqlmodel/", "SQLAlchemy"),
        ("/aiosqlite/", "driver"),
        ("/asyncpg/", "driver"),
        ("sqlite3", "driver"),
        ("/aiogram/", "aiogram"),
        ("/pydantic", "pydantic"),
        ("/emulator/", "emulator (not the bot)"),
        ("/tests/harness", "emulator (not the bot)"),
        ("/asyncio/", "asyncio"),
        ("/babel/", "babel"),
    ):
        if marker in path:
            return name
    for own in ("/bot/", "/services/", "/handlers/", "/models/", "/locales/", "/scheduler/"):
        if own in path and "site-packages" not in path:
            return "own code"
    if path.startswith("~") or path.startswith("<"):
        return "builtins"
    return "other"


def shares(stats: pstats.Stats) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        totals[group_of(filename)] += tottime
    whole = sum(totals.values()) or 1.0
    return {k: round(v / whole, 3) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cpbot-hot-") as tmp:
        db_path = Path(tmp) / "hot.sqlite3"
        from models.migrate import upgrade_async
        from tests import pg

        pg_name = None
        if args.postgres:
            base = pg.base_url()
            if base is None:
                raise SystemExit(f"--postgres needs {pg.ENV}")
            pg_name = await pg.create_template(base)
            url = pg.async_url(base, pg_name)
        else:
            url = f"sqlite+aiosqlite:///{db_path}"
            await upgrade_async(url)
        clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        world = await World.create(db_path, clock, database_url=url)
        try:
            await load_points(world)
            cadre = world.person("Li", last_name="Wei")
            await join_staff(world, cadre)
            resident = world.person("Zhang", last_name="San")
            await register_resident(resident)
            cpu = time.process_time()
            await file_case(resident, "No water on the third floor")
            filing_ms = (time.process_time() - cpu) * 1000
            confirmation = resident.last()
            assert "was sent to" in (confirmation.get("text") or ""), resident.transcript()
            for i in range(args.warmup):
                clock.advance(seconds=3)
                await resident.reply(confirmation, f"warm-up {i}")
            statements: list[str] = []
            begins = [0]

            def on_execute(_c: Any, _cur: Any, sql: str, *_a: Any) -> None:
                statements.append(sql.split(None, 1)[0].upper())
                if args.show_sql:
                    print("SQL", " ".join(sql.split())[:150], "(sender)" if in_sender() else "")

            # Transactions begun by the running sender's own tasks (its loop, its recorder and
            # its sends), told apart from the intake's by the task they run in.
            sender_begins = [0]

            sender_tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
            sender_cpu = [0.0]

            def in_sender() -> bool:
                try:
                    return asyncio.current_task() in sender_tasks
                except RuntimeError:
                    return False

            class Timed:
                """Drives a sender coroutine, adding the main-thread CPU of each of its steps
                (its SQLAlchemy greenlets and the in-process emulator's answers included)."""

                def __init__(self, coro: Any) -> None:
                    self.coro = coro

                def __await__(self) -> Any:
                    value: Any = None
                    error: BaseException | None = None
                    while True:
                        started = time.thread_time()
                        try:
                            if error is not None:
                                future = self.coro.throw(error)
                            else:
                                future = self.coro.send(value)
                        except StopIteration as done:
                            return done.value
                        finally:
                            sender_cpu[0] += time.thread_time() - started
                        try:
                            value, error = (yield future), None
                        except BaseException as exc:  # handed to the coroutine
                            value, error = None, exc

            async def timed(coro: Any) -> Any:
                return await Timed(coro)

            def task_factory(loop: Any, coro: Any, **kw: Any) -> asyncio.Task[Any]:
                own = getattr(coro, "__qualname__", "").startswith("OutboxSender.")
                task = asyncio.Task(timed(coro) if own else coro, loop=loop, **kw)
                if own:
                    sender_tasks.add(task)
                return task

            asyncio.get_running_loop().set_task_factory(task_factory)

            def on_begin(conn: Any) -> None:
                if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                    return  # a statement that is its own transaction: no BEGIN on the wire
                begins[0] += 1
                if in_sender():
                    sender_begins[0] += 1
                if args.show_sql:
                    print("SQL BEGIN", "(sender)" if in_sender() else "")

            # The sender has an engine of its own on PostgreSQL.
            engines = [world.app.db.engine.sync_engine]
            if world.app.sender_db is not None:
                engines.append(world.app.sender_db.engine.sync_engine)
            for engine in engines:
                event.listen(engine, "before_cursor_execute", on_execute)
                event.listen(engine, "begin", on_begin)
            # Which side the work is on: the update's handling (intake) or the outbox sender
            # (the harness drains the outbox after every round, so it makes more empty claims
            # than a running sender woken by commits).
            split = {"intake": [0.0, 0], "sender": [0.0, 0]}
            real_feed, real_drain = world.app.dp.feed_update, world.app.sender.drain

            async def feed(*a: Any, **kw: Any) -> Any:
                cpu, before = time.thread_time(), begins[0]
                try:
                    return await real_feed(*a, **kw)
                finally:
                    split["intake"][0] += time.thread_time() - cpu
                    split["intake"][1] += begins[0] - before

            async def drain(*a: Any, **kw: Any) -> Any:
                cpu, before = time.thread_time(), begins[0]
                try:
                    return await real_drain(*a, **kw)
                finally:
                    split["sender"][0] += time.thread_time() - cpu
                    split["sender"][1] += begins[0] - before

            world.app.dp.feed_update = feed  # type: ignore[method-assign]
            sender_task: asyncio.Task[None] | None = None
            if args.sender == "running":
                # As in `cpbot run`: the sender runs on its own, woken by the intake's commits;
                # each round of the harness waits for the follow-up's outcome to be recorded
                # and for the sender to fall quiet (its trailing claims count too).
                sender, store = world.app.sender, world.app.sender.store
                recorded = [0]
                record_seen = asyncio.Event()
                real_complete = store.complete

                async def complete(results: Any) -> bool:
                    queued = await real_complete(results)
                    recorded[0] += len(results)
                    record_seen.set()
                    return queued

                store.complete = complete  # type: ignore[method-assign]
                expected = [recorded[0]]

                async def running_drain(*_a: Any, **_kw: Any) -> int:
                    while recorded[0] < expected[0]:
                        record_seen.clear()
                        await asyncio.wait_for(record_seen.wait(), 10)
                    while True:  # quiet: no transaction begun for 20 ms
                        seen = begins[0]
                        await asyncio.sleep(0.02)
                        if begins[0] == seen:
                            return 0

                world.app.sender.drain = running_drain  # type: ignore[method-assign]
                sender_task = asyncio.create_task(sender.run())
                await asyncio.sleep(0.2)  # its start (taking back orphans) is not measured
                begins[0] = sender_begins[0] = 0
                sender_cpu[0] = 0.0
                statements.clear()
            else:
                world.app.sender.drain = drain  # type: ignore[method-assign]
            # Main-thread CPU time, not wall time: waiting is not cost.
            profiler = cProfile.Profile(time.thread_time) if args.profile else None
            cpu, main_cpu = time.process_time(), time.thread_time()
            if profiler:
                profiler.enable()
            for i in range(args.follow_ups):
                clock.advance(seconds=3)  # under flood control, as a person types
                if sender_task is not None:
                    expected[0] += 1  # each follow-up is one row to the cadre
                await resident.reply(confirmation, f"follow-up {i}")
            if profiler:
                profiler.disable()
            per_relay_ms = (time.process_time() - cpu) * 1000 / args.follow_ups
            main_thread_ms = (time.thread_time() - main_cpu) * 1000 / args.follow_ups
            relayed = sum(1 for text in cadre.texts() if "follow-up " in text)
            follow_up_begins, follow_up_statements = begins[0], list(statements)
            if sender_task is not None:
                # The running sender works while a handler waits for its row's outcome: its
                # transactions and CPU are told apart by task (the rest is the intake's, the
                # harness's waiting included).
                split["sender"][1] = sender_begins[0]
                split["intake"][1] = begins[0] - sender_begins[0]
                split["sender"][0] = sender_cpu[0]
                split["intake"][0] = time.thread_time() - main_cpu - sender_cpu[0]
                await world.app.sender.stop()
                await sender_task
                world.app.sender.drain = real_drain  # type: ignore[method-assign]
                world.app.sender.store.complete = real_complete  # type: ignore[method-assign]
            follow_up_split = {
                side: {
                    "main_thread_cpu_ms": round(cpu_s * 1000 / args.follow_ups, 2),
                    "transactions": round(n / args.follow_ups, 1),
                }
                for side, (cpu_s, n) in split.items()
            }
            # Filing, warm: the first filing above also paid for compiling every statement.
            begins[0] = 0
            statements.clear()
            for side in split.values():
                side[0], side[1] = 0.0, 0
            filings_ms = []
            world.app.sender.drain = drain  # type: ignore[method-assign]
            for i in range(args.filings):
                clock.advance(seconds=60)
                cpu = time.process_time()
                await file_case(resident, f"Filing {i}: the lift is broken again")
                filings_ms.append((time.process_time() - cpu) * 1000)
            filing_begins, filing_statements = begins[0], list(statements)
            per = max(args.filings, 1)
            filing_split = {
                side: {
                    "main_thread_cpu_ms": round(cpu_s * 1000 / per, 2),
                    "transactions": round(n / per, 1),
                }
                for side, (cpu_s, n) in split.items()
            }
            for engine in engines:
                event.remove(engine, "before_cursor_execute", on_execute)
                event.remove(engine, "begin", on_begin)
            kinds: dict[str, int] = defaultdict(int)
            for verb in follow_up_statements:
                kinds[verb] += 1
            filing_kinds: dict[str, int] = defaultdict(int)
            for verb in filing_statements:
                filing_kinds[verb] += 1
            per_filing = max(args.filings, 1)
            report: dict[str, Any] = {
                "follow_ups": args.follow_ups,
                "relayed": relayed,
                "cpu_ms_per_follow_up": round(per_relay_ms, 2),
                "main_thread_cpu_ms_per_follow_up": round(main_thread_ms, 2),
                "first_filing_cpu_ms": round(filing_ms, 1),
                "filing_cpu_ms": round(sorted(filings_ms)[len(filings_ms) // 2], 1)
                if filings_ms
                else None,
                "transactions_per_filing": round(filing_begins / per_filing, 1),
                "filing_by_side": filing_split,
                "statements_per_filing": {
                    k: round(v / per_filing, 1) for k, v in sorted(filing_kinds.items())
                },
                "transactions_per_follow_up": round(follow_up_begins / args.follow_ups, 1),
                "follow_up_by_side": follow_up_split,
                "statements_per_follow_up": {
                    k: round(v / args.follow_ups, 1) for k, v in sorted(kinds.items())
                },
                "database": "postgresql" if args.postgres else "sqlite",
                "sender": args.sender,
                "note": "in-process, includes the emulator's own work; profile shares below",
            }
            if profiler:
                stats = pstats.Stats(profiler)
                report["profile_shares"] = shares(stats)
                if sender_task is not None:
                    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
                    tops = ("_run", "_flush_loop", "_send")
                    sender_s = sum(
                        ct
                        for (filename, _l, name), (_cc, _nc, _tt, ct, _c) in raw.items()
                        if filename.endswith("bot/sender.py") and name in tops
                    )
                    total_s = sum(tt for (_cc, _nc, tt, _ct, _c) in raw.values()) or 1.0
                    report["sender_share"] = round(sender_s / total_s, 3)
                out = RESULTS / "profiles" / "hot_path.pstats"
                out.parent.mkdir(parents=True, exist_ok=True)
                stats.dump_stats(str(out))
                stats.sort_stats("tottime").print_stats(args.top)
            return report
        finally:
            await world.close()
            if pg_name is not None:
                await pg.drop(str(pg.base_url()), pg_name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--follow-ups", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--filings", type=int, default=9, help="warm filings (median CPU)")
    parser.add_argument(
        "--postgres", action="store_true", help="on PostgreSQL (CPBOT_TEST_POSTGRES_URL)"
    )
    parser.add_argument(
        "--sender",
        choices=("running", "drain"),
        default="running",
        help="follow-ups relayed by a running sender (as in cpbot run) or by the harness's "
        "drain after every round (the figures before the sender's pass)",
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--show-sql", action="store_true", help="print each statement")
    args = parser.parse_args()
    if args.smoke:
        args.follow_ups, args.warmup, args.filings = 5, 2, 1
    report = asyncio.run(run(args))
    print(json.dumps(report, indent=2))
    if not args.smoke:
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = "hot_path.postgres.json" if args.postgres else "hot_path.json"
        (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["relayed"] == report["follow_ups"] + 0 or args.smoke else 1


if __name__ == "__main__":
    sys.exit(main())
