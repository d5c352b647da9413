"""Intake with one and with two webhook replicas: ``cpbot webhook --intake-only`` processes
behind the emulator (which spreads its deliveries over them round-robin, as a load balancer
would) and a ``cpbot worker`` sending the outbox, on PostgreSQL and Redis.

    .venv/bin/python bench/replicas.py                    # full: 1 and 2 replicas
    .venv/bin/python bench/replicas.py --smoke            # 2 replicas, tiny: the harness works
    .venv/bin/python bench/replicas.py --replicas 2 --workers 2 --levels 50

Needs CPBOT_TEST_POSTGRES_URL (or CPBOT_BENCH_POSTGRES_URL) and CPBOT_TEST_REDIS_URL (or
CPBOT_BENCH_REDIS_URL); each set-up gets a fresh database on that server and Redis database
number ``--redis-db`` (cleared of the bot's keys first).

The same residents, wizard, follow-ups, pool and pacing as ``bench/relay.py`` (see
bench/harness.py), with webhook intake instead of polling: the emulator answers the bot's
setWebhook and then POSTs each update, waiting for the bot's answer — which comes only after
the update was handled and its follow-up stored — before it counts the update delivered.
Like Telegram it keeps one update per chat in flight and at most ``max_connections`` (40, the
bot does not change it) in all. Relays/s, latency and the CPU of all processes (replicas and
worker); every follow-up relayed once and stored, or the run fails.

Prints tables and writes bench/results/replicas.json (``--smoke``: replicas.smoke.json).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    CPBOT,
    RATE,
    RESULTS,
    TOKEN,
    USERNAME,
    Child,
    Phases,
    Run,
    Watch,
    bench_emulator,
    bench_redis,
    clean_env,
    clear_redis,
    create_postgres,
    drop_postgres,
    file_all,
    filing_table,
    free_port,
    greet,
    http_ready,
    level_table,
    machine,
    migrate,
    people,
    postgres_base,
    redis_base,
    relay_problems,
    run_levels,
    seed,
    storage_problems,
    stored_relays,
    wait_until,
    write_report,
)

SECRET = "bench-replica-secret"


async def run_setup(args: argparse.Namespace, replicas: int) -> Run:
    """``replicas`` intake processes and ``args.workers`` workers on a fresh database."""
    run = Run(f"{replicas} replica{'s' if replicas > 1 else ''}")
    base, redis = postgres_base(), redis_base()
    assert base is not None and redis is not None
    redis_url = bench_redis(redis, args.redis_db)
    await clear_redis(redis_url)
    running = await bench_emulator(webhook=True)
    emulator = running.emulator
    watch = Watch(emulator)
    subjects = people(emulator, args.pool)
    url = await create_postgres(base)
    ports = [free_port() for _ in range(replicas)]
    health = [free_port() for _ in range(args.workers)]
    emulator.set_webhook_targets([f"http://127.0.0.1:{p}/hook" for p in ports])
    env = clean_env(
        args.code,
        CPBOT_TOKEN=TOKEN,
        CPBOT_API_BASE=running.url,
        CPBOT_DATABASE_URL=url,
        CPBOT_REDIS_URL=redis_url,
        CPBOT_BOT_USERNAME=USERNAME,
        CPBOT_DEFAULT_LOCALE="en",
        CPBOT_RATE_PER_SECOND=str(RATE),
        CPBOT_WEBHOOK_SECRET=SECRET,
        CPBOT_WEBHOOK_URL=f"http://127.0.0.1:{ports[0]}/hook",
        CPBOT_WEBHOOK_PATH="/hook",
        CPBOT_LOG_LEVEL="WARNING",
    )
    children: list[Child] = []
    clock = Phases(run.phases_s)
    with tempfile.TemporaryDirectory(prefix="cpbot-replicas-") as tmp:
        workdir = Path(tmp)
        try:
            await migrate(url)
            clock.mark("migrate")
            await seed(url, subjects)
            clock.mark("seed")
            for n, port in enumerate(ports):
                replica_env = {**env, "CPBOT_WEBHOOK_PORT": str(port)}
                command = [*CPBOT, "webhook", "--intake-only"]
                children.append(Child(f"replica{n}", command, replica_env, workdir))
            for n, port in enumerate(health):
                worker_env = {**env, "CPBOT_HEALTH_PORT": str(port)}
                children.append(Child(f"worker{n}", [*CPBOT, "worker"], worker_env, workdir))
            for port in ports + health:
                await wait_ready(port, children)
            await wait_until(
                lambda: bool(emulator.counters()["requests_per_method"].get("setWebhook")),
                "setWebhook",
                60,
                children,
            )
            clock.mark("start")
            greet(emulator, (s.cadre_id for s in subjects))
            await wait_until(
                lambda: emulator.counters()["messages_total"] >= len(subjects),
                "answers to /help",
                120,
                children,
            )
            clock.mark("greet")
            concurrency = min(args.filing_concurrency, len(subjects))
            run.filing = await file_all(emulator, watch, subjects, concurrency, children)
            print(filing_table([(run.target, run.filing)]).splitlines()[-1], flush=True)
            clock.mark("filing")
            await asyncio.sleep(1.1)
            run.levels = await run_levels(
                watch,
                subjects,
                target=run.target,
                levels=args.levels,
                seconds=args.seconds,
                warmup=args.warmup,
                paced=args.paced,
                acknowledged=True,
                children=children,
                profile=RESULTS / "profiles" if args.profile else None,
            )
            clock.mark("levels")
            await asyncio.sleep(0.5)  # the last outcomes recorded
        finally:
            for child in children:
                child.stop()
            run.tracebacks = sum(child.tracebacks() for child in children)
            for child in children:
                if child.tracebacks():
                    print(f"-- {child.name}\n{child.tail()}", file=sys.stderr)
            await emulator.aclose()
            await running.stop()
            try:
                run.stored = await stored_relays(url)
            finally:
                await drop_postgres(url)
                await clear_redis(redis_url)
    sent = sum(level.sent for level in run.levels)
    run.problems = relay_problems(watch, run.levels) + storage_problems(run.stored, sent)
    if run.tracebacks:
        run.problems.append(f"{run.tracebacks} tracebacks in the processes' logs")
    return run


async def wait_ready(port: int, children: list[Child]) -> None:
    async def probe() -> None:
        while not await http_ready(port):
            for child in children:
                if not child.alive():
                    raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
            await asyncio.sleep(0.1)

    await asyncio.wait_for(probe(), 90)


async def main(args: argparse.Namespace) -> int:
    if postgres_base() is None or redis_base() is None:
        print("needs CPBOT_TEST_POSTGRES_URL and CPBOT_TEST_REDIS_URL", file=sys.stderr)
        return 2
    report: dict[str, Any] = {
        "benchmark": "replicas",
        "smoke": args.smoke,
        "machine": machine(),
        "conditions": {
            "emulator_flood_limits": "off (set_limits(enabled=False))",
            "bot_rate_per_second": RATE,
            "intake": "webhook, answered after handling; round-robin over the replicas; "
            "at most 40 deliveries in flight, one per chat",
            "workers": args.workers,
        },
        "code": str(args.code) if args.code else "this checkout",
        "settings": {
            k: getattr(args, k)
            for k in ("replicas", "workers", "levels", "seconds", "warmup", "pool", "paced")
        },
    }
    print(f"load average {report['machine']['load_average_at_start']}", flush=True)
    runs = []
    for replicas in args.replicas:
        started = time.perf_counter()
        print(f"== {replicas} replica(s), {args.workers} worker(s)", flush=True)
        runs.append(await run_setup(args, replicas))
        phases = " ".join(f"{k} {v}s" for k, v in runs[-1].phases_s.items())
        print(f"   ({time.perf_counter() - started:.0f} s; {phases})", flush=True)
    report["runs"] = runs
    problems = [f"{r.target}: {p}" for r in runs for p in r.problems]
    report["verified"] = not problems
    report["problems"] = problems
    print()
    print(filing_table([(r.target, r.filing) for r in runs if r.filing is not None]))
    print()
    print(level_table([lv for r in runs for lv in r.levels]))
    print()
    print("verified: every follow-up relayed once, and stored")
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems))
    out = args.out or RESULTS / ("replicas.smoke.json" if args.smoke else "replicas.json")
    write_report(report, out)
    return 0 if not problems else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per level")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured start per level")
    parser.add_argument("--pool", type=int, default=800, help="residents (each with a cadre)")
    parser.add_argument("--filing-concurrency", type=int, default=100)
    parser.add_argument("--no-paced", dest="paced", action="store_false")
    parser.add_argument("--redis-db", type=int, default=9, help="Redis database number to use")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample every process with py-spy over each window (bench/results/profiles/)",
    )
    parser.add_argument(
        "--code", type=Path, help="run cpbot from this copy of the packages (A/B a change)"
    )
    parser.add_argument("--out", type=Path, help="where to write the JSON")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: the harness works")
    args = parser.parse_args(argv)
    if args.smoke:
        args.levels, args.seconds, args.warmup = [4], 1.0, 0.3
        args.pool, args.filing_concurrency, args.replicas = 16, 8, [2]
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
