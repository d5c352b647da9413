"""What an idle bot costs: ``cpbot run`` on PostgreSQL with nothing to do, against the emulator.
After it has settled, for ``--seconds``: its CPU (share of a core), the database transactions a
second (pg_stat_database) and its log lines.

    CPBOT_TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/idle.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.broadcast import TOKEN, USERNAME  # noqa: E402


async def main(seconds: float, settle: float) -> None:
    from sqlalchemy import event

    from bot.logs import setup_logging
    from bot.runners import prepare, serve_polling
    from bot.settings import Settings
    from emulator.config import BotConfig, EmulatorConfig
    from emulator.core import Emulator
    from emulator.runner import start_emulator

    base = make_url(os.environ["CPBOT_TEST_POSTGRES_URL"])
    name = f"cpbot_idle_{os.getpid()}"
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(False)
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = base.set(database=name).render_as_string(False)
    emu = Emulator(EmulatorConfig(bots=(BotConfig(TOKEN, USERNAME),)))
    running = await start_emulator(emu)
    lines = 0

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            nonlocal lines
            lines += 1

    try:
        from models.migrate import upgrade_async

        await upgrade_async(url)
        settings = Settings(
            token=TOKEN, api_base=running.url, database_url=url, bot_username=USERNAME
        )  # type: ignore[call-arg]
        setup_logging(settings)
        logging.getLogger().addHandler(Count())
        app = await prepare(settings)
        ends = 0

        def ended(*_: object) -> None:
            nonlocal ends
            ends += 1

        for engine in {app.db.engine, *([app.sender_db.engine] if app.sender_db else [])}:
            event.listen(engine.sync_engine, "commit", ended)
            event.listen(engine.sync_engine, "rollback", ended)
        stop = asyncio.Event()
        serving = asyncio.create_task(serve_polling(app, stop))
        await asyncio.sleep(settle)
        lines_before, ends_before = lines, ends
        cpu_before = time.process_time()
        began = time.monotonic()
        await asyncio.sleep(seconds)
        spent = time.monotonic() - began
        cpu = time.process_time() - cpu_before
        stop.set()
        await serving
        print(
            f"idle for {spent:.0f} s: CPU {cpu / spent:.2%} of a core (bot and emulator), "
            f"{(ends - ends_before) / spent:.2f} database transactions a second, "
            f"{lines - lines_before} log lines",
            flush=True,
        )
    finally:
        await emu.aclose()
        await running.stop()
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--settle", type=float, default=10, help="seconds to start and settle")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.settle))
