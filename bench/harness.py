"""What the intake benchmarks share: the emulator in this process with a millisecond stamp on
every message a bot creates, simulated residents who file cases and send follow-ups, the bot
processes under test, and the figures (rates, percentiles, CPU) and checks (every message
relayed once, and stored) they report.

Not a benchmark itself: ``bench/relay.py`` and ``bench/replicas.py`` use it.

How a relay is timed. The emulator runs in the benchmark's own event loop. A resident's
follow-up is stamped (``time.perf_counter``) just before the emulator creates it; the relayed
message is stamped inside the emulator at the moment the bot's ``sendMessage`` creates it in the
cadre's chat (a hook on the emulator's event bus, called synchronously). Both stamps come from
the same clock in the same process: microsecond resolution, no HTTP or polling delay in the
measurement itself.

How load is offered. Telegram lets a bot send one message a second to a private chat, and the
bot under test keeps that limit itself (``bot/limits.py``: 1.05 s per chat, not configurable),
so every resident has a cadre chat of their own and a *pool* of residents is rotated so that no
chat — the cadre's, or the resident's own, where the bot acknowledges — gets two messages within
``cooldown`` seconds. *Concurrency* N is the number of follow-ups in flight at any moment (closed
loop: a slot sends its next follow-up as soon as the previous one arrived at the cadre). With a
pool much larger than N the per-chat limit never binds and the figure is the bot's own
throughput; with a pool of exactly N and a longer cooldown ("paced") the N residents each send a
follow-up every couple of seconds, a steady load at which latency is the path's, not a queue's.
The floor bot is driven by the same code, through the same emulator, with the same pool.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from emulator.config import BotConfig, EmulatorConfig, LimitsConfig, WebhookConfig
from emulator.core import Emulator
from emulator.events import EventBus
from emulator.runner import RunningEmulator, start_emulator

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CPBOT = [sys.executable, "-m", "bot.cli"]
TOKEN = "434343:BENCH-INTAKE"
USERNAME = "cp_bench_intake_bot"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TOKEN_RE = re.compile(r"\bbm(\d+)\b")
# The filing wizard as a resident sees it in English (see tests/scale/test_replicas.py).
NEW_CASE, KIND, CATEGORY = "📝 New case", "Complaint", "Water supply"
ASK_CONTENT, RECEIVED, FILED, CARD = "Describe it", "Received 1", "was sent to", "🆕"
ACK = "Added to case"
# How the acknowledgement tells the two outcomes apart (locales/en: "… and sent to {name}." once
# the relay was sent; "… It will reach {name} shortly; …" while it is still queued).
ACK_SENT, ACK_QUEUED = "and sent to", "will reach"
RATE = 1000  # the bot's CPBOT_RATE_PER_SECOND: Telegram's paid broadcast rate, far above load
COOLDOWN = 1.1  # seconds between two messages to any one chat (Telegram: one a second)
PACED_COOLDOWN = 2.0  # a paced resident's pause; also under the bot's flood control (0.5/s)
FLOOD_NOTICE = "You are sending many messages at once"


# ---- machine and processes ------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Where the figures come from, and how busy it was when the run started."""
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "commit": commit(),
    }


def commit() -> str:
    """The checkout measured: its commit, and whether the work tree differed from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "bot", "handlers", "services", "models"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' (with local changes)' if dirty else ''}" if head else "unknown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(code: Path | None = None, **extra: str) -> dict[str, str]:
    """This process's environment without any CPBOT_ setting, plus ``extra``: the bot under
    test sees only what the benchmark gives it. ``code``: run the bot from another copy of the
    packages (a folder holding bot/, services/, ...) to measure a change before it lands."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPBOT_")}
    env.update(extra)
    if code is not None:
        env["PYTHONPATH"] = str(code.resolve())
    return env


class Child:
    """A process under test, with its own log file; stopped gracefully (SIGINT) at the end."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        env: dict[str, str],
        workdir: Path,
    ) -> None:
        self.name = name
        self.log = workdir / f"{name}.log"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def cpu_seconds(self) -> float:
        """User + system CPU time so far (the process and its waited-for children)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            return 0.0
        # After the command name: state is field 3; utime..cstime are fields 14..17.
        ticks = sum(int(v) for v in fields[11:15])
        return ticks / CLOCK_TICKS

    def profile(self, out: Path, seconds: float) -> subprocess.Popen[bytes]:
        """Sample this process with py-spy for ``seconds`` (collapsed stacks, idle frames
        left out) without pausing it; ``pip install py-spy`` into the venv first."""
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [spy, "record", "--pid", str(self.pid), "--duration", str(max(1, round(seconds)))]
        command += ["--rate", "100", "--nonblocking", "--gil", "--format", "raw", "-o", str(out)]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self, wait: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return int(self.proc.returncode)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def tracebacks(self) -> int:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.count("Traceback")


async def migrate(database_url: str) -> None:
    """The schema, as ``cpbot migrate`` makes it (Alembic), from this process: a second
    interpreter start would cost seconds."""
    from models.migrate import upgrade_async

    await upgrade_async(database_url)


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


# ---- the emulator, with a stamp on every message ----------------------------------------------


class StampingBus(EventBus):
    """The emulator's event bus, also telling ``hook`` of every event the moment it happens
    (with ``time.perf_counter()``), before any reader is scheduled."""

    def __init__(self, hook: Callable[[str, dict[str, Any], float], None]) -> None:
        super().__init__()
        self.hook = hook

    def publish(self, kind: str, **data: Any) -> None:
        self.hook(kind, data, time.perf_counter())
        super().publish(kind, **data)


Waiter = tuple[Callable[[dict[str, Any]], bool], "asyncio.Future[dict[str, Any]]"]


@dataclass
class Arrival:
    token: int
    chat_id: int
    at: float


class Watch:
    """Everything the bots create in the emulator, as it happens: relays found by their token,
    acknowledgements by the message they reply to, and waiters for wizard steps."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.relays: dict[int, asyncio.Future[Arrival]] = {}
        self.expected_chat: dict[int, int] = {}
        self.acks: dict[tuple[int, int], asyncio.Future[float]] = {}
        # What each acknowledgement said, by (chat, the message it replies to).
        self.ack_texts: dict[tuple[int, int], str] = {}
        self.arrivals: collections.Counter[int] = collections.Counter()
        self.misplaced = 0
        self.stray_tokens = 0
        self.flood_notices = 0
        self.cards = 0
        self._waiters: dict[int, list[Waiter]] = collections.defaultdict(list)
        emulator.world.events = StampingBus(self._on_event)

    def _on_event(self, kind: str, data: dict[str, Any], at: float) -> None:
        if kind not in ("message", "edit"):
            return
        message: dict[str, Any] = data["message"]
        if not message.get("from", {}).get("is_bot"):
            return
        chat_id = int(data["chat_id"])
        text = message.get("text") or message.get("caption") or ""
        if kind == "message":
            self._on_new(chat_id, message, text, at)
        waiters = self._waiters.get(chat_id)
        if waiters:
            for entry in list(waiters):
                predicate, future = entry
                if not future.done() and predicate(message):
                    future.set_result(message)
                    waiters.remove(entry)

    def _on_new(self, chat_id: int, message: dict[str, Any], text: str, at: float) -> None:
        match = TOKEN_RE.search(text)
        if match and ACK not in text:
            token = int(match.group(1))
            self.arrivals[token] += 1
            future = self.relays.get(token)
            if future is None:
                self.stray_tokens += 1
            elif self.expected_chat.get(token) != chat_id:
                self.misplaced += 1
            elif not future.done():
                future.set_result(Arrival(token, chat_id, at))
            return
        if text.startswith(CARD):
            self.cards += 1
        if FLOOD_NOTICE in text:
            self.flood_notices += 1
        replied = (message.get("reply_to_message") or {}).get("message_id")
        if replied is not None:
            ack = self.acks.get((chat_id, int(replied)))
            if ack is not None and not ack.done():
                self.ack_texts[(chat_id, int(replied))] = text
                ack.set_result(at)

    def expect_relay(self, token: int, chat_id: int) -> asyncio.Future[Arrival]:
        future: asyncio.Future[Arrival] = asyncio.get_running_loop().create_future()
        self.relays[token] = future
        self.expected_chat[token] = chat_id
        return future

    def expect_ack(self, chat_id: int, message_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.acks[(chat_id, message_id)] = future
        return future

    def expect(
        self, chat_id: int, predicate: Callable[[dict[str, Any]], bool]
    ) -> asyncio.Future[dict[str, Any]]:
        """A future for the next bot message (or edit) in ``chat_id`` that matches; register
        it before the action that causes it."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters[chat_id].append((predicate, future))
        return future


async def bench_emulator(*, webhook: bool = False) -> RunningEmulator:
    """An emulator in this process with Telegram's flood limits off (the pool keeps every chat
    at one message per ``cooldown`` for both bots; ``max_chat_rate`` in the results shows it)."""
    config = EmulatorConfig(
        bots=(BotConfig(TOKEN, USERNAME),),
        limits=LimitsConfig(enabled=False),
        webhook=WebhookConfig(retry_initial=0.1, retry_cap=1.0) if webhook else WebhookConfig(),
    )
    return await start_emulator(config)


async def wait_until(
    condition: Callable[[], bool], what: str, patience: float, children: Iterable[Child] = ()
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while not condition():
        for child in children:
            if not child.alive():
                raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
        if loop.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def polling_started(emulator: Emulator) -> bool:
    return bool(emulator.counters()["requests_per_method"].get("getUpdates"))


async def http_ready(port: int, path: str = "/healthz") -> bool:
    with contextlib.suppress(OSError):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        await writer.drain()
        head = await reader.read(64)
        writer.close()
        return b" 200 " in head
    return False


# ---- people ---------------------------------------------------------------------------------


@dataclass
class Subject:
    """One resident and the chat their follow-ups are relayed to."""

    resident_id: int
    cadre_id: int
    reply_to: int | None = None  # the message a follow-up replies to (the filing confirmation)
    free_at: float = 0.0  # perf_counter time from which this resident may send again


def people(emulator: Emulator, count: int) -> list[Subject]:
    """``count`` residents, each with a cadre (staff) person of their own."""
    subjects = []
    for n in range(count):
        cadre = emulator.create_user(f"Cadre{n}", language_code="en")
        resident = emulator.create_user(f"Resident{n}", language_code="en")
        subjects.append(Subject(int(resident["id"]), int(cadre["id"])))
    return subjects


def greet(emulator: Emulator, chat_ids: Iterable[int], text: str = "/help") -> None:
    """A person must have written to a bot before the bot may write to them."""
    for chat_id in chat_ids:
        emulator.user_send(chat_id, text=text)


def _button(message: dict[str, Any], label: str) -> str | None:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard") or []:
        for button in row:
            if button["text"].endswith(label) and "callback_data" in button:
                return str(button["callback_data"])
    return None


def _has_button(label: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: _button(m, label) is not None


def _has_text(fragment: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: fragment in (m.get("text") or "")


async def file_case(emulator: Emulator, watch: Watch, subject: Subject, patience: float) -> float:
    """The filing wizard, as a resident does it: 📝 New case, kind, category, a text, Done,
    Send. Leaves ``subject.reply_to`` at the confirmation; returns the wizard's seconds."""
    uid = subject.resident_id

    async def step(
        action: Callable[[], object], predicate: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        future = watch.expect(uid, predicate)
        action()
        return await asyncio.wait_for(future, patience)

    def press(message: dict[str, Any], label: str) -> Callable[[], object]:
        data = _button(message, label)
        assert data is not None, f"no button {label!r}"
        return lambda: emulator.user_press(uid, None, int(message["message_id"]), data)

    started = time.perf_counter()
    kinds = await step(lambda: emulator.user_send(uid, text=NEW_CASE), _has_button(KIND))
    categories = await step(press(kinds, KIND), _has_button(CATEGORY))
    await step(press(categories, CATEGORY), _has_text(ASK_CONTENT))
    prompt = await step(
        lambda: emulator.user_send(uid, text=f"no water at resident {uid}"), _has_text(RECEIVED)
    )
    summary = await step(press(prompt, "Done"), _has_button("Send"))
    confirmation = await step(press(summary, "Send"), _has_text(FILED))
    subject.reply_to = int(confirmation["message_id"])
    return time.perf_counter() - started


@dataclass
class Filing:
    cases: int
    concurrency: int
    seconds: float
    cases_per_second: float
    wizard_p50_ms: float
    wizard_p95_ms: float
    cpu_ms_per_case: float


async def file_all(
    emulator: Emulator,
    watch: Watch,
    subjects: Sequence[Subject],
    concurrency: int,
    children: Sequence[Child],
    patience: float = 120,
) -> Filing:
    """Every subject files one case, ``concurrency`` wizards at a time; then waits until each
    cadre has its case card, so the relay phase starts on a quiet bot."""
    gate = asyncio.Semaphore(concurrency)
    durations: list[float] = []
    cpu_before = sum(c.cpu_seconds() for c in children)

    async def one(subject: Subject) -> None:
        async with gate:
            durations.append(await file_case(emulator, watch, subject, patience))

    started = time.perf_counter()
    await asyncio.gather(*(one(s) for s in subjects))
    elapsed = time.perf_counter() - started
    cpu = sum(c.cpu_seconds() for c in children) - cpu_before
    await wait_until(lambda: watch.cards >= len(subjects), "every case card", patience, children)
    durations.sort()
    now = time.perf_counter()
    for subject in subjects:  # the confirmation was the last message to the resident
        subject.free_at = now + 1.1
    return Filing(
        cases=len(subjects),
        concurrency=concurrency,
        seconds=round(elapsed, 2),
        cases_per_second=round(len(subjects) / elapsed, 1),
        wizard_p50_ms=round(percentile(durations, 50) * 1000, 1),
        wizard_p95_ms=round(percentile(durations, 95) * 1000, 1),
        cpu_ms_per_case=round(cpu / len(subjects) * 1000, 2),
    )


# ---- the relay load -------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted ``values`` (0 when empty)."""
    if not values:
        return 0.0
    rank = max(1, -(-len(values) * p // 100))
    return values[min(len(values), int(rank)) - 1]


@dataclass
class Level:
    target: str
    mode: str  # "saturating" or "paced"
    concurrency: int
    pool: int
    cooldown_s: float
    window_s: float
    sent: int  # in the whole level, warm-up included
    relayed: int
    relays_per_second: float  # relays that arrived within the measured window, per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms_per_relay: float  # the bot processes' CPU time over the window, per relay
    bot_cpu_share: float  # of one core
    machine_busy: float  # share of all cores busy over the window
    stalled_s: float  # time slots waited for a rested resident (pool too small if large)
    lost: int
    extra: dict[str, Any] = field(default_factory=dict)


# Process-wide follow-up numbers: the token ``bm<n>`` in every follow-up's text.
TOKENS = itertools.count(1)


async def drive(
    emulator: Emulator,
    watch: Watch,
    subjects: Sequence[Subject],
    *,
    target: str,
    mode: str,
    concurrency: int,
    seconds: float,
    warmup: float,
    cooldown: float,
    acknowledged: bool,
    children: Sequence[Child],
    profile: Path | None = None,
    patience: float = 60,
    stagger: bool = False,
) -> Level:
    """``concurrency`` slots send follow-ups in a closed loop for ``warmup + seconds``; the
    figures cover the last ``seconds``. Each follow-up is a native reply to the resident's
    filing confirmation (when there is one) and must arrive in that resident's cadre chat;
    with ``acknowledged`` the resident's chat must also get the bot's "Added to case" reply
    before the resident may send again. With ``profile`` (a folder) each child process is
    sampled by py-spy over the window. With ``stagger`` the slots' first follow-ups are spread
    evenly over one ``cooldown`` (a steady rate from the start); without it every slot sends
    its first at once, and since each waits the same cooldown after its relay, the load stays a
    burst of ``concurrency`` follow-ups every cooldown (a herd, not a pace)."""
    queue = collections.deque(subjects)
    latencies: list[float] = []
    answered: list[float] = []  # from a follow-up to the bot's "Added to case" in that chat
    arrivals_in_window = 0
    sent = relayed = lost = unacknowledged = 0
    stalled = 0.0
    loop_start = time.perf_counter()
    window_start = loop_start + warmup
    window_end = window_start + seconds
    cpu_start: list[float] = []
    own_start: list[float] = []
    busy_start: list[tuple[float, float]] = []
    counters_before = emulator.counters()

    async def slot(index: int) -> None:
        nonlocal sent, relayed, lost, unacknowledged, stalled, arrivals_in_window
        if stagger:
            await asyncio.sleep(index * cooldown / concurrency)
        while True:
            now = time.perf_counter()
            if now >= window_end:
                return
            subject = queue.popleft()
            if subject.free_at > now:
                stalled += subject.free_at - now
                await asyncio.sleep(subject.free_at - now)
            token = next(TOKENS)
            arrival = watch.expect_relay(token, subject.cadre_id)
            text = f"follow-up bm{token}: the water is still off"
            sent_at = time.perf_counter()
            message = emulator.user_send(
                subject.resident_id, text=text, reply_to_message_id=subject.reply_to
            )
            ack = (
                watch.expect_ack(subject.resident_id, int(message["message_id"]))
                if acknowledged
                else None
            )
            sent += 1
            try:
                got = await asyncio.wait_for(arrival, patience)
            except TimeoutError:
                lost += 1
                subject.free_at = time.perf_counter() + cooldown
                queue.append(subject)
                continue
            relayed += 1
            if window_start <= got.at <= window_end:
                arrivals_in_window += 1
            if window_start <= sent_at <= window_end:
                latencies.append(got.at - sent_at)
            done_at = got.at
            if ack is not None:
                try:
                    acked_at = await asyncio.wait_for(ack, patience)
                    done_at = max(done_at, acked_at)
                    if window_start <= sent_at <= window_end:
                        answered.append(acked_at - sent_at)
                except TimeoutError:
                    unacknowledged += 1
                    done_at = time.perf_counter()
            subject.free_at = done_at + cooldown
            queue.append(subject)

    spies: list[subprocess.Popen[bytes]] = []

    async def mark_window() -> None:
        await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
        cpu_start.append(sum(c.cpu_seconds() for c in children))
        own_start.append(time.process_time())
        busy_start.append(machine_busy())
        if profile is not None:
            label = f"{target}-{mode}-{concurrency}".replace(" ", "-")
            for child in children:
                spies.append(child.profile(profile / f"{label}-{child.name}.txt", seconds))

    marker = asyncio.create_task(mark_window())
    await asyncio.gather(*(slot(i) for i in range(concurrency)))
    await marker
    for spy in spies:
        await asyncio.to_thread(spy.wait, 60)
    cpu = sum(c.cpu_seconds() for c in children) - cpu_start[0]
    own = time.process_time() - own_start[0]
    busy, total = machine_busy()
    share_busy = (busy - busy_start[0][0]) / max(1.0, total - busy_start[0][1])
    elapsed = time.perf_counter() - window_start  # the window plus the last stragglers
    # Everything else on the machine (a database server, other people's work), in cores.
    others = (busy - busy_start[0][0]) / CLOCK_TICKS - cpu - own
    latencies.sort()
    counters = emulator.counters()
    return Level(
        target=target,
        mode=mode,
        concurrency=concurrency,
        pool=len(subjects),
        cooldown_s=cooldown,
        window_s=seconds,
        sent=sent,
        relayed=relayed,
        relays_per_second=round(arrivals_in_window / seconds, 1),
        p50_ms=round(percentile(latencies, 50) * 1000, 1),
        p95_ms=round(percentile(latencies, 95) * 1000, 1),
        p99_ms=round(percentile(latencies, 99) * 1000, 1),
        max_ms=round((latencies[-1] if latencies else 0.0) * 1000, 1),
        cpu_ms_per_relay=round(cpu / max(1, arrivals_in_window) * 1000, 2),
        bot_cpu_share=round(cpu / elapsed, 2),
        machine_busy=round(share_busy, 2),
        stalled_s=round(stalled, 1),
        lost=lost,
        extra={
            "emulator_and_driver_cpu_share": round(own / elapsed, 2),
            "others_cpu_share": round(max(0.0, others) / elapsed, 2),
            "unacknowledged": unacknowledged,
            "answered_p50_ms": round(percentile(sorted(answered), 50) * 1000, 1),
            "answered_p99_ms": round(percentile(sorted(answered), 99) * 1000, 1),
            "max_chat_rate": counters["max_chat_rate"],
            "responses_429": counters["responses_429"] - counters_before["responses_429"],
        },
    )


async def run_levels(
    watch: Watch,
    subjects: Sequence[Subject],
    *,
    target: str,
    levels: Sequence[int],
    seconds: float,
    warmup: float,
    paced: bool,
    acknowledged: bool,
    children: Sequence[Child],
    profile: Path | None = None,
    saturating: bool = True,
    bursts: bool = False,
) -> list[Level]:
    """Each concurrency saturating (the whole pool), then paced (N residents), as asked. The
    paced residents start one after another, spread over the pause, so that they send at a
    steady rate; ``bursts`` starts them together instead (every pause then ends in a burst of
    N, as this benchmark did before the eleventh pass of issue 13)."""
    done = []
    for n in levels:
        modes = [("saturating", subjects, COOLDOWN)] if saturating else []
        if paced:
            modes.append(("paced", subjects[:n], PACED_COOLDOWN))
        for mode, pool, cooldown in modes:
            level = await drive(
                watch.emulator,
                watch,
                pool,
                target=target,
                mode=mode,
                concurrency=n,
                seconds=seconds,
                warmup=warmup,
                cooldown=cooldown,
                acknowledged=acknowledged,
                children=children,
                profile=profile,
                stagger=mode == "paced" and not bursts,
            )
            done.append(level)
            print(level_table([level]).splitlines()[-1], flush=True)
    return done


class Phases:
    """Seconds each set-up step took, kept in ``into``."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.last = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.into[name] = round(now - self.last, 1)
        self.last = now


@dataclass
class Run:
    """One bot set-up under load: how it was set up, what it did, and what was wrong."""

    target: str
    phases_s: dict[str, float] = field(default_factory=dict)
    filing: Filing | None = None
    levels: list[Level] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    tracebacks: int = 0


# ---- checks ----------------------------------------------------------------------------------


def relay_problems(watch: Watch, levels: Sequence[Level]) -> list[str]:
    """Every follow-up relayed exactly once, to the right chat, and nothing else."""
    problems = []
    sent = sum(level.sent for level in levels)
    lost = sum(level.lost for level in levels)
    if lost:
        problems.append(f"{lost} follow-ups not relayed in time")
    unanswered = sum(level.extra.get("unacknowledged", 0) for level in levels)
    if unanswered:
        problems.append(f"{unanswered} follow-ups the resident was not told of")
    once = sum(1 for token in watch.relays if watch.arrivals[token] == 1)
    twice = sum(1 for token in watch.relays if watch.arrivals[token] > 1)
    if once != sent or len(watch.relays) != sent:
        problems.append(f"{sent} follow-ups sent, {once} relayed exactly once")
    if twice:
        problems.append(f"{twice} follow-ups relayed more than once")
    if watch.misplaced:
        problems.append(f"{watch.misplaced} relays reached the wrong chat")
    if watch.stray_tokens:
        problems.append(f"{watch.stray_tokens} relays of unknown follow-ups")
    if watch.flood_notices:
        problems.append(f"the bot's flood control spoke {watch.flood_notices} times")
    return problems


async def stored_relays(database_url: str) -> dict[str, int]:
    """What the database holds of the benchmark's follow-ups: case events, and their outbox
    rows by status (every one must be 'sent')."""
    from sqlalchemy import text

    from models.db import Database

    db = Database.from_url(database_url)
    try:
        async with db.read() as session:
            events = (
                await session.execute(
                    text(
                        "SELECT count(*), count(DISTINCT source_message_id || ':' || "
                        "source_chat_id) FROM case_events WHERE type = 'message' "
                        "AND text LIKE 'follow-up bm%'"
                    )
                )
            ).one()
            rows = (
                await session.execute(
                    text(
                        "SELECT o.status, count(*) FROM outbox o JOIN case_events e "
                        "ON e.id = o.event_id WHERE e.text LIKE 'follow-up bm%' "
                        "GROUP BY o.status"
                    )
                )
            ).all()
    finally:
        await db.dispose()
    result = {"events": int(events[0]), "distinct_events": int(events[1])}
    result.update({f"outbox_{status}": int(n) for status, n in rows})
    return result


def storage_problems(stored: dict[str, int], sent: int) -> list[str]:
    problems = []
    if stored["events"] != sent or stored["distinct_events"] != sent:
        problems.append(f"{sent} follow-ups sent, {stored['events']} stored as case events")
    if stored.get("outbox_sent", 0) != sent or len([k for k in stored if "outbox_" in k]) != 1:
        outbox = {k: v for k, v in stored.items() if k.startswith("outbox_")}
        problems.append(f"{sent} follow-ups sent, outbox rows: {outbox}")
    return problems


# ---- seeding through the services ------------------------------------------------------------


async def seed(database_url: str, subjects: Sequence[Subject]) -> float:
    """A contact point per subject with its cadre, and the resident living there; returns the
    seconds it took (through the services, as test_replicas does)."""
    from models.db import Database
    from services.app import Services
    from services.clock import SystemClock
    from services.config import ServiceConfig
    from services.context import Context

    started = time.perf_counter()
    db = Database.from_url(database_url)
    services = Services(Context.create(db, ServiceConfig(bot_username=USERNAME), SystemClock()))
    try:
        rows = "\n".join(f"B{n:05d},Point {n},Region,Street {n},,," for n in range(len(subjects)))
        await services.points.import_csv(f"code,name,region,address,lat,lon,tz\n{rows}\n")
        points = {p.code: p.id for p in await services.points.all()}
        for n, subject in enumerate(subjects):
            cadre = await services.people.register(
                subject.cadre_id, subject.cadre_id, f"Cadre {n}", "en"
            )
            invite = await services.staff.create_invite("cadre", point_code=f"B{n:05d}")
            await services.staff.redeem(cadre.uid, invite.link.split("start=inv_", 1)[1])
            resident = await services.people.register(
                subject.resident_id, subject.resident_id, f"Resident {n}", "en"
            )
            await services.points.choose(resident.uid, points[f"B{n:05d}"])
    finally:
        await db.dispose()
    return time.perf_counter() - started


# ---- throwaway databases ----------------------------------------------------------------------


def postgres_base() -> str | None:
    return os.environ.get("CPBOT_BENCH_POSTGRES_URL") or os.environ.get("CPBOT_TEST_POSTGRES_URL")


def redis_base() -> str | None:
    return os.environ.get("CPBOT_BENCH_REDIS_URL") or os.environ.get("CPBOT_TEST_REDIS_URL")


def _with_database(url: str, name: str, driver: str = "postgresql+asyncpg") -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername=driver, database=name).render_as_string(False)


async def _postgres_admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_with_database(url, "postgres", "postgresql"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_postgres(base: str) -> str:
    """A new empty database on the server of ``base``; returns its async URL."""
    name = f"cpbot_bench_{uuid.uuid4().hex[:10]}"
    await _postgres_admin(base, f'CREATE DATABASE "{name}"')
    return _with_database(base, name)


async def drop_postgres(url: str) -> None:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    await _postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_redis(base: str, db: int) -> str:
    """The Redis URL on its own database number, so the benchmark's keys never meet a test's
    (its pub/sub wake-ups may: harmless, a sender that finds nothing goes back to sleep)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


async def clear_redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        async for key in client.scan_iter(match="cpbot:*", count=500):
            await client.delete(key)
    finally:
        await client.aclose()


# ---- output -----------------------------------------------------------------------------------


def write_report(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    path.write_text(json.dumps(report, indent=2, default=_plain) + "\n")
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"written to {shown}")


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    raise TypeError(type(value).__name__)


def level_table(levels: Sequence[Level]) -> str:
    header = (
        f"{'target':<16}{'mode':<11}{'conc':>5}{'pool':>6}{'relays/s':>10}{'p50 ms':>9}"
        f"{'p95 ms':>9}{'p99 ms':>9}{'CPU ms/relay':>13}{'bot CPU':>8}{'emu':>5}{'other':>6}"
        f"{'sent':>7}{'lost':>5}"
    )
    lines = [header, "-" * len(header)]
    for lv in levels:
        lines.append(
            f"{lv.target:<16}{lv.mode:<11}{lv.concurrency:>5}{lv.pool:>6}"
            f"{lv.relays_per_second:>10}{lv.p50_ms:>9}{lv.p95_ms:>9}{lv.p99_ms:>9}"
            f"{lv.cpu_ms_per_relay:>13}{lv.bot_cpu_share:>8}"
            f"{lv.extra['emulator_and_driver_cpu_share']:>5}{lv.extra['others_cpu_share']:>6}"
            f"{lv.sent:>7}{lv.lost:>5}"
        )
    return "\n".join(lines)


def filing_table(rows: Sequence[tuple[str, Filing]]) -> str:
    header = (
        f"{'target':<16}{'cases':>6}{'conc':>5}{'cases/s':>9}{'wizard p50 ms':>15}"
        f"{'p95 ms':>9}{'CPU ms/case':>12}"
    )
    lines = [header, "-" * len(header)]
    for name, f in rows:
        lines.append(
            f"{name:<16}{f.cases:>6}{f.concurrency:>5}{f.cases_per_second:>9}"
            f"{f.wizard_p50_ms:>15}{f.wizard_p95_ms:>9}{f.cpu_ms_per_case:>12}"
        )
    return "\n".join(lines)
