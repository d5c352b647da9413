"""A province in miniature: two webhook replicas and two workers on PostgreSQL and Redis, fed
by the emulator spreading its webhook over both replicas like a load balancer.

Residents file cases and add follow-ups — 10,000 updates by default — while the emulator
delivers some updates twice (an answer lost on the way back) and one replica is killed
mid-run. Afterwards: every case filed once, every message delivered once, and the bot-wide
limit never exceeded.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlmodel import func, select

from emulator.config import BotConfig, EmulatorConfig, LimitsConfig, WebhookConfig
from emulator.core import Emulator
from emulator.runner import start_emulator
from models.db import Database
from models.enums import EventType
from models.tables import Case, CaseEvent, User
from services.app import Services
from services.clock import SystemClock
from services.config import ServiceConfig
from services.context import Context
from tests import pg
from tests.e2e.conftest import free_port

TOKEN = "515151:SCALE-TOKEN"
USERNAME = "cp_scale_bot"
RESIDENTS = int(os.environ.get("CPBOT_SCALE_RESIDENTS", "1000"))  # 10 updates each
PER_POINT = 5
FOLLOW_UPS = 4
RATE = 200  # the bot's configured bot-wide limit
KILL = os.environ.get("CPBOT_SCALE_KILL", "1") == "1"
CPBOT = [sys.executable, "-m", "bot.cli"]


class Phone:
    def __init__(self, emulator: Emulator, user: dict[str, Any]) -> None:
        self.emulator = emulator
        self.id = int(user["id"])

    def messages(self) -> list[dict[str, Any]]:
        return [
            m
            for m in self.emulator.history(self.id)[-12:]
            if m.get("from", {}).get("is_bot") and not m.get("deleted")
        ]

    async def wait(self, fragment: str, patience: float = 240) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        while loop.time() < deadline:
            for msg in reversed(self.messages()):
                if fragment in (msg.get("text") or ""):
                    return msg
            await asyncio.sleep(0.25 + random.random() * 0.1)
        raise AssertionError(f"resident {self.id} waited in vain for {fragment!r}\n{self.story()}")

    async def press(self, label: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 240
        while loop.time() < deadline:
            for msg in reversed(self.messages()):
                for row in (msg.get("reply_markup") or {}).get("inline_keyboard") or []:
                    for button in row:
                        if button["text"].endswith(label):
                            self.emulator.user_press(
                                self.id, None, msg["message_id"], button["callback_data"]
                            )
                            return
            await asyncio.sleep(0.25 + random.random() * 0.1)
        raise AssertionError(f"resident {self.id} found no button {label!r}\n{self.story()}")

    def story(self) -> str:
        """The chat as the resident sees it, for a failure's message."""
        lines = []
        for m in self.emulator.history(self.id)[-16:]:
            who = "bot" if m.get("from", {}).get("is_bot") else "me"
            keys = [
                b["text"]
                for row in (m.get("reply_markup") or {}).get("inline_keyboard") or []
                for b in row
            ]
            flags = " ".join(f for f in ("deleted", "edit_date") if m.get(f))
            text = (m.get("text") or m.get("caption") or "")[:70].replace("\n", " ")
            lines.append(f"  {m.get('message_id')} {who} {flags} {text!r} {keys}")
        answers = [a.get("text") or "(empty)" for a in self.emulator.callback_answers(self.id)]
        lines.append(f"  press answers: {answers[-6:]}")
        return "\n".join(lines)

    def send(self, text: str, reply_to: int | None = None) -> None:
        self.emulator.user_send(self.id, text=text, reply_to_message_id=reply_to)


async def resident_flow(phone: Phone, filed: asyncio.Queue[int]) -> None:
    phone.send("📝 New case")
    await phone.press("Complaint")
    await phone.press("Water supply")
    await phone.wait("Describe it")
    phone.send(f"no water, resident {phone.id}")
    await phone.wait("Received 1")
    await phone.press("Done")
    await phone.press("Send")
    confirmation = await phone.wait("was sent to")
    await filed.put(phone.id)
    for k in range(FOLLOW_UPS):
        phone.send(f"follow-up {k} from {phone.id}", reply_to=confirmation["message_id"])


async def stuck_work(url: str) -> str:
    """What PostgreSQL shows of work in flight: open transactions and lock waits (a stuck
    resident's first question)."""
    conn = await asyncpg.connect(pg._dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT pid, state, wait_event_type, wait_event, now() - xact_start AS age,"
            " left(query, 160) AS query FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " ORDER BY xact_start NULLS LAST"
        )
        locks = await conn.fetch(
            "SELECT pid, locktype, mode, granted, relation::regclass::text AS rel"
            " FROM pg_locks WHERE NOT granted"
        )
    finally:
        await conn.close()
    return "\n".join([*(str(dict(r)) for r in rows), "waiting locks:", *map(str, locks)])


@pytest.fixture
async def database(redis: Redis) -> Any:
    base = pg.base_url()
    if base is None:
        pytest.skip(f"{pg.ENV} is not set")
    template = await pg.create_template(base)
    name = await pg.create_copy(base, template)
    yield pg.async_url(base, name)
    await pg.drop(base, name)
    await pg.drop(base, template)


async def seed(url: str, emulator: Emulator, cadres: list[Phone], residents: list[Phone]) -> None:
    db = Database.from_url(url)
    services = Services(Context.create(db, ServiceConfig(bot_username=USERNAME), SystemClock()))
    points = len(cadres)
    rows = "\n".join(f"P{n:04d},Point {n},Region,Street {n},,," for n in range(points))
    await services.points.import_csv(f"code,name,region,address,lat,lon,tz\n{rows}\n")
    for n, cadre in enumerate(cadres):
        await services.people.register(cadre.id, cadre.id, f"Cadre {n}", "en")
        invite = await services.staff.create_invite("cadre", point_code=f"P{n:04d}")
        await services.staff.redeem(
            (await services.people.actor(cadre.id, cadre.id, "", "en")).uid,
            invite.link.split("start=inv_", 1)[1],
        )
    all_points = {p.code: p.id for p in await services.points.all()}
    for n, resident in enumerate(residents):
        actor = await services.people.register(resident.id, resident.id, f"Resident {n}", "en")
        await services.points.choose(actor.uid, all_points[f"P{n // PER_POINT:04d}"])
    await db.dispose()


# Ten thousand updates through five processes on two cores take minutes, not seconds.
@pytest.mark.timeout(1200)
async def test_two_replicas_two_workers_ten_thousand_updates(
    tmp_path: Path, redis: Redis, database: str
) -> None:
    config = EmulatorConfig(
        bots=(BotConfig(TOKEN, USERNAME),),
        limits=LimitsConfig(global_per_second=RATE + 50),
        webhook=WebhookConfig(
            retry_initial=0.2,
            retry_cap=2.0,
            duplicate_every=int(os.environ.get("CPBOT_SCALE_DUPLICATE", "53")),
        ),
    )
    emulator = Emulator(config)
    running = await start_emulator(emulator)
    ports = [free_port(), free_port()]
    emulator.set_webhook_targets([f"http://127.0.0.1:{p}/hook" for p in ports])
    env = {
        **os.environ,
        "CPBOT_TOKEN": TOKEN,
        "CPBOT_API_BASE": running.url,
        "CPBOT_DATABASE_URL": database,
        "CPBOT_REDIS_URL": os.environ["CPBOT_TEST_REDIS_URL"],
        "CPBOT_BOT_USERNAME": USERNAME,
        "CPBOT_DEFAULT_LOCALE": "en",
        "CPBOT_RATE_PER_SECOND": str(RATE),
        "CPBOT_WEBHOOK_SECRET": "replica-secret",
        "CPBOT_WEBHOOK_URL": f"http://127.0.0.1:{ports[0]}/hook",
        "CPBOT_WEBHOOK_PATH": "/hook",
        "CPBOT_LOG_LEVEL": os.environ.get("CPBOT_SCALE_LOG_LEVEL", "WARNING"),
    }
    assert (
        subprocess.run(
            [*CPBOT, "migrate"], env=env, cwd=tmp_path, check=False, capture_output=True
        ).returncode
        == 0
    )
    cadres = [
        Phone(emulator, emulator.create_user(f"Cadre{n}", language_code="en"))
        for n in range(RESIDENTS // PER_POINT)
    ]
    residents = [
        Phone(emulator, emulator.create_user(f"R{n}", language_code="en")) for n in range(RESIDENTS)
    ]
    await seed(database, emulator, cadres, residents)
    for cadre in cadres:  # a person must have written to a bot before it can write back
        emulator.user_send(cadre.id, text="/help")

    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    for n, port in enumerate(ports):
        log = (tmp_path / f"replica{n}.log").open("wb")
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [*CPBOT, "webhook", "--intake-only"],
                cwd=tmp_path,
                stdout=log,
                stderr=log,
                env={**env, "CPBOT_WEBHOOK_PORT": str(port)},
            )
        )
    for n in range(2):
        log = (tmp_path / f"worker{n}.log").open("wb")
        logs.append(log)
        processes.append(
            subprocess.Popen([*CPBOT, "worker"], cwd=tmp_path, stdout=log, stderr=log, env=env)
        )
    try:
        filed: asyncio.Queue[int] = asyncio.Queue()
        gate = asyncio.Semaphore(250)

        async def one(phone: Phone) -> None:
            async with gate:
                await resident_flow(phone, filed)

        flows = asyncio.gather(*(one(p) for p in residents))
        killed = False
        while not flows.done():
            await asyncio.sleep(0.5)
            if not killed and filed.qsize() >= RESIDENTS * 2 // 5 and KILL:
                processes[0].send_signal(signal.SIGKILL)  # a replica dies mid-run
                killed = True
        try:
            await flows
        except AssertionError:
            print(await stuck_work(database))
            raise
        assert killed or not KILL

        # Wait for the workers to deliver every relay (each cadre's chat at 1 a second).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 300
        expected = RESIDENTS * (1 + FOLLOW_UPS)
        while loop.time() < deadline:
            relayed = sum(
                1
                for c in cadres
                for m in emulator.history(c.id)
                if m.get("from", {}).get("is_bot")
                and ("no water" in (m.get("text") or "") or "follow-up" in (m.get("text") or ""))
            )
            if relayed >= expected:
                break
            await asyncio.sleep(1)

        # Every case once, every message once.
        db = Database.from_url(database)
        async with db.read() as session:
            cases = (await session.execute(select(func.count()).select_from(Case))).scalar_one()
            per_resident = Counter((await session.execute(select(Case.resident_id))).scalars())
            messages = (
                await session.execute(
                    select(func.count())
                    .select_from(CaseEvent)
                    .where(CaseEvent.type == EventType.MESSAGE)
                )
            ).scalar_one()
            short = (
                await session.execute(
                    select(User.tg_id, func.count(CaseEvent.id))
                    .join(Case, Case.resident_id == User.id)
                    .join(CaseEvent, CaseEvent.case_id == Case.id)
                    .where(CaseEvent.type == EventType.MESSAGE)
                    .group_by(User.tg_id)
                    .having(func.count(CaseEvent.id) != 1 + FOLLOW_UPS)
                )
            ).all()
        await db.dispose()
        by_id = {p.id: p for p in residents}
        stories = "\n".join(
            f"resident {tg} has {n} messages:\n{by_id[tg].story()}" for tg, n in short[:3]
        )
        assert cases == RESIDENTS and set(per_resident.values()) == {1}
        assert messages == RESIDENTS * (1 + FOLLOW_UPS), stories
        for cadre in cadres:
            texts = [
                m.get("text") or ""
                for m in emulator.history(cadre.id)
                if m.get("from", {}).get("is_bot")
            ]
            relays = [t for t in texts if "no water" in t or "follow-up" in t]
            assert len(relays) == len(set(relays)) == PER_POINT * (1 + FOLLOW_UPS)
        for resident in residents:
            confirmations = [
                m for m in emulator.history(resident.id) if "was sent to" in (m.get("text") or "")
            ]
            assert len(confirmations) == 1
        counters = emulator.counters()
        assert counters["duplicate_deliveries"] > 0  # redeliveries really happened
        assert counters["updates_created"] >= RESIDENTS * (6 + FOLLOW_UPS)
        # The limiter admits at most RATE in any second on Redis's clock. Arrivals at the
        # emulator bunch by how unevenly long requests spend in flight on this loaded machine
        # (five processes, PostgreSQL and Redis on two cores): runs measured 201–219. Past
        # RATE + 50 the emulator itself would refuse with 429s (asserted below); without the
        # shared limiter each of the four processes would allow itself RATE a second.
        assert counters["max_global_rate"] <= RATE + 50
        assert counters["responses_429"] == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
        await emulator.aclose()
        await running.stop()
    for n in (1,):
        assert "Traceback" not in (tmp_path / f"replica{n}.log").read_text(errors="replace")
    for n in range(2):
        assert "Traceback" not in (tmp_path / f"worker{n}.log").read_text(errors="replace")
