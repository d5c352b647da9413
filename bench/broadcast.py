"""Policy notices at scale: how close delivery gets to the configured rate, whether anything is
lost or sent twice, and how much memory queuing a 1,000,000-recipient notice takes.

    .venv/bin/python bench/broadcast.py            # the full run (a few minutes)
    .venv/bin/python bench/broadcast.py --smoke    # small sizes, under a minute (CI)

Delivery: the emulator runs here with its flood limits on; the real ``cpbot run`` process sends
one notice to every resident, at 25 a second (emulator limit 30) and at 1000 a second (emulator
limit raised to 1200). The rate is the residents reached over the time from the first to the
last delivery, shown as a share of the bot's configured rate. Duplicates and losses come from
the emulator's per-chat counters.

Memory: a separate process queues a whole notice (every outbox row, unpaced, chunk by chunk, as
the scheduler's tick does) and reports its peak RSS; a 10,000- and a 1,000,000-recipient notice
should need about the same.

Prints a table and writes bench/results/broadcast.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "broadcast.json"
TOKEN = "424243:BENCH-TOKEN"
USERNAME = "cp_bench_bot"
POINTS = (
    "code,name,region,address,lat,lon,tz\n"
    "XH01,Xinhua Street,Jinghu,12 Xinhua Rd,31.35,118.37,Asia/Shanghai\n"
)

# `cpbot run` with the notices tick and the sender's "edit" payload, until scheduler/setup.py
# and bot/sender.py carry them; both step aside by themselves then.


def now_text() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")


def seed(db_path: Path, tg_ids: list[int]) -> None:
    """Residents straight into the tables (all at XH01)."""
    stamp = now_text()
    with sqlite3.connect(db_path) as conn:
        point = conn.execute("SELECT id FROM contact_points WHERE code = 'XH01'").fetchone()[0]
        for start in range(0, len(tg_ids), 50_000):
            part = tg_ids[start : start + 50_000]
            conn.executemany(
                "INSERT INTO users (tg_id, chat_id, name, locale, privacy_accepted_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (tg, tg, f"R{tg}", "zh_Hans" if tg % 3 == 0 else "en", stamp, stamp)
                    for tg in part
                ],
            )
        conn.execute(
            "INSERT INTO residencies (user_id, contact_point_id, since) SELECT id, ?, ? FROM users",
            (point, stamp),
        )


async def create_notice(url: str) -> int:
    """The office sends one notice to everyone (what `cpbot notices send` does)."""
    from models.db import Database
    from services.app import Services
    from services.config import ServiceConfig
    from services.context import Context
    from services.notices import Audience, NoticeDraft

    db = Database.from_url(url)
    services = Services(Context.create(db, ServiceConfig(bot_username=USERNAME)))
    draft = NoticeDraft(
        texts={
            "zh_Hans": "<b>关于停水的通知</b>\n周二9:00至12:00新华路一带停水，请提前储水。",
            "en": "<b>Water supply</b>\nNo water on Xinhua Road on Tuesday, 9:00 to 12:00.",
        },
        fallback_locale="zh_Hans",
        audience=Audience("all"),
    )
    created = await services.notices.create(None, draft)
    await db.dispose()
    return created.notice_id


def prepare_db(workdir: Path, env: dict[str, str]) -> Path:
    (workdir / "points.csv").write_text(POINTS, encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "points", "import", "points.csv"],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
    )
    return workdir / "bench.sqlite3"


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time a running process has used so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int | str, field: str = "VmHWM") -> float | None:
    """A process's peak (VmHWM) or current (VmRSS) resident set, in MiB (Linux).

    Unlike ``ru_maxrss``, VmHWM starts afresh at exec, so a child started from this (large)
    process reports its own peak only.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def delivery(
    rate: int, emulator_limit: int, residents: int, profile: bool = False
) -> dict[str, Any]:
    from emulator.config import BotConfig, EmulatorConfig, LimitsConfig
    from emulator.core import Emulator
    from emulator.runner import start_emulator

    emu = Emulator(
        EmulatorConfig(
            bots=(BotConfig(TOKEN, USERNAME),),
            limits=LimitsConfig(global_per_second=emulator_limit),
        )
    )
    running = await start_emulator(emu)
    people = [emu.create_user(f"R{i}") for i in range(residents)]
    state = emu.world.bot(None)
    for person in people:
        emu.world.conversation(state, emu.world.chats[person["id"]]).started = True
    tg_ids = [int(p["id"]) for p in people]
    with tempfile.TemporaryDirectory(prefix="cpbot-bench-") as folder:
        workdir = Path(folder)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CPBOT_TOKEN": TOKEN,
            "CPBOT_API_BASE": running.url,
            "CPBOT_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}",
            "CPBOT_BOT_USERNAME": USERNAME,
            "CPBOT_RATE_PER_SECOND": str(rate),
            "CPBOT_OUTBOX_POLL_SECONDS": "0.5",
            "CPBOT_LOG_LEVEL": "ERROR",
        }
        db_path = await asyncio.to_thread(prepare_db, workdir, env)
        await asyncio.to_thread(seed, db_path, tg_ids)
        await create_notice(env["CPBOT_DATABASE_URL"])
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            cwd=workdir,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        first = last = None
        spy: subprocess.Popen[bytes] | None = None
        peak = idle = None
        cpu_first = cpu_last = None
        deadline = time.monotonic() + residents / rate * 3 + 60
        try:
            while time.monotonic() < deadline:
                total = emu.world.counters.messages_total
                moment = time.monotonic()
                if total and first is None:
                    first = moment
                    if profile:  # sample the sending bot over most of the delivery
                        spy = sample(bot.pid, f"broadcast-{rate}", residents / rate * 0.8)
                    idle = rss_mb(bot.pid, "VmRSS")
                    cpu_first = cpu_seconds(bot.pid)
                if total >= residents:
                    last = moment
                    cpu_last = cpu_seconds(bot.pid)
                    break
                peak = rss_mb(bot.pid) or peak
                await asyncio.sleep(0.01)
            peak = rss_mb(bot.pid) or peak
            if spy is not None:
                await asyncio.to_thread(spy.wait, 120)
        finally:
            bot.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(bot.wait(), 30)
            except TimeoutError:
                bot.kill()
                await bot.wait()
    counters = emu.counters()
    await emu.aclose()
    await running.stop()
    per_chat = counters["messages_per_chat"]
    reached = sum(1 for tg in tg_ids if per_chat.get(str(tg), 0) >= 1)
    duplicates = sum(max(per_chat.get(str(tg), 0) - 1, 0) for tg in tg_ids)
    seconds = (last - first) if first is not None and last is not None else None
    cpu = (cpu_last - cpu_first) if cpu_first is not None and cpu_last is not None else None
    achieved = (residents - 1) / seconds if seconds else 0.0
    return {
        "configured_rate": rate,
        "emulator_limit": emulator_limit,
        "residents": residents,
        "seconds": round(seconds, 2) if seconds else None,
        "rate": round(achieved, 1),
        "share_of_configured": round(achieved / rate, 3),
        "reached": reached,
        "lost": residents - reached,
        "duplicates": duplicates,
        "max_global_rate": counters["max_global_rate"],
        "max_chat_rate": counters["max_chat_rate"],
        "responses_429": counters["responses_429"],
        "bot_cpu_ms_per_message": round(cpu * 1000 / (residents - 1), 2) if cpu else None,
        "bot_cpu_share": round(cpu / seconds, 2) if cpu and seconds else None,
        "bot_rss_at_start_mb": round(idle, 1) if idle else None,
        "bot_peak_rss_mb": round(peak, 1) if peak else None,
    }


async def fanout_child(url: str, notice_id: int) -> None:
    """Queue every recipient of a notice, chunk by chunk, and report time and peak memory."""
    from models.db import Database
    from services.app import Services
    from services.config import ServiceConfig
    from services.context import Context

    db = Database.from_url(url)
    services = Services(Context.create(db, ServiceConfig(bot_username=USERNAME)))
    baseline = rss_mb("self") or 0.0
    started = time.perf_counter()
    rows = chunks = 0
    while (chunk := await services.notices.queue_chunk(notice_id)) is not None:
        rows += chunk.queued
        chunks += 1
        if chunk.done:
            break
    seconds = time.perf_counter() - started
    await db.dispose()
    peak = rss_mb("self") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": rows,
                "chunks": chunks,
                "seconds": round(seconds, 1),
                "baseline_rss_mb": round(baseline, 1),
                "peak_rss_mb": round(peak, 1),
            }
        )
    )


def memory(residents: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cpbot-bench-") as folder:
        workdir = Path(folder)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CPBOT_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}",
            "CPBOT_BOT_USERNAME": USERNAME,
        }
        db_path = prepare_db(workdir, env)
        began = time.perf_counter()
        seed(db_path, list(range(8_000_000_001, 8_000_000_001 + residents)))
        seeded = time.perf_counter() - began
        notice_id = asyncio.run(create_notice(env["CPBOT_DATABASE_URL"]))
        child = subprocess.run(
            [sys.executable, __file__, "--fanout", env["CPBOT_DATABASE_URL"], str(notice_id)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        report = json.loads(child.stdout.strip().splitlines()[-1])
        size = db_path.stat().st_size + sum(
            p.stat().st_size for p in workdir.glob("bench.sqlite3-*")
        )
    return {
        "residents": residents,
        "seed_seconds": round(seeded, 1),
        "database_mb": round(size / 2**20, 1),
        **report,
    }


def table(results: dict[str, Any]) -> str:
    lines = [
        "delivery   configured  emulator  residents  seconds    rate  share  lost  dup  max/s  "
        "429s  bot CPU ms/msg (busy)  bot RSS start/peak",
    ]
    for run in results["delivery"]:
        lines.append(
            f"           {run['configured_rate']:>10}  {run['emulator_limit']:>8}  "
            f"{run['residents']:>9}  {run['seconds'] or '-':>7}  {run['rate']:>6}  "
            f"{run['share_of_configured']:>5.0%}  {run['lost']:>4}  {run['duplicates']:>3}  "
            f"{run['max_global_rate']:>5}  {run['responses_429']:>4}  "
            f"{run['bot_cpu_ms_per_message'] or '-':>6} ({run['bot_cpu_share'] or 0:.0%})  "
            f"{run['bot_rss_at_start_mb'] or '-'}/{run['bot_peak_rss_mb'] or '-'} MiB"
        )
    lines.append("")
    lines.append(
        "memory     residents  rows queued  seconds  rows/s  peak RSS  (baseline)  database"
    )
    for run in results["memory"]:
        per_second = run["rows"] / run["seconds"] if run["seconds"] else 0
        lines.append(
            f"           {run['residents']:>9}  {run['rows']:>11}  {run['seconds']:>7}  "
            f"{per_second:>6.0f}  {run['peak_rss_mb']:>5} MiB  ({run['baseline_rss_mb']} MiB)  "
            f"{run['database_mb']:>5} MiB"
        )
    return "\n".join(lines)


def sample(pid: int, label: str, seconds: float) -> subprocess.Popen[bytes]:
    """py-spy over a running bot (collapsed stacks in bench/results/profiles/); ``pip install
    py-spy`` into the venv first."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    spy = spy or "py-spy"
    out = RESULTS.parent / "profiles" / f"{label}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [spy, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds)))]
    command += ["--rate", "100", "--nonblocking", "--format", "raw", "-o", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def main(
    smoke: bool,
    profile: bool = False,
    rates: tuple[int, ...] = (25, 1000),
    memory_runs: bool = True,
) -> dict[str, Any]:
    slow = 200 if smoke else 1_500
    fast = 3_000 if smoke else 20_000
    sizes = ([10_000] if smoke else [10_000, 1_000_000]) if memory_runs else []
    results: dict[str, Any] = {
        "smoke": smoke,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": round(os.getloadavg()[0], 2),
        },
        "delivery": [
            await delivery(25, 30, slow, profile)
            if rate == 25
            else await delivery(1000, 1200, fast, profile)
            for rate in rates
        ],
        "memory": [await asyncio.to_thread(memory, n) for n in sizes],
    }
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes for CI")
    parser.add_argument("--fanout", nargs=2, metavar=("URL", "NOTICE"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile", action="store_true", help="sample the bot with py-spy while it delivers"
    )
    parser.add_argument(
        "--rates",
        type=int,
        nargs="+",
        choices=(25, 1000),
        default=(25, 1000),
        help="which deliveries to run (25/s against 30, 1000/s against 1200)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    args = parser.parse_args()
    if args.fanout:
        asyncio.run(fanout_child(args.fanout[0], int(args.fanout[1])))
        sys.exit(0)
    outcome = asyncio.run(main(args.smoke, args.profile, tuple(args.rates), not args.no_memory))
    print(table(outcome))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(outcome, indent=2) + "\n", encoding="utf-8")
    print(
        f"\nwritten to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
    )
