"""One policy notice to 10,000 residents: the real ``cpbot run`` process against the emulator
over HTTP, with its flood limits on — killed half-way and restarted, through a storm of 429s,
with residents who blocked the bot before and during the broadcast.

The emulator's counters and histories prove it: every reachable resident got the notice
exactly once, in their language; nobody who blocked the bot got it and each of them is marked;
no limit was exceeded; every request was within the Bot API.

Pace: the bot sends 400 a second (emulator limit 500), so the 10,000 take about 25 s.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from emulator.runner import RunningEmulator
from tests.e2e.conftest import BotProcess, Phone
from tests.harness import POINTS_CSV

ROOT = Path(__file__).resolve().parents[2]
RESIDENTS = 10_000
BLOCKED_BEFORE = 30  # blocked the bot before the notice: skipped, counted as blocked
BLOCKED_DURING = 40  # blocked it while the notice was on its way: their rows die with a 403
RATE = 400

# `cpbot run`, with the notices tick in the scheduler and the sender's "edit" payload, for as
# long as scheduler/setup.py and bot/sender.py do not carry them yet (both step aside then).
RUN = """
import sys
from bot.cli import entry
sys.exit(entry(["run"]))
"""

EN = "Water is off on Tuesday from 9:00 to 12:00."
ZH = "周二9:00至12:00停水。"


def start(process: BotProcess) -> None:
    process.proc = subprocess.Popen(
        [sys.executable, "-c", RUN],
        cwd=process.workdir,
        env=process.env,
        stdout=process.log.open("ab"),
        stderr=subprocess.STDOUT,
    )


class Db:
    """The bot's SQLite file, read (and seeded) from the test, as an operator could."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.path, timeout=30) as conn:
            return conn.execute(sql, args).fetchall()

    def one(self, sql: str, *args: Any) -> Any:
        return self(sql, *args)[0][0]

    def seed(self, tg_ids: list[int]) -> None:
        """Residents straight into the tables: users and their contact point (half each)."""
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        points = dict(self("SELECT code, id FROM contact_points"))
        with sqlite3.connect(self.path, timeout=30) as conn:
            conn.executemany(
                "INSERT INTO users (tg_id, chat_id, name, locale, privacy_accepted_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(tg, tg, f"Resident {i}", locale_of(i), now, now) for i, tg in enumerate(tg_ids)],
            )
            conn.execute(
                "INSERT INTO residencies (user_id, contact_point_id, since)"
                " SELECT id, CASE WHEN id % 2 = 0 THEN ? ELSE ? END, ? FROM users"
                " WHERE tg_id >= ? AND tg_id <= ?",
                (points["XH01"], points["JH02"], now, min(tg_ids), max(tg_ids)),
            )

    def sent(self) -> int:
        return int(
            self.one(
                "SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'notice1:%' AND status = 'sent'"
            )
        )


def explain(
    wrong: dict[int, int], db: Db, emu: Any, before: set[int], during: set[int], log: str
) -> str:
    """What the database and the emulator know about residents who got the wrong count."""
    lines = [f"{len(wrong)} residents with the wrong number of messages"]
    for tg, count in list(wrong.items())[:5]:
        rows = db(
            "SELECT o.id, o.status, o.attempts, o.last_error, o.sent_message_id, o.locked_by"
            " FROM outbox o JOIN users u ON u.id = o.recipient_user_id WHERE u.tg_id = ?",
            tg,
        )
        sent = [(m["message_id"], m["date"]) for m in emu.history(tg) if m["from"]["is_bot"]]
        lines.append(
            f"{tg}: {count} messages {sent}; blocked before={tg in before} during={tg in during};"
            f" rows {rows}"
        )
    return "\n".join(lines) + "\n" + log[-3000:]


async def quiet(emu: Any, calm: float = 0.5) -> None:
    """Wait until the emulator has answered every request that reached it."""
    seen = -1
    while (now := sum(emu.counters()["requests_per_method"].values())) != seen:
        seen = now
        await asyncio.sleep(calm)


def locale_of(i: int) -> str:
    return "zh_Hans" if i % 3 == 0 else "en"


async def until(
    what: Callable[[], bool], timeout: float, describe: Callable[[], str] = lambda: ""
) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting: {describe()}")
        await asyncio.sleep(0.1)


@pytest.mark.timeout(420)
async def test_a_notice_reaches_ten_thousand_residents_exactly_once(
    emulator: RunningEmulator, make_bot: Callable[..., BotProcess], tmp_path: Path
) -> None:
    emu = emulator.emulator
    emu.set_limits(global_per_second=500)
    began = time.monotonic()

    # A county: three points, 10,000 residents (emulator people and rows in the database).
    admin = Phone(emu, emu.create_user("Zhou", "Min", language_code="en"))
    process = make_bot(
        CPBOT_RATE_PER_SECOND=str(RATE),
        CPBOT_ADMIN_IDS=str(admin.id),
        CPBOT_OUTBOX_POLL_SECONDS="0.5",
        CPBOT_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    (tmp_path / "points.csv").write_text(POINTS_CSV, encoding="utf-8")
    imported = process.cli("points", "import", "points.csv")  # also creates the database
    assert imported.returncode == 0, imported.stderr
    # They pressed Start long ago (a /start each would be 10,000 updates): the bot may write.
    people = [emu.create_user(f"R{i}", language_code="en", started=True) for i in range(RESIDENTS)]
    tg_ids = [int(p["id"]) for p in people]
    db = Db(tmp_path / "e2e.sqlite3")
    db.seed(tg_ids)
    seeded = time.monotonic() - began
    assert db.one("SELECT count(*) FROM residencies") == RESIDENTS

    start(process)
    try:
        admin.send("/start")
        await admin.press("I agree")
        await admin.wait_text("Welcome", timeout=30)
        # Some residents blocked the bot before: the bot hears it and will skip them.
        before = tg_ids[100 : 100 + BLOCKED_BEFORE]
        for tg in before:
            emu.user_block_bot(tg)
        await until(
            lambda: (
                db.one("SELECT count(*) FROM users WHERE blocked_at IS NOT NULL") == BLOCKED_BEFORE
            ),
            30,
        )

        # The administrator composes it in the chat, in English and Chinese, to everyone.
        admin.send("/notice")
        await admin.wait_text("Send the text of the notice")
        admin.send(EN)
        await admin.press("Add 中文")
        await admin.wait_text("Send the notice's text in 中文")
        admin.send(ZH)
        await admin.wait_text("The notice is ready in: 中文, English")
        await admin.press("Next")
        await admin.wait_text("Who should receive it?")
        await admin.press("Everyone in my area")
        await admin.press("Now")
        summary = await admin.wait_text("Check before sending")
        assert f"Residents: {RESIDENTS - BLOCKED_BEFORE}" in summary["text"], summary["text"]
        assert f"and {BLOCKED_BEFORE} who blocked the bot" in summary["text"]
        emu.reset_counters()
        await admin.press("✅ Send")
        started = time.monotonic()

        # Half-way: Telegram starts failing, so nothing is in limbo; then the process dies.
        def delivered() -> int:
            per_chat = emu.counters()["messages_per_chat"]
            return sum(n for chat, n in per_chat.items() if int(chat) != admin.id)

        await until(lambda: delivered() >= RESIDENTS // 2, 120, lambda: f"{delivered()} delivered")
        emu.add_fault("sendMessage", "error", status=502)
        await until(lambda: db.sent() == delivered(), 30, lambda: f"{db.sent()} vs {delivered()}")
        await asyncio.sleep(0.3)
        assert db.sent() == delivered()
        phase_429 = {"first half": emu.counters()["responses_429"]}
        process.kill()
        # Requests it had sent may still wait in the emulator's socket: let them meet the fault
        # too (Telegram, too, would carry out what reached it before a crash).
        await quiet(emu)
        at_kill = delivered()
        cursor_at_kill = db.one("SELECT cursor FROM notices WHERE id = 1")
        # Its leases would run out in a minute; as if that minute had passed:
        db("UPDATE outbox SET locked_until = '2000-01-01 00:00:00.000000' WHERE status = 'sending'")
        # Residents whose notice is queued block the bot while it is down.
        during = [
            int(tg)
            for (tg,) in db(
                "SELECT u.tg_id FROM outbox o JOIN users u ON u.id = o.recipient_user_id"
                " WHERE o.dedupe_key LIKE 'notice1:%' AND o.status IN ('pending', 'sending')"
                " ORDER BY o.id DESC LIMIT ?",
                BLOCKED_DURING,
            )
        ]
        assert len(during) == BLOCKED_DURING
        for tg in during:
            emu.user_block_bot(tg)
        emu.faults.clear()
        start(process)

        # Back up; then a storm of 429s: Telegram allows only 40 a second for a while.
        await until(lambda: delivered() >= at_kill + 500, 120, lambda: f"{delivered()} delivered")
        phase_429["restart"] = emu.counters()["responses_429"] - sum(phase_429.values())
        peak_before_storm = emu.counters()["max_global_rate"]
        emu.set_limits(global_per_second=40)
        await asyncio.sleep(2.5)
        emu.set_limits(global_per_second=500)
        phase_429["storm"] = emu.counters()["responses_429"] - sum(phase_429.values())
        assert phase_429["storm"] > 0

        # The end: the author's message becomes the report, and a ping says it is done.
        reachable = RESIDENTS - BLOCKED_BEFORE - BLOCKED_DURING
        await until(lambda: delivered() >= reachable, 180, lambda: f"{delivered()} delivered")
        await admin.wait_text("Notice #1 is finished", timeout=60)
        elapsed = time.monotonic() - started
    except AssertionError:
        print(process.output()[-5000:])
        raise

    # Exactly once for every reachable resident, in their language; never to the blocked.
    counters = emu.counters()
    per_chat = {int(k): v for k, v in counters["messages_per_chat"].items()}
    blocked = set(before) | set(during)
    wrong = {
        tg: per_chat.get(tg, 0)
        for tg in tg_ids
        if per_chat.get(tg, 0) != (0 if tg in blocked else 1)
    }
    assert not wrong, explain(wrong, db, emu, set(before), set(during), process.output())
    for i, tg in enumerate(tg_ids):
        if tg not in blocked:
            (message,) = emu.history(tg)
            words = ZH if locale_of(i) == "zh_Hans" else EN
            assert words in message["text"], message["text"]
            button = message["reply_markup"]["inline_keyboard"][0][0]
            assert button["text"] == ("✅ 已阅" if locale_of(i) == "zh_Hans" else "✅ Read")
    # The database agrees, and only those who blocked the bot are marked.
    marked = {int(tg) for (tg,) in db("SELECT tg_id FROM users WHERE blocked_at IS NOT NULL")}
    assert marked == blocked
    statuses = dict(
        db("SELECT status, count(*) FROM outbox WHERE dedupe_key LIKE 'notice1:%' GROUP BY status")
    )
    assert statuses == {"sent": reachable, "dead": BLOCKED_DURING}
    notice = db("SELECT status, queued, skipped_blocked, sent, blocked FROM notices WHERE id = 1")[
        0
    ]
    assert notice == ("sent", RESIDENTS - BLOCKED_BEFORE, BLOCKED_BEFORE, reachable, BLOCKED_DURING)
    assert 0 < cursor_at_kill < max(db.one("SELECT max(user_id) FROM residencies"), 1)
    report = next(
        m for m in admin.bot_messages() if (m.get("text") or "").startswith("✅ Notice #1")
    )
    assert f"Reached {reachable} of {RESIDENTS}" in report["text"], report["text"]
    assert f"Blocked the bot: {BLOCKED_BEFORE + BLOCKED_DURING}" in report["text"]
    # No limit exceeded: at most one a second per chat, 500 a second in all. Every 429 was
    # handled (rescheduled, the notice still went out exactly once). Outside the storm the bot
    # may still meet a few: its limiter admits a full second's worth at once after a start or
    # a pause, and on two busy cores those requests reach the emulator bunched (see
    # docs/notices.md, "Pacing"); they are reported, not hidden.
    assert counters["max_chat_rate"] <= 1
    assert peak_before_storm <= 500
    # Changing the limits live starts the emulator's admission window afresh, so around each
    # change its peak counter may hold the old second's messages plus the new limit's.
    assert counters["max_global_rate"] <= 500 + 40
    phase_429["end"] = counters["responses_429"] - sum(phase_429.values())
    # Updates the killed process had asked for (its long poll still open at the emulator) are
    # served again to the new one: at most the 40 blocks made while it was down, all harmless.
    assert counters["duplicate_deliveries"] <= BLOCKED_DURING
    assert emu.violations == []
    assert process.stop() == 0
    output = process.output()
    assert "Traceback" not in output, output[-3000:]
    print(
        f"\nseeded {RESIDENTS} in {seeded:.1f}s; delivered {reachable} in {elapsed:.1f}s "
        f"({reachable / elapsed:.0f}/s with a kill and a 429 storm); "
        f"max global rate {counters['max_global_rate']}/s; 429s {phase_429}"
    )
