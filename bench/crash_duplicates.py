"""A crash during a notice: how many residents get it twice?

    .venv/bin/python bench/crash_duplicates.py              # 20 kills, 254 residents
    .venv/bin/python bench/crash_duplicates.py --runs 3     # fewer

Each run: the emulator in this process (flood limits on), residents seeded into a fresh SQLite
database, one notice to all of them, the real ``cpbot run`` started; when a random share
(10-90 %) of the residents has the notice the process is killed with SIGKILL — no shutdown
hook runs — and started again; it must deliver the rest. The emulator's per-chat counters say
who got it, and how many got it twice. A duplicate can only come from a message that had left
for Telegram and whose outcome was not yet recorded when the process died.

Prints one line a run and the worst; writes bench/results/crash_duplicates.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.broadcast import (  # noqa: E402
    TOKEN,
    USERNAME,
    create_notice,
    prepare_db,
    seed,
)

RESULTS = ROOT / "bench" / "results" / "crash_duplicates.json"


async def start_bot(workdir: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def one_run(
    residents: int, rate: int, kill_share: float, patience: float = 240
) -> dict[str, Any]:
    from emulator.config import BotConfig, EmulatorConfig, LimitsConfig
    from emulator.core import Emulator
    from emulator.runner import start_emulator

    emu = Emulator(
        EmulatorConfig(
            bots=(BotConfig(TOKEN, USERNAME),), limits=LimitsConfig(global_per_second=rate + 5)
        )
    )
    running = await start_emulator(emu)
    people = [emu.create_user(f"R{i}") for i in range(residents)]
    state = emu.world.bot(None)
    for person in people:
        emu.world.conversation(state, emu.world.chats[person["id"]]).started = True
    tg_ids = [int(p["id"]) for p in people]

    def reached() -> int:
        per_chat = emu.world.counters.messages_per_chat
        return sum(1 for tg in tg_ids if per_chat[tg] >= 1)

    kill_at = max(1, int(residents * kill_share))
    killed_after = None
    restart_to_done = None
    try:
        with tempfile.TemporaryDirectory(prefix="cpbot-crash-") as folder:
            workdir = Path(folder)
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "CPBOT_TOKEN": TOKEN,
                "CPBOT_API_BASE": running.url,
                "CPBOT_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}",
                "CPBOT_BOT_USERNAME": USERNAME,
                "CPBOT_RATE_PER_SECOND": str(rate),
                "CPBOT_LOG_LEVEL": "ERROR",
            }
            db_path = await asyncio.to_thread(prepare_db, workdir, env)
            await asyncio.to_thread(seed, db_path, tg_ids)
            await create_notice(env["CPBOT_DATABASE_URL"])
            bot = await start_bot(workdir, env)
            deadline = time.monotonic() + patience
            while time.monotonic() < deadline:
                if emu.world.counters.messages_total >= kill_at:
                    break
                await asyncio.sleep(0.001)
            killed_after = emu.world.counters.messages_total
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
            restarted = time.monotonic()
            bot = await start_bot(workdir, env)
            try:
                while time.monotonic() < deadline:
                    if reached() >= residents:
                        break
                    await asyncio.sleep(0.05)
                restart_to_done = time.monotonic() - restarted
                await asyncio.sleep(1.0)  # anything still to come would be a duplicate
            finally:
                bot.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(bot.wait(), 30)
                except TimeoutError:
                    bot.kill()
                    await bot.wait()
        counters = emu.counters()
    finally:
        await emu.aclose()
        await running.stop()
    per_chat = counters["messages_per_chat"]
    got = [int(per_chat.get(str(tg), 0)) for tg in tg_ids]
    return {
        "residents": residents,
        "kill_after_messages": killed_after,
        "reached": sum(1 for n in got if n >= 1),
        "lost": sum(1 for n in got if n == 0),
        "duplicates": sum(max(n - 1, 0) for n in got),
        "seconds_from_restart_to_all": round(restart_to_done, 1) if restart_to_done else None,
    }


async def main(runs: int, residents: int, rate: int, seed_value: int) -> dict[str, Any]:
    rng = random.Random(seed_value)
    results = []
    for n in range(runs):
        share = rng.uniform(0.1, 0.9)
        run = await one_run(residents, rate, share)
        results.append(run)
        print(
            f"run {n + 1:>2}: killed after {run['kill_after_messages']:>4} sent, "
            f"reached {run['reached']}/{residents}, lost {run['lost']}, "
            f"duplicates {run['duplicates']}, all in {run['seconds_from_restart_to_all']} s "
            "after the restart",
            flush=True,
        )
    return {
        "runs": results,
        "rate": rate,
        "residents": residents,
        "most_duplicates": max(r["duplicates"] for r in results),
        "total_duplicates": sum(r["duplicates"] for r in results),
        "most_lost": max(r["lost"] for r in results),
        "load_before": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--residents", type=int, default=254)
    parser.add_argument("--rate", type=int, default=25, help="CPBOT_RATE_PER_SECOND")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    outcome = asyncio.run(main(args.runs, args.residents, args.rate, args.seed))
    print(
        f"worst of {args.runs}: {outcome['most_duplicates']} duplicates "
        f"({outcome['total_duplicates']} in all), {outcome['most_lost']} lost"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(outcome, indent=2) + "\n", encoding="utf-8")
