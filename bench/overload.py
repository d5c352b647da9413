"""Overload: many residents send follow-ups all at once, several times what the bot can take
in the time, against the real ``cpbot run`` (SQLite; PostgreSQL when its URL is set).

Every follow-up must be relayed to its resident's cadre exactly once and in the order it was
sent, stored as a case event with its outbox row 'sent', and acknowledged to the resident
("Added to case"): 0 lost, 0 duplicated, everyone answered. An acknowledgement that says
"sent" must come after its relay reached the cadre ("queued" otherwise). The bot takes
``CPBOT_INTAKE_CONCURRENCY`` updates at a time; the rest wait in the emulator's queue.

Whether intake starves the sender shows in the relays' timeline while the backlog drains:
how many reached the cadres in each second, the slowest full second and the longest pause
between two relays (figures for docs/performance.md, not checked: they are wall-clock).

    .venv/bin/python bench/overload.py                      # 60 residents x 8 follow-ups
    .venv/bin/python bench/overload.py --residents 200 --each 10 --targets sqlite postgres
    .venv/bin/python bench/overload.py --smoke              # what tests/scale runs

Prints the figures and writes bench/results/overload.json.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    ACK_QUEUED,
    ACK_SENT,
    CPBOT,
    RATE,
    RESULTS,
    TOKEN,
    USERNAME,
    Arrival,
    Child,
    Watch,
    bench_emulator,
    clean_env,
    create_postgres,
    drop_postgres,
    file_all,
    greet,
    machine,
    migrate,
    people,
    polling_started,
    postgres_base,
    seed,
    storage_problems,
    stored_relays,
    wait_until,
)


@dataclass
class Outcome:
    target: str
    residents: int
    each: int
    offered: int = 0
    offered_in_s: float = 0.0
    relayed_once: int = 0
    duplicated: int = 0
    lost: int = 0
    out_of_order: int = 0
    acknowledged: int = 0
    seconds_to_last_relay: float = 0.0
    relays_per_second: float = 0.0
    cpu_ms_per_follow_up: float = 0.0
    # What residents were told: "sent" (the relay had gone) or "queued" (still on its way),
    # and "sent" said before the relay reached the cadre (a false word: must be 0).
    told_sent: int = 0
    told_queued: int = 0
    told_sent_before_relay: int = 0
    # The drain's timeline: relays per second from the first offer; the slowest full second
    # between the first relay and the last, and the longest pause between two relays.
    relays_each_second: list[int] = field(default_factory=list)
    first_relay_s: float = 0.0
    slowest_second: int = 0
    longest_pause_s: float = 0.0
    stored: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


async def overload(
    target: str,
    residents: int,
    each: int,
    *,
    patience: float = 300,
    concurrency: int | None = None,
) -> Outcome:
    """Seed ``residents`` (each with a cadre), file a case for each through the wizard, then
    offer ``residents * each`` follow-ups at once and check every one of them."""
    outcome = Outcome(target, residents, each)
    running = await bench_emulator()
    emulator = running.emulator
    watch = Watch(emulator)
    subjects = people(emulator, residents)
    with tempfile.TemporaryDirectory(prefix="cpbot-overload-") as tmp:
        workdir = Path(tmp)
        if target == "sqlite":
            url = f"sqlite+aiosqlite:///{workdir / 'overload.sqlite3'}"
        else:
            base = postgres_base()
            assert base is not None, "no PostgreSQL URL"
            url = await create_postgres(base)
        extra = {"CPBOT_INTAKE_CONCURRENCY": str(concurrency)} if concurrency else {}
        env = clean_env(
            CPBOT_TOKEN=TOKEN,
            CPBOT_API_BASE=running.url,
            CPBOT_DATABASE_URL=url,
            CPBOT_BOT_USERNAME=USERNAME,
            CPBOT_DEFAULT_LOCALE="en",
            CPBOT_RATE_PER_SECOND=str(RATE),
            CPBOT_LOG_LEVEL="WARNING",
            **extra,
        )
        bot: Child | None = None
        try:
            await migrate(url)
            await seed(url, subjects)
            greet(emulator, (s.cadre_id for s in subjects))
            bot = Child("cpbot", [*CPBOT, "run"], env, workdir)
            await wait_until(lambda: polling_started(emulator), "polling", patience, [bot])
            await wait_until(
                lambda: emulator.counters()["messages_total"] >= len(subjects),
                "answers to /help",
                patience,
                [bot],
            )
            await file_all(emulator, watch, subjects, min(20, residents), [bot], patience)
            await asyncio.sleep(1.2)  # the confirmations' per-chat second has passed
            cpu_before = bot.cpu_seconds()
            order: dict[int, list[int]] = collections.defaultdict(list)
            relays = []
            acks = []
            ack_keys: list[tuple[int, int]] = []
            token = 0
            started = time.perf_counter()
            for round_ in range(each):  # round by round: each resident's follow-ups in order
                for subject in subjects:
                    token += 1
                    relays.append(watch.expect_relay(token, subject.cadre_id))
                    order[subject.cadre_id].append(token)
                    message = emulator.user_send(
                        subject.resident_id,
                        text=f"follow-up bm{token}: round {round_ + 1}",
                        reply_to_message_id=subject.reply_to,
                    )
                    key = (subject.resident_id, int(message["message_id"]))
                    ack_keys.append(key)
                    acks.append(watch.expect_ack(*key))
            outcome.offered = token
            outcome.offered_in_s = round(time.perf_counter() - started, 3)
            done, _ = await asyncio.wait(relays + acks, timeout=patience)
            last = max((f.result().at for f in relays if f in done), default=started)
            outcome.seconds_to_last_relay = round(last - started, 2)
            outcome.relays_per_second = round(
                sum(1 for f in relays if f in done) / max(last - started, 1e-6), 1
            )
            outcome.acknowledged = sum(1 for f in acks if f in done)
            await asyncio.sleep(1.0)  # a duplicate would show up now
            outcome.cpu_ms_per_follow_up = round(
                (bot.cpu_seconds() - cpu_before) / max(token, 1) * 1000, 2
            )
            arrivals_in_chat: dict[int, list[tuple[float, int]]] = collections.defaultdict(list)
            for f in relays:
                if f in done:
                    arrival = f.result()
                    arrivals_in_chat[arrival.chat_id].append((arrival.at, arrival.token))
            for chat_id, tokens in order.items():
                seen = [t for _, t in sorted(arrivals_in_chat.get(chat_id, []))]
                if seen != [t for t in tokens if t in seen]:
                    outcome.out_of_order += 1
            told(outcome, watch, relays, acks, ack_keys)
            timeline(outcome, [f.result().at - started for f in relays if f in done])
        finally:
            if bot is not None:
                bot.stop()
                if bot.tracebacks():
                    outcome.problems.append(f"{bot.tracebacks()} tracebacks in the bot's log")
                    print(bot.tail(60), file=sys.stderr)
            await emulator.aclose()
            await running.stop()
        try:
            outcome.stored = await stored_relays(url)
        finally:
            if target == "postgres":
                await drop_postgres(url)
    if outcome.told_sent_before_relay:
        outcome.problems.append(
            f"{outcome.told_sent_before_relay} residents told 'sent' before the relay was sent"
        )
    outcome.relayed_once = sum(1 for t in watch.relays if watch.arrivals[t] == 1)
    outcome.duplicated = sum(1 for t in watch.relays if watch.arrivals[t] > 1)
    outcome.lost = sum(1 for t in watch.relays if watch.arrivals[t] == 0)
    if outcome.lost:
        outcome.problems.append(f"{outcome.lost} follow-ups lost")
    if outcome.duplicated:
        outcome.problems.append(f"{outcome.duplicated} follow-ups relayed twice")
    if outcome.out_of_order:
        outcome.problems.append(f"{outcome.out_of_order} cadre chats got follow-ups out of order")
    if outcome.acknowledged != outcome.offered:
        unanswered = outcome.offered - outcome.acknowledged
        outcome.problems.append(f"{unanswered} follow-ups not acknowledged")
    if watch.misplaced or watch.stray_tokens:
        outcome.problems.append(f"{watch.misplaced} misplaced, {watch.stray_tokens} stray relays")
    outcome.problems += storage_problems(outcome.stored, outcome.offered)
    return outcome


def told(
    outcome: Outcome,
    watch: Watch,
    relays: list[asyncio.Future[Arrival]],
    acks: list[asyncio.Future[float]],
    keys: list[tuple[int, int]],
) -> None:
    """Count what the acknowledgements said, and every "sent" that came before its relay."""
    for relay, ack, key in zip(relays, acks, keys, strict=True):
        if not ack.done():
            continue
        text = watch.ack_texts.get(key, "")
        if ACK_SENT in text:
            outcome.told_sent += 1
            if not relay.done() or relay.result().at > ack.result():
                outcome.told_sent_before_relay += 1
        elif ACK_QUEUED in text:
            outcome.told_queued += 1


def timeline(outcome: Outcome, arrivals: list[float]) -> None:
    """Relays per second since the offer began, the slowest full second between the first
    relay and the last, and the longest pause between two relays."""
    if not arrivals:
        return
    arrivals.sort()
    seconds = [0] * (int(arrivals[-1]) + 1)
    for at in arrivals:
        seconds[int(at)] += 1
    outcome.relays_each_second = seconds
    outcome.first_relay_s = round(arrivals[0], 3)
    full = seconds[int(arrivals[0]) + 1 : int(arrivals[-1])]
    outcome.slowest_second = min(full) if full else len(arrivals)
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    outcome.longest_pause_s = round(max(gaps, default=0.0), 3)


async def main(args: argparse.Namespace) -> int:
    report: dict[str, Any] = {"benchmark": "overload", "machine": machine(), "runs": []}
    ok = True
    for target in args.targets:
        if target == "postgres" and postgres_base() is None:
            print("postgres: skipped (CPBOT_TEST_POSTGRES_URL unset)")
            continue
        outcome = await overload(
            target,
            args.residents,
            args.each,
            concurrency=args.concurrency,
            patience=args.patience,
        )
        report["runs"].append(asdict(outcome))
        ok = ok and not outcome.problems
        print(json.dumps(asdict(outcome), indent=2), flush=True)
    out = RESULTS / ("overload.smoke.json" if args.smoke else "overload.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if ok else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=["sqlite"], choices=["sqlite", "postgres"])
    parser.add_argument("--residents", type=int, default=60)
    parser.add_argument("--each", type=int, default=8, help="follow-ups per resident")
    parser.add_argument("--concurrency", type=int, help="CPBOT_INTAKE_CONCURRENCY")
    parser.add_argument(
        "--patience",
        type=float,
        default=300,
        help="seconds to wait for every relay (raise it with the load: ~residents*each/150)",
    )
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    if args.smoke:
        args.residents, args.each = 12, 4
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
