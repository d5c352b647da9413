"""Consultations at scale: 10,000 residents invited through the emulator with its flood limits
on, 2,000 of them answering at once through the bot, and the author's results (figures,
free-text themes, charts) built over their answers.

    .venv/bin/python bench/consultations.py            # 10,000 invited, 2,000 answering
    .venv/bin/python bench/consultations.py --smoke    # 300 invited, 60 answering (CI)

The emulator runs here; the real ``cpbot run`` process (SQLite) opens the consultation on its
tick and fans the invitation out at ``CPBOT_RATE_PER_SECOND=1000`` against the emulator's 1,200
a second (Telegram's paid broadcasts). Then 2,000 residents answer at once, each as a person
does it: ✍️ Answer, an option, a sentence of their own, Submit (four updates each). Last, a
separate process builds the results the author sees (text, themes and charts) over the
answers, twice: the first time with its imports (scikit-learn, jieba, matplotlib), the second
warm.

Reported: the fan-out's rate, losses and duplicates; CPU per invitation and per answer in the
bot process (CPU, not wall: the machine is shared); answers stored (must equal those given);
the results' CPU. Prints a table and writes bench/results/consultations.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.broadcast import TOKEN, USERNAME, cpu_seconds, prepare_db, seed  # noqa: E402
from bench.harness import Watch, _button, machine  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "consultations.json"
FORM = """
title = {{ zh_Hans = "新华街专项资金怎么用", en = "How to spend the Xinhua Street fund" }}
intro = {{ zh_Hans = "我们有**20万元**。", en = "We have **200,000 yuan**." }}
closes = "{closes}"

[[questions]]
kind = "single"
text = {{ zh_Hans = "先做什么？", en = "What first?" }}
options = {{ zh_Hans = ["路灯", "长椅", "树木"], en = ["Lamps", "Benches", "Trees"] }}

[[questions]]
kind = "text"
required = false
text = {{ zh_Hans = "其他意见？", en = "Anything else?" }}
"""
OPINIONS = (
    "The street lamps near the school are broken, it is dark at night",
    "Please repair the lamps by the school gate",
    "More benches in the park for old people",
    "We need benches near the bus stop",
    "Plant trees along Xinhua Road for shade",
    "学校门口的路灯坏了，晚上很黑",
    "公园里需要更多长椅",
    "希望在新华路种树",
)


async def create(url: str) -> int:
    """The office's consultation to everyone (what `cpbot consult send` does), open at once."""
    from models.db import Database
    from services.app import Services
    from services.config import ServiceConfig
    from services.consultations import parse_form
    from services.context import Context

    db = Database.from_url(url)
    services = Services(Context.create(db, ServiceConfig(bot_username=USERNAME)))
    now = services.ctx.clock.now()
    closes = (now + timedelta(days=10)).strftime("%Y-%m-%d 18:00")
    form = parse_form(FORM.format(closes=closes), "zh_Hans", "Asia/Shanghai", now)
    cid = await services.consultations.create(None, form)
    await db.dispose()
    return cid


async def count(url: str, table: str) -> int:
    from sqlalchemy import text

    from models.db import Database

    db = Database.from_url(url)
    async with db.read() as session:
        found = int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
    await db.dispose()
    return found


def labels() -> dict[str, dict[str, str]]:
    from services.texts import Texts

    texts = Texts()
    return {
        loc: {
            "answer": texts(loc, "consult.btn_answer"),
            "submit": texts(loc, "consult.btn_submit"),
            "option": "Lamps" if loc == "en" else "路灯",
            "done": texts(loc, "consult.submitted_new"),
        }
        for loc in ("en", "zh_Hans")
    }


async def answer(
    emu: Any, watch: Watch, uid: int, words: dict[str, str], text: str, patience: float
) -> float:
    """One resident answers as a person does: ✍️ Answer, an option, their words, Submit."""
    started = time.perf_counter()

    def has(label: str) -> Any:
        return lambda m: _button(m, label) is not None

    invite = next(m for m in reversed(emu.history(uid)) if _button(m, words["answer"]) is not None)
    future = watch.expect(uid, has(words["option"]))
    emu.user_press(uid, None, invite["message_id"], _button(invite, words["answer"]))
    question = await asyncio.wait_for(future, patience)
    future = watch.expect(uid, lambda m: not has(words["option"])(m))
    emu.user_press(uid, None, question["message_id"], _button(question, words["option"]))
    await asyncio.wait_for(future, patience)
    future = watch.expect(uid, has(words["submit"]))
    emu.user_send(uid, text=text)
    summary = await asyncio.wait_for(future, patience)
    done = re.sub(r"<[^>]+>", "", words["done"])[:20]
    future = watch.expect(uid, lambda m: done in (m.get("text") or ""))
    emu.user_press(uid, None, summary["message_id"], _button(summary, words["submit"]))
    await asyncio.wait_for(future, patience)
    return time.perf_counter() - started


async def run(invited: int, answering: int, patience: float) -> dict[str, Any]:
    from emulator.config import BotConfig, EmulatorConfig, LimitsConfig
    from emulator.core import Emulator
    from emulator.runner import start_emulator

    emu = Emulator(
        EmulatorConfig(
            bots=(BotConfig(TOKEN, USERNAME),), limits=LimitsConfig(global_per_second=1200)
        )
    )
    running = await start_emulator(emu)
    watch = Watch(emu)
    people = [emu.create_user(f"R{i}") for i in range(invited)]
    state = emu.world.bot(None)
    for person in people:
        emu.world.conversation(state, emu.world.chats[person["id"]]).started = True
    tg_ids = [int(p["id"]) for p in people]
    words = labels()
    out: dict[str, Any] = {"invited": invited, "answering": answering}
    with tempfile.TemporaryDirectory(prefix="cpbot-bench-") as folder:
        workdir = Path(folder)
        url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CPBOT_TOKEN": TOKEN,
            "CPBOT_API_BASE": running.url,
            "CPBOT_DATABASE_URL": url,
            "CPBOT_BOT_USERNAME": USERNAME,
            "CPBOT_RATE_PER_SECOND": "1000",
            "CPBOT_OUTBOX_POLL_SECONDS": "0.5",
            "CPBOT_LOG_LEVEL": "ERROR",
        }
        db_path = await asyncio.to_thread(prepare_db, workdir, env)
        await asyncio.to_thread(seed, db_path, tg_ids)
        cid = await create(url)
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=workdir, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            out["fanout"] = await _fanout(emu, bot.pid, invited, patience)
            out["answers"] = await _answers(emu, watch, bot.pid, tg_ids, answering, words, patience)
        finally:
            bot.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(bot.wait(), 30)
            except TimeoutError:
                bot.kill()
                await bot.wait()
        out["answers"]["stored_submissions"] = await count(url, "consult_submissions")
        out["answers"]["stored_roll"] = await count(url, "consult_roll")
        child = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, __file__, "--results", url, str(cid)],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        out["results"] = json.loads(child.stdout.strip().splitlines()[-1])
    counters = emu.counters()
    out["fanout"]["max_global_rate"] = counters["max_global_rate"]
    out["fanout"]["responses_429"] = counters["responses_429"]
    await emu.aclose()
    await running.stop()
    return out


async def _fanout(emu: Any, pid: int, invited: int, patience: float) -> dict[str, Any]:
    """From the first invitation to the last: rate, CPU per invitation, losses, duplicates."""
    first = last = cpu_first = cpu_last = None
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        total = emu.world.counters.messages_total
        if total and first is None:
            first, cpu_first = time.monotonic(), cpu_seconds(pid)
        if total >= invited:
            last, cpu_last = time.monotonic(), cpu_seconds(pid)
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(2)  # anything sent twice would come now
    per_chat = emu.counters()["messages_per_chat"]
    reached = sum(1 for v in per_chat.values() if v >= 1)
    duplicates = sum(max(v - 1, 0) for v in per_chat.values())
    seconds = (last - first) if first is not None and last is not None else None
    cpu = (cpu_last - cpu_first) if cpu_first is not None and cpu_last is not None else None
    return {
        "seconds": round(seconds, 2) if seconds else None,
        "rate_per_second": round((invited - 1) / seconds, 1) if seconds else None,
        "reached": reached,
        "lost": invited - reached,
        "duplicates": duplicates,
        "bot_cpu_ms_per_invitation": round(cpu * 1000 / (invited - 1), 2) if cpu else None,
    }


async def _answers(
    emu: Any,
    watch: Watch,
    pid: int,
    tg_ids: list[int],
    answering: int,
    words: dict[str, dict[str, str]],
    patience: float,
) -> dict[str, Any]:
    """``answering`` residents at once (every one starts together)."""
    rng = random.Random(15)
    chosen = rng.sample(tg_ids, answering)
    cpu_before, started = cpu_seconds(pid) or 0.0, time.monotonic()
    runs = [
        answer(
            emu,
            watch,
            uid,
            words["zh_Hans" if uid % 3 == 0 else "en"],
            f"{rng.choice(OPINIONS)} ({n})",
            patience,
        )
        for n, uid in enumerate(chosen)
    ]
    outcome = await asyncio.gather(*runs, return_exceptions=True)
    seconds = time.monotonic() - started
    cpu = (cpu_seconds(pid) or 0.0) - cpu_before
    done = [s for s in outcome if isinstance(s, float)]
    failed = [repr(e)[:200] for e in outcome if not isinstance(e, float)]
    done.sort()
    return {
        "answered": len(done),
        "failed": len(failed),
        "first_failures": failed[:3],
        "seconds": round(seconds, 1),
        "answers_per_second": round(len(done) / seconds, 1) if seconds else None,
        "bot_cpu_ms_per_answer": round(cpu * 1000 / max(len(done), 1), 1),
        "bot_cpu_ms_per_update": round(cpu * 1000 / max(len(done) * 4, 1), 2),
        "p50_seconds_per_resident": round(done[len(done) // 2], 2) if done else None,
        "p95_seconds_per_resident": round(done[int(len(done) * 0.95)], 2) if done else None,
    }


async def results_child(url: str, cid: int) -> None:
    """The author's results over the stored answers: CPU of the first build (with imports)
    and of a second, warm one."""
    from models.db import Database
    from services.app import Services
    from services.config import ServiceConfig
    from services.context import Context

    db = Database.from_url(url)
    services = Services(Context.create(db, ServiceConfig(bot_username=USERNAME)))
    report: dict[str, Any] = {}
    for name in ("first", "warm"):
        cpu, wall = time.process_time(), time.perf_counter()
        view = await services.consultations.results_view(None, cid, "en", charts=True)
        report[f"{name}_cpu_seconds"] = round(time.process_time() - cpu, 2)
        report[f"{name}_wall_seconds"] = round(time.perf_counter() - wall, 2)
    report["themes"] = len(view.figures["questions"][1].get("themes") or [])
    report["charts"] = len(view.charts)
    report["text_answers"] = view.figures["questions"][1]["answered"]
    await db.dispose()
    print(json.dumps(report))


def table(results: dict[str, Any]) -> str:
    f, a, r = results["fanout"], results["answers"], results["results"]
    return "\n".join(
        [
            f"invited {results['invited']}, answering {results['answering']}",
            f"fan-out   {f['seconds']} s  {f['rate_per_second']}/s (configured 1000, emulator "
            f"1200)  lost {f['lost']}  dup {f['duplicates']}  429s {f['responses_429']}  "
            f"bot CPU {f['bot_cpu_ms_per_invitation']} ms/invitation",
            f"answers   {a['answered']} answered ({a['failed']} failed) in {a['seconds']} s  "
            f"{a['answers_per_second']}/s  stored {a['stored_submissions']} "
            f"(roll {a['stored_roll']})  bot CPU {a['bot_cpu_ms_per_answer']} ms/answer "
            f"({a['bot_cpu_ms_per_update']} ms/update)  p50/p95 per resident "
            f"{a['p50_seconds_per_resident']}/{a['p95_seconds_per_resident']} s",
            f"results   first {r['first_cpu_seconds']} s CPU ({r['first_wall_seconds']} s wall), "
            f"warm {r['warm_cpu_seconds']} s CPU ({r['warm_wall_seconds']} s wall); "
            f"{r['text_answers']} texts -> {r['themes']} themes, {r['charts']} chart(s)",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="300 invited, 60 answering")
    parser.add_argument("--invited", type=int, default=10_000)
    parser.add_argument("--answering", type=int, default=2_000)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--results", nargs=2, metavar=("URL", "ID"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.results:
        asyncio.run(results_child(args.results[0], int(args.results[1])))
        return
    invited, answering = (300, 60) if args.smoke else (args.invited, args.answering)
    began = machine()
    results = asyncio.run(run(invited, answering, patience=900))
    results["machine"] = began
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(table(results))


if __name__ == "__main__":
    main()
