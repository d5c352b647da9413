"""Intake and relay: how many residents' follow-ups one ``cpbot run`` process relays to their
cadres a second, how long each takes, and how that compares with a bare aiogram bot doing only
the relay (``bench/floor_bot.py``, the framework's floor); and how many whole cases a second
residents file through the wizard.

    .venv/bin/python bench/relay.py                  # full: SQLite, PostgreSQL and the floor
    .venv/bin/python bench/relay.py --smoke          # the harness works (seconds; no speed)
    .venv/bin/python bench/relay.py --targets sqlite floor --levels 50

The emulator runs in this process with Telegram's flood limits off; the bot runs as its own
process (``cpbot run``: polling, outbox sender and scheduler) with ``CPBOT_RATE_PER_SECOND=1000``.
Every resident has a cadre (a contact point) of their own, and files one case through the wizard
(📝 New case, kind, category, a text, Done, Send): the *filing* figures. Follow-ups are then
native replies to the filing confirmation — the way the bot tells residents to add to a case
("Reply to this message to add to the case"), and the path that looks the case up from the
replied message. The bot stores each follow-up (a case event and an outbox row, one
transaction), answers the resident "✓ Added to case", and its sender relays it to the cadre.

Load (see bench/harness.py): N follow-ups in flight (closed loop) from a pool of residents,
rotated so that no chat gets two messages within 1.1 s — the bot keeps Telegram's one message a
second per chat itself, so this is the only way a throughput figure measures the bot and not
that limit. *saturating*: the whole pool, the bot's throughput at N in flight. *paced*: exactly N
residents, each sending again 2 s after their last follow-up arrived, their first follow-ups
spread over those 2 s (a steady load; latency without queueing; ``--paced-bursts`` starts them
together, a burst of N every 2 s, as before 2026-12-05). The floor gets the same residents,
pool and pacing; it answers nobody.

Latency is from the moment the emulator creates the resident's message to the moment the bot's
relay is created in the cadre's chat (one clock, in this process). After each target: every
follow-up relayed exactly once to its cadre, and (for cpbot) stored as a case event whose outbox
row is 'sent'. The run fails (exit 1) otherwise.

Prints tables and writes bench/results/relay.json (``--smoke``: relay.smoke.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    COOLDOWN,
    CPBOT,
    PACED_COOLDOWN,
    RATE,
    RESULTS,
    TOKEN,
    USERNAME,
    Child,
    Phases,
    Run,
    Watch,
    bench_emulator,
    clean_env,
    create_postgres,
    drop_postgres,
    file_all,
    filing_table,
    greet,
    level_table,
    machine,
    migrate,
    people,
    polling_started,
    postgres_base,
    relay_problems,
    run_levels,
    seed,
    storage_problems,
    stored_relays,
    wait_until,
    write_report,
)


def level_args(args: argparse.Namespace) -> dict[str, Any]:
    chosen = {
        k: getattr(args, k)
        for k in ("levels", "seconds", "warmup", "paced", "saturating", "bursts")
    }
    return {**chosen, "profile": RESULTS / "profiles" if args.profile else None}


async def run_cpbot(args: argparse.Namespace, backend: str) -> Run:
    """``cpbot run`` on SQLite or PostgreSQL: seed, file every case, then the relay levels."""
    run = Run(f"cpbot {backend}")
    running = await bench_emulator()
    emulator = running.emulator
    watch = Watch(emulator)
    subjects = people(emulator, args.pool)
    with tempfile.TemporaryDirectory(prefix="cpbot-bench-") as tmp:
        workdir = Path(tmp)
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
        else:
            base = postgres_base()
            assert base is not None
            url = await create_postgres(base)
        env = clean_env(
            args.code,
            CPBOT_TOKEN=TOKEN,
            CPBOT_API_BASE=running.url,
            CPBOT_DATABASE_URL=url,
            CPBOT_BOT_USERNAME=USERNAME,
            CPBOT_DEFAULT_LOCALE="en",
            CPBOT_RATE_PER_SECOND=str(RATE),
            CPBOT_LOG_LEVEL="WARNING",
        )
        bot: Child | None = None
        clock = Phases(run.phases_s)
        try:
            await migrate(url)
            clock.mark("migrate")
            await seed(url, subjects)
            clock.mark("seed")
            greet(emulator, (s.cadre_id for s in subjects))
            bot = Child("cpbot", [*CPBOT, "run"], env, workdir)
            await wait_until(lambda: polling_started(emulator), "polling", 60, [bot])
            clock.mark("start")
            # The cadres' /help answered: the bot may write to them now.
            await wait_until(
                lambda: emulator.counters()["messages_total"] >= len(subjects),
                "answers to /help",
                120,
                [bot],
            )
            clock.mark("greet")
            run.filing = await file_all(
                emulator, watch, subjects, min(args.filing_concurrency, len(subjects)), [bot]
            )
            print(filing_table([(run.target, run.filing)]).splitlines()[-1], flush=True)
            clock.mark("filing")
            await asyncio.sleep(COOLDOWN)
            run.levels = await run_levels(watch, subjects, target=run.target, **level_args(args),
                                          acknowledged=True, children=[bot])  # fmt: skip
            clock.mark("levels")
            await asyncio.sleep(0.5)  # the last outcomes recorded
        finally:
            if bot is not None:
                bot.stop()
                run.tracebacks = bot.tracebacks()
                if run.tracebacks:
                    print(bot.tail(), file=sys.stderr)
            await emulator.aclose()
            await running.stop()
        sent = sum(level.sent for level in run.levels)
        try:
            run.stored = await stored_relays(url)
        finally:
            if backend == "postgres":
                await drop_postgres(url)
    run.problems = relay_problems(watch, run.levels) + storage_problems(run.stored, sent)
    if run.tracebacks:
        run.problems.append(f"{run.tracebacks} tracebacks in the bot's log")
    return run


async def run_floor(args: argparse.Namespace) -> Run:
    """The bare aiogram relay bot, the same residents, pool and pacing."""
    run = Run("floor")
    running = await bench_emulator()
    emulator = running.emulator
    watch = Watch(emulator)
    subjects = people(emulator, args.pool)
    greet(emulator, (s.cadre_id for s in subjects), "/start")
    for subject in subjects:  # follow-ups reply to something here too (the same update shape)
        subject.reply_to = int(emulator.user_send(subject.resident_id, text="/start")["message_id"])
    with tempfile.TemporaryDirectory(prefix="cpbot-floor-") as tmp:
        workdir = Path(tmp)
        mapping = workdir / "map.json"
        mapping.write_text(json.dumps({s.resident_id: s.cadre_id for s in subjects}))
        command = [sys.executable, str(ROOT / "bench" / "floor_bot.py"), "--api", running.url]
        command += ["--token", TOKEN, "--map", str(mapping)]
        bot = Child("floor", command, clean_env(), workdir)
        try:
            await wait_until(lambda: polling_started(emulator), "polling", 60, [bot])
            await asyncio.sleep(COOLDOWN)
            run.levels = await run_levels(watch, subjects, target=run.target, **level_args(args),
                                          acknowledged=False, children=[bot])  # fmt: skip
        finally:
            bot.stop()
            run.tracebacks = bot.tracebacks()
            await emulator.aclose()
            await running.stop()
    run.problems = relay_problems(watch, run.levels)
    if run.tracebacks:
        run.problems.append(f"{run.tracebacks} tracebacks in the floor bot's log")
    return run


def ratios(runs: list[Run]) -> list[dict[str, Any]]:
    """Each cpbot level beside the floor's at the same mode and concurrency."""
    floor = {(lv.mode, lv.concurrency): lv for r in runs if r.target == "floor" for lv in r.levels}
    rows = []
    for run in runs:
        if run.target == "floor":
            continue
        for lv in run.levels:
            base = floor.get((lv.mode, lv.concurrency))
            if base is None or not base.relays_per_second or not base.p99_ms:
                continue
            rows.append(
                {
                    "target": run.target,
                    "mode": lv.mode,
                    "concurrency": lv.concurrency,
                    # Paced levels offer the same load to both: their rates are equal by design.
                    "relays_share_of_floor": round(lv.relays_per_second / base.relays_per_second, 2)
                    if lv.mode == "saturating"
                    else None,
                    "p99_over_floor": round(lv.p99_ms / base.p99_ms, 2),
                    "p50_over_floor": round(lv.p50_ms / base.p50_ms, 2) if base.p50_ms else None,
                }
            )
    return rows


def print_ratios(rows: list[dict[str, Any]]) -> None:
    header = f"{'target':<16}{'mode':<11}{'conc':>5}{'relays/s vs floor':>19}{'p99 vs floor':>14}"
    print(header)
    print("-" * len(header))
    for row in rows:
        share = row["relays_share_of_floor"]
        shown = f"{share:>18.0%}" if share is not None else f"{'(offered load)':>18}"
        print(
            f"{row['target']:<16}{row['mode']:<11}{row['concurrency']:>5}"
            f"{shown} {row['p99_over_floor']:>12.2f}x"
        )
    print("targets: relays/s >= 60% of the floor's; p99 <= 1.5x the floor's at 50 in flight")


async def main(args: argparse.Namespace) -> int:
    report: dict[str, Any] = {
        "benchmark": "relay",
        "smoke": args.smoke,
        "machine": machine(),
        "conditions": {
            "emulator_flood_limits": "off (set_limits(enabled=False))",
            "bot_rate_per_second": RATE,
            "per_chat": (
                f"each resident has a cadre chat of their own; no chat gets two messages within "
                f"{COOLDOWN} s (saturating) or {PACED_COOLDOWN} s after its last (paced), "
                "for cpbot and the floor alike"
            ),
            "follow_ups": "native replies to the filing confirmation (floor: to the resident's "
            "own /start)",
            "intake": "long polling, both bots",
        },
        "code": str(args.code) if args.code else "this checkout",
        "settings": {
            k: getattr(args, k)
            for k in (
                "levels",
                "seconds",
                "warmup",
                "pool",
                "filing_concurrency",
                "paced",
                "saturating",
            )
        },
    }
    print(f"load average {report['machine']['load_average_at_start']}", flush=True)
    runs: list[Run] = []
    skipped: list[str] = []
    for target in args.targets:
        started = time.perf_counter()
        print(f"== {target}", flush=True)
        if target == "floor":
            runs.append(await run_floor(args))
        elif target == "postgres" and postgres_base() is None:
            skipped.append("postgres: CPBOT_TEST_POSTGRES_URL (or CPBOT_BENCH_POSTGRES_URL) unset")
            print(f"   skipped: {skipped[-1]}")
            continue
        else:
            runs.append(await run_cpbot(args, target))
        phases = " ".join(f"{k} {v}s" for k, v in runs[-1].phases_s.items())
        print(f"   ({time.perf_counter() - started:.0f} s; {phases})", flush=True)
    report["skipped"] = skipped
    report["runs"] = runs
    report["ratios"] = ratios(runs)
    problems = [f"{r.target}: {p}" for r in runs for p in r.problems]
    report["verified"] = not problems
    report["problems"] = problems
    print()
    filings = [(r.target, r.filing) for r in runs if r.filing is not None]
    if filings:
        print(filing_table(filings))
        print()
    print(level_table([lv for r in runs for lv in r.levels]))
    print()
    if report["ratios"]:
        print_ratios(report["ratios"])
        print()
    print("verified: every follow-up relayed once" + (", and stored" if filings else ""))
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems))
    out = args.out or RESULTS / ("relay.smoke.json" if args.smoke else "relay.json")
    write_report(report, out)
    return 0 if not problems else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--targets",
        nargs="+",
        default=["sqlite", "postgres", "floor"],
        choices=["sqlite", "postgres", "floor"],
    )
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per level")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured start per level")
    parser.add_argument("--pool", type=int, default=800, help="residents (each with a cadre)")
    parser.add_argument("--filing-concurrency", type=int, default=100)
    parser.add_argument("--no-paced", dest="paced", action="store_false")
    parser.add_argument(
        "--no-saturating",
        dest="saturating",
        action="store_false",
        help="paced levels only (latency, CPU per relay at a steady rate)",
    )
    parser.add_argument(
        "--paced-bursts",
        dest="bursts",
        action="store_true",
        help="start the paced residents together (a burst every pause) instead of spread out",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the bots with py-spy over each window (bench/results/profiles/)",
    )
    parser.add_argument(
        "--code", type=Path, help="run cpbot from this copy of the packages (A/B a change)"
    )
    parser.add_argument("--out", type=Path, help="where to write the JSON")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: the harness works")
    args = parser.parse_args(argv)
    if args.smoke:
        args.levels, args.seconds, args.warmup = [4], 1.0, 0.3
        args.pool, args.filing_concurrency = 16, 8
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
