"""Start-up: how long ``cpbot --help`` and the office commands take from the shell, and how long
a bot process takes from its spawn until it can take updates.

    .venv/bin/python bench/startup.py                 # full: 5 repetitions of everything
    .venv/bin/python bench/startup.py --smoke         # one repetition (seconds; no speed)
    .venv/bin/python bench/startup.py --repeat 9 --no-webhook --code /path/to/copy

**Office commands.** A SQLite file is migrated and seeded (contact points, a cadre at each, a
resident at each, through the services as bench/harness.py does); then each command that does
not talk to Telegram runs as its own process (``python -m bot.cli ...``, what the ``cpbot``
script runs) with ``CPBOT_BOT_USERNAME`` set, so ``invite`` never asks Telegram for the name.
The commands are taken in turn, round after round, so that a burst of load from elsewhere
spreads over all of them. The code under test is compiled to bytecode first, as an installed
package is (``compile_tree``). *wall* is from spawn to exit; *CPU* is the child's user +
system time (``wait4``), the robust figure on a shared machine. Medians and ranges over
``--repeat`` runs.

**Ready.** The emulator runs in this process (flood limits off); ``cpbot run`` is spawned on an
up-to-date SQLite file and *ready* is the moment its first getUpdates reaches the emulator
(polled every 5 ms); its CPU is read from /proc at that moment. Before it polls, the bot
imports itself, opens the database, and calls deleteWebhook and setMyCommands (one per
language) — all of that is in the figure. ``cpbot webhook`` (``--no-webhook`` to skip) is
ready when its ``/healthz`` answers 200 (polled every 20 ms): it has imported, set its webhook
and started its server. Each process is stopped (SIGINT) before the next starts.

The issue's targets (issue 13): ``--help`` and the office commands under 1 s wall on an idle
machine; a bot process ready in under 5 s. Check ``load_average_at_start`` before comparing.

Prints tables and writes bench/results/startup.json (``--smoke``: startup.smoke.json).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import datetime as dt
import functools
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    CPBOT,
    RESULTS,
    TOKEN,
    USERNAME,
    Child,
    Subject,
    bench_emulator,
    clean_env,
    free_port,
    http_ready,
    machine,
    migrate,
    seed,
    write_report,
)

SECRET = "startup-bench-secret"


def office_commands(workdir: Path) -> list[tuple[str, list[str]]]:
    """The commands that never talk to Telegram, as an administrator types them."""
    month = dt.date.today().strftime("%Y-%m")
    csv = workdir / "points.csv"
    csv.write_text(
        "code,name,region,address,lat,lon,tz\n"
        + "".join(f"B{n:05d},Point {n},Region,Street {n},,,\n" for n in range(5)),
        encoding="utf-8",
    )
    return [
        ("--help", ["--help"]),
        ("points list", ["points", "list"]),
        ("points import", ["points", "import", str(csv)]),
        ("staff list", ["staff", "list"]),
        ("categories list", ["categories", "list"]),
        ("invite", ["invite", "cadre", "--point", "B00000"]),
        ("audit export", ["audit", "export"]),
        ("notices list", ["notices", "list"]),
        ("outbox dead", ["outbox", "dead"]),
        ("visits policy show", ["visits", "policy", "show"]),
        ("report", ["report", "--month", month, "--out", str(workdir / "report")]),
    ]


def timed(command: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one process, from spawn to exit."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode and proc.stderr is not None:
        print(proc.stderr.read().decode(errors="replace")[-2000:], file=sys.stderr)
    if proc.stderr is not None:
        proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def summary(walls: Sequence[float], cpus: Sequence[float]) -> dict[str, Any]:
    return {
        "runs": len(walls),
        "wall_median_s": round(statistics.median(walls), 3),
        "wall_min_s": round(min(walls), 3),
        "wall_max_s": round(max(walls), 3),
        "cpu_median_s": round(statistics.median(cpus), 3),
        "cpu_min_s": round(min(cpus), 3),
        "cpu_max_s": round(max(cpus), 3),
    }


async def office(args: argparse.Namespace, workdir: Path, url: str) -> dict[str, Any]:
    env = clean_env(
        args.code,
        CPBOT_DATABASE_URL=url,
        CPBOT_BOT_USERNAME=USERNAME,
        CPBOT_DEFAULT_LOCALE="en",
        LANG="en_US.UTF-8",
    )
    commands = office_commands(workdir)
    walls: dict[str, list[float]] = {name: [] for name, _ in commands}
    cpus: dict[str, list[float]] = {name: [] for name, _ in commands}
    failures: list[str] = []
    for _ in range(args.repeat):
        for name, argv in commands:
            wall, cpu, code = await asyncio.to_thread(timed, [*CPBOT, *argv], env, workdir)
            if code != 0:
                failures.append(f"{name}: exit {code}")
            walls[name].append(wall)
            cpus[name].append(cpu)
    results = {name: summary(walls[name], cpus[name]) for name, _ in commands}
    return {"commands": results, "failures": failures}


async def readiness(args: argparse.Namespace, workdir: Path, url: str, mode: str) -> dict[str, Any]:
    """Spawn ``cpbot run`` (or ``cpbot webhook``) ``--repeat`` times; time each until ready."""
    running = await bench_emulator(webhook=mode == "webhook")
    emulator = running.emulator
    walls: list[float] = []
    cpus: list[float] = []
    failures: list[str] = []
    try:
        for n in range(args.repeat):
            extra: dict[str, str] = {}
            port = 0
            if mode == "webhook":
                port = free_port()
                extra = {
                    "CPBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
                    "CPBOT_WEBHOOK_PATH": "/hook",
                    "CPBOT_WEBHOOK_PORT": str(port),
                    "CPBOT_WEBHOOK_SECRET": SECRET,
                }
            env = clean_env(
                args.code,
                CPBOT_TOKEN=TOKEN,
                CPBOT_API_BASE=running.url,
                CPBOT_DATABASE_URL=url,
                CPBOT_BOT_USERNAME=USERNAME,
                CPBOT_DEFAULT_LOCALE="en",
                CPBOT_LOG_LEVEL="WARNING",
                **extra,
            )
            polls_before = emulator.counters()["requests_per_method"].get("getUpdates", 0)

            def polled(before: int = polls_before) -> bool:
                got = emulator.counters()["requests_per_method"].get("getUpdates", 0)
                return bool(got > before)

            started = time.perf_counter()
            child = Child(f"{mode}{n}", [*CPBOT, mode], env, workdir)
            try:
                if mode == "webhook":
                    ready = await until_ready(child, functools.partial(http_ready, port), 0.02)
                else:
                    ready = await until_ready(child, polled, 0.005)
                if ready is None:
                    failures.append(f"{mode}: not ready in 120 s:\n{child.tail()}")
                    continue
                walls.append(ready - started)
                cpus.append(child.cpu_seconds())
            finally:
                child.stop()
    finally:
        await emulator.aclose()
        await running.stop()
    return {**(summary(walls, cpus) if walls else {}), "failures": failures}


async def until_ready(
    child: Child, check: Callable[[], Any], every: float, patience: float = 120
) -> float | None:
    """perf_counter time at which ``check()`` (a bool, or an awaitable of one) first held."""
    deadline = time.perf_counter() + patience
    while time.perf_counter() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return time.perf_counter()
        if not child.alive():
            return None
        await asyncio.sleep(every)
    return None


def table(rows: dict[str, dict[str, Any]]) -> str:
    header = (
        f"{'command':<22}{'runs':>5}{'wall median':>13}{'wall range':>15}"
        f"{'CPU median':>12}{'CPU range':>15}"
    )
    lines = [header, "-" * len(header)]
    for name, r in rows.items():
        if "runs" not in r:
            lines.append(f"{name:<22}  (no successful run)")
            continue
        lines.append(
            f"{name:<22}{r['runs']:>5}{r['wall_median_s']:>12.2f}s"
            f"{r['wall_min_s']:>8.2f}–{r['wall_max_s']:<5.2f}s"
            f"{r['cpu_median_s']:>11.2f}s{r['cpu_min_s']:>8.2f}–{r['cpu_max_s']:<5.2f}s"
        )
    return "\n".join(lines)


def compile_tree(code: Path) -> None:
    """Write the bytecode of the code under test once, as an installed package has it. Where
    PYTHONDONTWRITEBYTECODE is set (some sandboxes set it) Python never writes it, and every
    command would compile each of the project's modules it imports from source, on every run:
    0.1-0.2 s that no installed bot pays."""
    skip = re.compile(r"[/\\](\.venv|\.git|tests|bench|node_modules)([/\\]|$)")
    compileall.compile_dir(code, quiet=1, rx=skip)


async def main(args: argparse.Namespace) -> int:
    compile_tree(args.code)
    report: dict[str, Any] = {
        "benchmark": "startup",
        "smoke": args.smoke,
        "machine": machine(),
        "code": str(args.code),
        "settings": {"repeat": args.repeat, "points": args.points, "webhook": args.webhook},
        "interpreter": " ".join([*CPBOT]),
    }
    print(f"load average {report['machine']['load_average_at_start']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cpbot-startup-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite+aiosqlite:///{workdir / 'startup.sqlite3'}"
        await migrate(url)
        subjects = [Subject(10_000_000 + n, 20_000_000 + n) for n in range(args.points)]
        await seed(url, subjects)
        print(f"seeded {args.points} points, cadres and residents", flush=True)
        done = await office(args, workdir, url)
        report["office"] = done["commands"]
        problems = list(done["failures"])
        ready: dict[str, dict[str, Any]] = {}
        modes = ["run", "webhook"] if args.webhook else ["run"]
        for mode in modes:
            got = await readiness(args, workdir, url, mode)
            problems += got.pop("failures")
            ready[f"cpbot {mode} ready"] = got
        report["ready"] = ready
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    report["bench_process_cpu_s"] = round(self_usage.ru_utime + self_usage.ru_stime, 2)
    report["problems"] = problems
    report["verified"] = not problems
    print()
    print(table(report["office"]))
    print()
    print(table(ready))
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems))
    out = args.out or RESULTS / ("startup.smoke.json" if args.smoke else "startup.json")
    write_report(report, out)
    return 0 if not problems else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command and start")
    parser.add_argument("--points", type=int, default=50, help="contact points seeded")
    parser.add_argument("--no-webhook", dest="webhook", action="store_false")
    parser.add_argument(
        "--code", type=Path, help="run cpbot from this copy of the packages (A/B a change)"
    )
    parser.add_argument("--out", type=Path, help="where to write the JSON")
    parser.add_argument("--smoke", action="store_true", help="one run of each: the bench works")
    args = parser.parse_args(argv)
    # Without --code, this checkout (PYTHONPATH): the venv's editable install may point at
    # another tree, and the children run from a temporary folder.
    args.code = (args.code or ROOT).resolve()
    if args.smoke:
        args.repeat, args.points = 1, 5
    return args


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(asyncio.run(main(parse())))
