"""A crash during a notice: how many residents get it twice?

    .venv/bin/python bench/crash_duplicates.py              # 20 kills, 254 residents, SQLite
    .venv/bin/python bench/crash_duplicates.py --runs 3     # fewer
    .venv/bin/python bench/crash_duplicates.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test

Each run: the emulator in this process (flood limits on), residents seeded into a fresh database
(SQLite, or a new PostgreSQL database on the given server), one notice to all of them, the real
``cpbot run`` started; when a random share (10-90 %) of the residents has the notice the process
is killed with SIGKILL — no shutdown hook runs — and started again; it must deliver the rest.
The emulator's per-chat counters say who got it, and how many got it twice.

Between the kill and the restart the database is read: the residents' rows still ``sending``
are the sends that were in flight (claimed, outcome not recorded) — the only ones sent again
after the restart — and those of them the emulator had already delivered are the duplicates to
expect. Each run checks duplicates <= delivered in flight <= in flight <= the sender's limit
(equal on SQLite, where the file is final once the process is dead).
On SQLite the restarted bot takes the rows back at start; on PostgreSQL after their 60 s lease.

Prints one line a run and the worst; writes bench/results/crash_duplicates[_pg].json.
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
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.broadcast import (  # noqa: E402
    TOKEN,
    USERNAME,
    create_notice,
    now_text,
    prepare_db,
    seed,
)
from bot.sender import sending_concurrency  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "crash_duplicates.json"


async def seed_postgres(url: str, tg_ids: list[int]) -> None:
    """What ``broadcast.seed`` does on SQLite: residents straight into the tables."""
    from sqlalchemy import text

    from models.db import Database

    stamp = datetime.fromisoformat(now_text())

    def locale(tg: int) -> str:
        return "zh_Hans" if tg % 3 == 0 else "en"

    db = Database.from_url(url)
    try:
        async with db.write() as session:
            point = (
                await session.execute(text("SELECT id FROM contact_points WHERE code = 'XH01'"))
            ).scalar_one()
            await session.execute(
                text(
                    "INSERT INTO users (tg_id, chat_id, name, locale, privacy_accepted_at,"
                    " created_at) VALUES (:tg, :tg, :name, :locale, :at, :at)"
                ),
                [
                    {
                        "tg": tg,
                        "name": f"R{tg}",
                        "locale": "zh_Hans" if tg % 3 else "en",
                        "at": stamp,
                    }
                    for tg in tg_ids
                ],
            )
            await session.execute(
                text(
                    "INSERT INTO residencies (user_id, contact_point_id, since)"
                    " SELECT id, :point, :at FROM users"
                ),
                {"point": point, "at": stamp},
            )
    finally:
        await db.dispose()


async def in_flight_chats(url: str) -> list[int]:
    """Chats whose outbox row a (dead) sender had claimed and not recorded: still 'sending'."""
    from sqlalchemy import select

    from models.db import Database
    from models.enums import OutboxStatus
    from models.tables import Outbox

    db = Database.from_url(url)
    try:
        async with db.read() as session:
            rows = await session.execute(
                select(Outbox.chat_id).where(Outbox.status == OutboxStatus.SENDING)  # type: ignore[arg-type]
            )
            return [int(c) for c in rows.scalars()]
    finally:
        await db.dispose()


async def fresh_postgres(base: str) -> tuple[str, str]:
    from models.migrate import upgrade_async
    from tests.pg import _admin, async_url

    name = f"cpbot_crash_{uuid.uuid4().hex[:10]}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    url = async_url(base, name)
    await upgrade_async(url)
    return name, url


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
    residents: int,
    rate: int,
    kill_share: float,
    patience: float = 240,
    postgres: str | None = None,
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
    residents_chats = set(tg_ids)
    in_flight: list[int] = []
    delivered_in_flight = 0
    pg_name = None
    try:
        with tempfile.TemporaryDirectory(prefix="cpbot-crash-") as folder:
            workdir = Path(folder)
            if postgres:
                pg_name, url = await fresh_postgres(postgres)
            else:
                url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "CPBOT_TOKEN": TOKEN,
                "CPBOT_API_BASE": running.url,
                "CPBOT_DATABASE_URL": url,
                "CPBOT_BOT_USERNAME": USERNAME,
                "CPBOT_RATE_PER_SECOND": str(rate),
                "CPBOT_LOG_LEVEL": "ERROR",
            }
            db_path = await asyncio.to_thread(prepare_db, workdir, env)
            if postgres:
                await seed_postgres(url, tg_ids)
            else:
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
            # What the dead sender had claimed and not recorded: sent again after the restart.
            # (On PostgreSQL a COMMIT that had reached the server before the kill still lands:
            # give it a moment, or its rows would be counted here and yet not sent again.)
            await asyncio.sleep(0.5)
            in_flight = [c for c in await in_flight_chats(url) if c in residents_chats]
            per_chat = emu.world.counters.messages_per_chat
            delivered_in_flight = sum(1 for c in in_flight if per_chat[c] >= 1)
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
        if postgres and pg_name:
            from tests.pg import drop

            await drop(postgres, pg_name)
    per_chat = counters["messages_per_chat"]
    got = [int(per_chat.get(str(tg), 0)) for tg in tg_ids]
    return {
        "residents": residents,
        "kill_after_messages": killed_after,
        "reached": sum(1 for n in got if n >= 1),
        "lost": sum(1 for n in got if n == 0),
        "duplicates": sum(max(n - 1, 0) for n in got),
        # Claimed and unrecorded at the kill (sent again after the restart), and of those the
        # ones Telegram (the emulator) already had: the duplicates to expect.
        "in_flight_at_kill": len(in_flight),
        "delivered_of_in_flight": delivered_in_flight,
        "seconds_from_restart_to_all": round(restart_to_done, 1) if restart_to_done else None,
    }


async def main(
    runs: int, residents: int, rate: int, seed_value: int, postgres: str | None = None
) -> dict[str, Any]:
    rng = random.Random(seed_value)
    limit = sending_concurrency(rate)
    load_before = round(os.getloadavg()[0], 2)
    results = []
    for n in range(runs):
        share = rng.uniform(0.1, 0.9)
        run = await one_run(residents, rate, share, postgres=postgres)
        run["within_bound"] = (
            run["duplicates"] <= run["delivered_of_in_flight"] <= run["in_flight_at_kill"] <= limit
        )
        results.append(run)
        print(
            f"run {n + 1:>2}: killed after {run['kill_after_messages']:>4} sent, "
            f"in flight {run['in_flight_at_kill']} (of them delivered "
            f"{run['delivered_of_in_flight']}), reached {run['reached']}/{residents}, "
            f"lost {run['lost']}, duplicates {run['duplicates']}, all in "
            f"{run['seconds_from_restart_to_all']} s after the restart",
            flush=True,
        )
    return {
        "database": "postgresql" if postgres else "sqlite",
        "runs": results,
        "rate": rate,
        "residents": residents,
        "in_flight_limit": limit,
        "most_duplicates": max(r["duplicates"] for r in results),
        "total_duplicates": sum(r["duplicates"] for r in results),
        "most_in_flight_at_kill": max(r["in_flight_at_kill"] for r in results),
        "most_lost": max(r["lost"] for r in results),
        "all_within_bound": all(r["within_bound"] for r in results),
        "load_before": load_before,
        "load_after": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--residents", type=int, default=254)
    parser.add_argument("--rate", type=int, default=25, help="CPBOT_RATE_PER_SECOND")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server (not SQLite)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.out is None:
        args.out = RESULTS.with_stem("crash_duplicates_pg") if args.postgres else RESULTS
    outcome = asyncio.run(main(args.runs, args.residents, args.rate, args.seed, args.postgres))
    print(
        f"worst of {args.runs}: {outcome['most_duplicates']} duplicates "
        f"({outcome['total_duplicates']} in all), {outcome['most_lost']} lost, at most "
        f"{outcome['most_in_flight_at_kill']} in flight at a kill (limit "
        f"{outcome['in_flight_limit']}); duplicates <= delivered in flight in every run: "
        f"{outcome['all_within_bound']}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(outcome, indent=2) + "\n", encoding="utf-8")
