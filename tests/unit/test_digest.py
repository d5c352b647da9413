"""The weekly digest: grouping quality on the labelled set, masking, trends and candidates,
scope, tip-offs, and the Monday message sent once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from models.db import Database
from models.tables import Outbox
from services.app import Services
from services.clock import FakeClock
from services.config import ServiceConfig
from services.context import Context
from services.digest.masking import MASK, mask
from services.digest.service import render_digest
from tests.data.digest_cases import CASES
from tests.data.digest_quality import pair_scores
from tests.factories import file_case, load_points, resident, staff
from tests.unit.test_cases import text

# Monday 9 March 2026, 00:00 in Shanghai: the digest covers 2-8 March.
MONDAY = datetime(2026, 3, 8, 16, 0, tzinfo=UTC)


def test_grouping_quality_on_the_labelled_set() -> None:
    problems = {p for p, _ in CASES}
    assert len(CASES) >= 300
    assert {p[:2] for p in problems} == {"zh", "en"}
    scores = pair_scores()
    # Measured: precision 0.93, recall 0.37, no near-miss pair merged (docs/digest.md).
    assert scores["precision"] >= 0.9
    assert scores["recall"] >= 0.35
    assert scores["near_miss_pairs_merged"] == 0


@pytest.mark.parametrize(
    ("raw", "gone"),
    [
        ("我叫张三，电话13812345678，路灯坏了", ["张三", "13812345678"]),
        ("联系电话 138-1234-5678 或 0553-1234567", ["138-1234-5678", "0553-1234567"]),
        ("身份证号340202199001011234，低保没批", ["340202199001011234"]),
        ("住在新华路12号3栋2单元401室，停水", ["新华路12号", "401室"]),
        ("My name is John Smith, call +86 138 1234 5678", ["John", "Smith", "138 1234"]),
        ("I live at 12 Xinhua Road, flat 3, the lift is broken", ["12 Xinhua Road", "flat 3"]),
        ("Write to li.wei@example.org please", ["li.wei@example.org"]),
    ],
)
def test_excerpts_mask_personal_data(raw: str, gone: list[str]) -> None:
    masked = mask(raw)
    for part in gone:
        assert part not in masked
    assert MASK in masked


def test_known_names_are_masked_wherever_they_appear() -> None:
    masked = mask("王芳说Zhang San家门口的路灯坏了, ask Zhang", ["Zhang San", "王芳"])
    assert "Zhang" not in masked and "王芳" not in masked and "路灯坏了" in masked


async def _county(services: Services, clock: FakeClock) -> dict[str, object]:
    await load_points(services)
    li = await staff(services, "Li Wei", point="XH01")
    chen = await staff(services, "Chen Jing", point="JH02")
    admin = await staff(services, "Wang Fang", "admin", None, region="Jinghu", locale="zh_Hans")
    zhang = await resident(services, "张三", "XH01")
    liu = await resident(services, "Liu Yang", "JH02")
    lamps = ["新华路的路灯坏了，晚上一片漆黑", "新华路的路灯坏了，晚上很黑"]
    # Street lights at XH01: two weeks ago, last week... and three this week: recurring.
    for weeks_back, count in ((3, 1), (1, 1), (0, 3)):
        for i in range(count):
            clock.set(MONDAY - timedelta(days=7 * weeks_back + 3, hours=i))
            await file_case(services, zhang, lamps[i % 2])
    clock.set(MONDAY - timedelta(days=2))
    await file_case(services, zhang, "我叫张三，电话13812345678，新华路的路灯坏了")
    # Rubbish at JH02: new this week.
    for i in range(2):
        clock.set(MONDAY - timedelta(days=1, hours=i))
        await file_case(services, liu, "The bins on Lake Road are overflowing, nobody empties them")
    # A tip-off about the same street lights: never in a digest.
    clock.set(MONDAY - timedelta(days=1))
    await services.tipoffs.file(
        zhang.user_id, named=True, concerns=[], parts=[text(900, zhang.tg_id, "路灯 SECRET 贿赂")]
    )
    clock.set(MONDAY)
    return {"li": li, "chen": chen, "admin": admin}


async def test_the_weeks_problems_with_trend_and_candidates(
    services: Services, clock: FakeClock
) -> None:
    people = await _county(services, clock)
    admin = people["admin"]
    digest = await services.digests.for_reader(admin.user_id)  # type: ignore[attr-defined]
    assert digest.total == 6
    sizes = {g.points[0]: g for g in digest.groups}
    lamps, bins = sizes["Xinhua Street"], sizes["Jinghu Lake"]
    assert lamps.size == 4 and lamps.before == [0, 1, 0, 1]
    assert lamps.weeks == 3 and lamps.candidate and lamps.trend == "rising"
    assert bins.size == 2 and bins.trend == "new" and not bins.candidate
    every = " ".join(e for g in digest.groups for e in g.excerpts)
    assert "张三" not in every and "13812345678" not in every and "SECRET" not in every
    shown = render_digest(services.texts, "zh_Hans", digest)
    assert "“每月一题”" in shown and "新出现" in shown and "SECRET" not in shown


async def test_a_cadre_sees_only_their_points_problems(
    services: Services, clock: FakeClock
) -> None:
    people = await _county(services, clock)
    digest = await services.digests.for_reader(people["chen"].user_id)  # type: ignore[attr-defined]
    assert [g.points for g in digest.groups] == [["Jinghu Lake"]]
    assert digest.total == 2


async def test_the_monday_message_is_sent_once(
    services: Services, clock: FakeClock, db_path: Path, config: ServiceConfig
) -> None:
    await _county(services, clock)
    clock.set(MONDAY + timedelta(hours=9, minutes=1))  # 09:01 in Shanghai
    other_db = Database.from_url(f"sqlite+aiosqlite:///{db_path}")
    other = Services(Context.create(other_db, config, clock))
    try:
        await asyncio.gather(services.digests.plan_weekly(), other.digests.plan_weekly())
        await asyncio.gather(services.reminders.tick(), other.reminders.tick())
        await other.digests.plan_weekly()  # a restart plans again: nothing new
        await other.reminders.tick()
    finally:
        await other_db.dispose()
    async with services.ctx.db.read() as session:
        rows = list(
            (
                await session.execute(
                    select(Outbox).where(col(Outbox.dedupe_key).startswith("digest:"))
                )
            ).scalars()
        )
    assert len(rows) == 3  # two cadres and the administrator, once each
    button = rows[0].payload["buttons"][0][0]
    assert button["action"] == "dg_get" and button["ref"] == 20260309
    assert all("2026-W10" in r.payload["text"] for r in rows)
