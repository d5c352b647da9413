"""Policy notices at the service level: chunked, resumable fan-out, pacing, cancel, languages,
who may address whom, reads, progress and the final report, groups."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from sqlmodel import col

from models.enums import OutboxStatus
from models.notices import Notice, NoticeRead
from models.tables import Outbox, Residency, User, table_of
from services.app import Services
from services.clock import FakeClock
from services.context import Context
from services.errors import Invalid, NotAllowed, NotFound
from services.notices import Audience, NoticeDraft, NoticeMedia, Notices
from services.outbox import Result
from tests.factories import Person, load_points, resident, staff

_tg = itertools.count(60_000_000)


@pytest.fixture
def services(services_on_both: Services) -> Services:
    """Every test here runs on SQLite and on PostgreSQL."""
    return services_on_both


@pytest.fixture
async def county(services: Services) -> dict[str, Person]:
    await load_points(services)
    return {
        "admin": await staff(services, "Zhou Min", "admin", None, title="Director"),
        "jinghu_admin": await staff(services, "Qian", "admin", None, region="Jinghu"),
        "cadre": await staff(services, "Li Wei", "cadre", "XH01", title="Deputy head"),
        "other_cadre": await staff(services, "Wang Fang", "cadre", "JH02"),
    }


def notices(services: Services, **kw: Any) -> Notices:
    """A Notices service as another process would have it (tunable chunk and window)."""
    return Notices(services.ctx, **kw)


async def crowd(
    services: Services, n: int, point: str = "XH01", locale: str = "en", blocked: int = 0
) -> list[int]:
    """``n`` residents of ``point`` inserted directly (the first ``blocked`` blocked the bot)."""
    point_id = (await services.points.by_code(point)).id
    now = services.ctx.clock.now()
    tgs = [next(_tg) for _ in range(n)]
    async with services.ctx.db.write() as session:
        await session.execute(
            insert(table_of(User)),
            [
                {
                    "tg_id": tg,
                    "chat_id": tg,
                    "name": f"Resident {tg}",
                    "locale": locale,
                    "privacy_accepted_at": now,
                    "created_at": now,
                    "blocked_at": now if i < blocked else None,
                }
                for i, tg in enumerate(tgs)
            ],
        )
        ids = (
            (await session.execute(select(col(User.id)).where(col(User.tg_id).in_(tgs))))
            .scalars()
            .all()
        )
        await session.execute(
            insert(table_of(Residency)),
            [{"user_id": uid, "contact_point_id": point_id, "since": now} for uid in ids],
        )
    return sorted(int(i) for i in ids if i is not None)


def draft(
    audience: Audience | None = None, texts: dict[str, str] | None = None, **kw: Any
) -> NoticeDraft:
    return NoticeDraft(
        texts=texts or {"en": "Water is off <b>Tuesday</b> 9–12."},
        fallback_locale=kw.pop("fallback", "en"),
        audience=audience or Audience("all"),
        **kw,
    )


async def rows(services: Services, prefix: str = "notice") -> list[Outbox]:
    async with services.ctx.db.read() as session:
        result = await session.execute(
            select(Outbox).where(col(Outbox.dedupe_key).startswith(prefix)).order_by(col(Outbox.id))
        )
        return list(result.scalars())


async def notice_row(services: Services, notice_id: int) -> Notice:
    async with services.ctx.db.read() as session:
        notice = await session.get(Notice, notice_id)
        assert notice is not None
        return notice


Outcome = Callable[[Any], str]


async def deliver(services: Services, outcome: Outcome = lambda row: "sent") -> list[Any]:
    """Play the sender: claim what is due and record ``outcome(row)`` for each."""
    store = services.outbox("test-sender")
    handled = []
    message_id = 7000
    while claimed := await store.claim(500):
        results = []
        for row in claimed:
            message_id += 1
            kind = outcome(row)
            handled.append(row)
            results.append(
                Result(
                    row.id,
                    kind,  # type: ignore[arg-type]
                    message_id=message_id if kind == "sent" else None,
                    error="Forbidden: bot was blocked by the user" if kind == "blocked" else None,
                    retry_after=1 if kind == "rate_limited" else 0,
                    claimed=row,
                )
            )
        await store.complete(results)
        if any(r.outcome == "rate_limited" for r in results):
            break
    return handled


def recipients(outbox_rows: list[Outbox]) -> list[int]:
    return [int(r.dedupe_key.rsplit(":u", 1)[1]) for r in outbox_rows]


# ---- fan-out ----------------------------------------------------------------------------


async def test_fan_out_goes_in_chunks_in_id_order(services: Services, county: dict) -> None:
    ids = await crowd(services, 23)
    svc = notices(services, chunk_size=5)
    created = await svc.create(county["cadre"].user_id, draft())
    assert created.status == "sending"
    chunks = []
    while (chunk := await svc.queue_chunk(created.notice_id)) is not None:
        chunks.append(chunk)
        notice = await notice_row(services, created.notice_id)
        assert notice.cursor == recipients(await rows(services))[-1]
    assert [c.queued for c in chunks] == [5, 5, 5, 5, 3]
    assert [c.done for c in chunks] == [False, False, False, False, True]
    queued = await rows(services)
    assert recipients(queued) == ids  # everyone, once, in order
    notice = await notice_row(services, created.notice_id)
    assert notice.fanout_done_at is not None and notice.audience_size == 23
    # A finished fan-out queues nothing more.
    assert await svc.queue_chunk(created.notice_id) is None


async def test_a_few_points_among_many_are_picked_out_exactly(
    services: Services, county: dict
) -> None:
    """Residents of other points are passed over, and a chunk stops at the number asked for
    with the bookmark on the last resident it took: nobody skipped, nobody twice."""
    xh: list[int] = []
    for _ in range(6):
        xh += await crowd(services, 3, "XH01")
        await crowd(services, 4, "JH02")
    svc = notices(services, chunk_size=10)
    created = await svc.create(county["cadre"].user_id, draft())
    sizes = []
    while (chunk := await svc.queue_chunk(created.notice_id, 4)) is not None:
        sizes.append(chunk.queued)
        if chunk.done:
            break
    assert recipients(await rows(services)) == xh
    assert max(sizes) == 4 and sum(sizes) == 18
    notice = await notice_row(services, created.notice_id)
    assert notice.audience_size == 18 and notice.fanout_done_at is not None


async def test_a_crash_mid_fan_out_resumes_without_gap_or_duplicate(
    services: Services, county: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await crowd(services, 17)
    first = notices(services, chunk_size=4)
    created = await first.create(county["cadre"].user_id, draft())
    await first.queue_chunk(created.notice_id)
    await first.queue_chunk(created.notice_id)
    # The third chunk dies after its rows were written, before the transaction committed.
    import services.fanout.ledger as module

    def boom(*_: object) -> None:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(module, "max_outbox_id", boom)
        with pytest.raises(RuntimeError):
            await first.queue_chunk(created.notice_id)
    assert recipients(await rows(services)) == ids[:8]  # the half-written chunk left nothing
    # A new process carries on from the bookmark.
    restarted = notices(services, chunk_size=4)
    while await restarted.queue_chunk(created.notice_id) is not None:
        pass
    assert recipients(await rows(services)) == ids
    # Even a bookmark that went back (restored from an old backup) queues nobody twice.
    async with services.ctx.db.write() as session:
        await session.execute(
            update(Notice)
            .where(col(Notice.id) == created.notice_id)
            .values(cursor=ids[5], fanout_done_at=None)
        )
    while await restarted.queue_chunk(created.notice_id) is not None:
        pass
    assert recipients(await rows(services)) == ids


async def test_residents_who_blocked_the_bot_are_skipped_and_counted(
    services: Services, county: dict
) -> None:
    ids = await crowd(services, 10, blocked=3)
    svc = notices(services, chunk_size=4)
    created = await svc.create(county["cadre"].user_id, draft())
    while await svc.queue_chunk(created.notice_id) is not None:
        pass
    assert recipients(await rows(services)) == ids[3:]
    notice = await notice_row(services, created.notice_id)
    assert (notice.queued, notice.skipped_blocked, notice.audience_size) == (7, 3, 10)
    # A resident who blocks the bot while it goes out: the row dies, the person is marked.
    late = ids[3]
    await deliver(services, lambda row: "blocked" if row.recipient_user_id == late else "sent")
    progress = await svc.progress(county["cadre"].user_id, created.notice_id)
    assert (progress.tally.sent, progress.tally.blocked, progress.tally.failed) == (6, 4, 0)
    async with services.ctx.db.read() as session:
        marked = await session.get(User, late)
        assert marked is not None and marked.blocked_at is not None


async def test_the_fan_out_is_paced_by_the_delivery_rate(
    services: Services, county: dict, clock: FakeClock
) -> None:
    """Only about ``ahead_seconds`` of sending is queued ahead of the sender, so other
    messages (a cadre's reply) never wait behind a county-wide notice."""
    await crowd(services, 120)
    svc = notices(services, chunk_size=7, first_window=20, ahead_seconds=5, min_window=3)
    created = await svc.create(county["cadre"].user_id, draft())
    await svc.tick()
    assert len(await rows(services)) == 20  # the first window, in chunks of 7
    await svc.tick()
    assert len(await rows(services)) == 20  # nothing moved: nothing more is queued
    clock.advance(seconds=4)
    await deliver(services)  # 20 in 4 s: 5 a second, so 25 ahead
    await svc.tick()
    notice = await notice_row(services, created.notice_id)
    assert notice.rate == pytest.approx(5.0)
    assert len([r for r in await rows(services) if r.status == "pending"]) == 25
    # A cadre's reply queued now is due behind at most those 25, not behind 100.


# ---- languages --------------------------------------------------------------------------


async def test_each_resident_gets_their_language_and_the_rest_the_authors(
    services: Services, county: dict
) -> None:
    zh = await crowd(services, 2, locale="zh_Hans")
    en = await crowd(services, 2, locale="en")
    svc = notices(services)
    both = {"zh_Hans": "周二停水。", "en": "No water on Tuesday."}
    first = await svc.create(county["cadre"].user_id, draft(texts=both, fallback="zh_Hans"))
    await svc.queue_chunk(first.notice_id)
    texts = {
        r.recipient_user_id: r.payload for r in await rows(services, f"notice{first.notice_id}:")
    }
    for uid in zh:
        assert "周二停水。" in texts[uid]["text"] and "政策通知" in texts[uid]["text"]
        assert texts[uid]["buttons"][0][0]["label"] == "✅ 已阅"
    for uid in en:
        assert "No water on Tuesday." in texts[uid]["text"] and "周二" not in texts[uid]["text"]
        assert texts[uid]["buttons"][0][0] == {
            "label": "✅ Read",
            "action": "notice_read",
            "ref": first.notice_id,
        }
        assert "Li Wei (Deputy head)" in texts[uid]["text"]
    # Only Chinese given: English readers get the Chinese words in an English frame.
    second = await svc.create(
        county["cadre"].user_id, draft(texts={"zh_Hans": "周三停电。"}, fallback="zh_Hans")
    )
    await svc.queue_chunk(second.notice_id)
    texts = {
        r.recipient_user_id: r.payload for r in await rows(services, f"notice{second.notice_id}:")
    }
    assert "周三停电。" in texts[en[0]]["text"] and "Policy notice" in texts[en[0]]["text"]
    assert texts[en[0]]["buttons"][0][0]["label"] == "✅ Read"


async def test_a_notice_with_a_photo_is_sent_by_reference_never_uploaded(
    services: Services, county: dict
) -> None:
    await crowd(services, 1)
    svc = notices(services)
    media = NoticeMedia("photo", "AgAC-file-id", chat_id=county["cadre"].tg_id, message_id=42)
    created = await svc.create(county["cadre"].user_id, draft(media=media))
    await svc.queue_chunk(created.notice_id)
    (row,) = await rows(services, f"notice{created.notice_id}:")
    assert row.payload["type"] == "photo"
    assert row.payload["file_id"] == "AgAC-file-id"  # sent by file id, never uploaded again
    assert "Water is off" in row.payload["caption"]
    # A caption has a shorter limit than a message.
    with pytest.raises(Invalid) as too_long:
        await svc.create(county["cadre"].user_id, draft(texts={"en": "x" * 900}, media=media))
    assert too_long.value.key == "notices.too_long"
    await svc.create(county["cadre"].user_id, draft(texts={"en": "x" * 900}))


# ---- who may address whom ----------------------------------------------------------------


async def test_audiences_by_region_and_point(services: Services, county: dict) -> None:
    xh, jh, yj = [await crowd(services, 2, p) for p in ("XH01", "JH02", "YJ03")]
    svc = notices(services)

    async def reached(user: Person, audience: Audience) -> set[int]:
        created = await svc.create(user.user_id, draft(audience))
        while await svc.queue_chunk(created.notice_id) is not None:
            pass
        return {
            r.recipient_user_id or 0 for r in await rows(services, f"notice{created.notice_id}:")
        }

    # An administrator of Jinghu: "everyone" is Jinghu's points only.
    assert await reached(county["jinghu_admin"], Audience("all")) == {*xh, *jh}
    assert await reached(county["admin"], Audience("regions", regions=("Yijiang",))) == set(yj)
    points = await services.points.all()
    jh02 = next(p.id for p in points if p.code == "JH02")
    assert await reached(county["admin"], Audience("points", point_ids=(jh02,))) == set(jh)
    assert await reached(county["admin"], Audience("points", point_codes=("yj03",))) == set(yj)
    # Outside their region: refused, with the reason, before anything is stored.
    with pytest.raises(NotAllowed) as region:
        await svc.create(county["jinghu_admin"].user_id, draft(Audience("regions", ("Yijiang",))))
    assert region.value.key == "notices.region_refused"
    yj03 = next(p.id for p in points if p.code == "YJ03")
    with pytest.raises(NotAllowed):
        await svc.create(
            county["jinghu_admin"].user_id, draft(Audience("points", point_ids=(yj03,)))
        )
    estimate = await svc.estimate(county["admin"].user_id, Audience("all"))
    assert (estimate.points, estimate.residents) == (3, 6)


async def test_a_cadre_posts_only_to_their_own_point(services: Services, county: dict) -> None:
    xh = await crowd(services, 3, "XH01")
    await crowd(services, 3, "JH02")
    svc = notices(services)
    scope = await svc.compose_scope(county["cadre"].user_id)
    assert not scope.is_admin and [p.code for p in scope.points] == ["XH01"]
    jh02 = next(p.id for p in await services.points.all() if p.code == "JH02")
    with pytest.raises(NotAllowed) as refused:
        await svc.create(county["cadre"].user_id, draft(Audience("points", point_ids=(jh02,))))
    assert refused.value.key == "notices.point_refused"
    with pytest.raises(NotAllowed):
        await svc.estimate(county["cadre"].user_id, Audience("points", point_ids=(jh02,)))
    created = await svc.create(county["cadre"].user_id, draft(Audience("all")))
    await svc.queue_chunk(created.notice_id)
    assert set(recipients(await rows(services))) == set(xh)


async def test_residents_and_inspectors_cannot_send_notices(
    services: Services, county: dict
) -> None:
    someone = await resident(services, "Zhang San")
    inspector = await staff(services, "Sun", "inspector", None)
    svc = notices(services)
    for person in (someone, inspector):
        with pytest.raises(NotAllowed) as refused:
            await svc.create(person.user_id, draft())
        assert refused.value.key == "notices.staff_only"
        with pytest.raises(NotAllowed):
            await svc.compose_scope(person.user_id)
    async with services.ctx.db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Notice))).scalar_one() == 0


async def test_confirming_twice_creates_one_notice(services: Services, county: dict) -> None:
    await crowd(services, 3)
    svc = notices(services)
    first = await svc.create(county["cadre"].user_id, draft(), origin="bot:1:55")
    again = await svc.create(county["cadre"].user_id, draft(), origin="bot:1:55")
    assert again.notice_id == first.notice_id and again.duplicate and not first.duplicate
    async with services.ctx.db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Notice))).scalar_one() == 1


# ---- reads ------------------------------------------------------------------------------


async def test_reads_count_once_and_only_for_the_audience(services: Services, county: dict) -> None:
    (reader,) = await crowd(services, 1, "XH01")
    (outsider,) = await crowd(services, 1, "JH02")
    svc = notices(services)
    created = await svc.create(county["cadre"].user_id, draft())
    await svc.queue_chunk(created.notice_id)
    await deliver(services)
    assert await svc.mark_read(reader, created.notice_id) is True
    assert await svc.mark_read(reader, created.notice_id) is False
    with pytest.raises(NotFound):
        await svc.mark_read(outsider, created.notice_id)
    with pytest.raises(NotFound):
        await svc.mark_read(reader, created.notice_id + 99)
    async with services.ctx.db.read() as session:
        count = select(func.count()).select_from(NoticeRead)
        assert (await session.execute(count)).scalar_one() == 1
    progress = await svc.progress(county["cadre"].user_id, created.notice_id)
    assert progress.reads == 1
    # What the resident sees in /notices, and again when opening it.
    (line,) = await svc.for_resident(reader)
    assert line.id == created.notice_id and line.read and line.title.startswith("Water is off")
    opened = await svc.open_for_resident(reader, created.notice_id)
    assert opened.read and opened.buttons[0][0].label.startswith("✔️")
    assert await svc.for_resident(outsider) == []


# ---- cancel -----------------------------------------------------------------------------


async def test_cancel_stops_what_is_not_yet_sent(services: Services, county: dict) -> None:
    await crowd(services, 30)
    svc = notices(services, chunk_size=10, first_window=20)
    created = await svc.create(county["cadre"].user_id, draft(), progress_message_id=900)
    await svc.tick()
    delivered = await deliver(services, lambda row: "sent")
    assert len([r for r in delivered if r.payload["type"] == "text"]) == 20
    await svc.tick()  # the next 20 … but only 10 residents are left
    store = services.outbox("slow-sender")
    in_hand = await store.claim(3)  # three rows are being sent as the cadre presses Stop
    progress = await svc.cancel(county["cadre"].user_id, created.notice_id)
    assert progress.status == "cancelled"
    statuses = Counter(r.status for r in await rows(services, f"notice{created.notice_id}:"))
    assert statuses == {"sent": 20, "sending": 3, "cancelled": 7}
    assert await svc.queue_chunk(created.notice_id) is None  # no more fan-out
    # Telegram said 429 for one of them: given back, and cancelled by the next tick.
    await store.complete(
        [Result(in_hand[0].id, "rate_limited", retry_after=1, claimed=in_hand[0])]
        + [Result(c.id, "sent", message_id=1, claimed=c) for c in in_hand[1:]]
    )
    await svc.tick()
    statuses = Counter(r.status for r in await rows(services, f"notice{created.notice_id}:"))
    assert statuses == {"sent": 22, "cancelled": 8}
    notice = await notice_row(services, created.notice_id)
    assert notice.finished_at is not None and notice.status == "cancelled"
    final = (await rows(services, f"nprog{created.notice_id}:"))[-1].payload
    assert final["type"] == "edit" and final["message_id"] == 900
    assert "cancelled" in final["text"] and "22 residents" in final["text"]
    with pytest.raises(NotFound):  # not theirs
        await svc.cancel(county["other_cadre"].user_id, created.notice_id)


async def test_cancelling_a_scheduled_notice_sends_nothing(
    services: Services, county: dict, clock: FakeClock
) -> None:
    await crowd(services, 5)
    svc = notices(services)
    later = clock.now() + timedelta(hours=2)
    created = await svc.create(county["admin"].user_id, draft(send_at=later))
    assert created.status == "scheduled"
    # An administrator of another region cannot touch it; one over it (here: everywhere) can.
    with pytest.raises(NotFound):
        await svc.cancel(county["jinghu_admin"].user_id, created.notice_id)
    await svc.cancel(county["admin"].user_id, created.notice_id)
    clock.advance(hours=3)
    await svc.tick()
    assert await rows(services) == []
    with pytest.raises(Invalid):
        await svc.create(county["admin"].user_id, draft(send_at=clock.now() + timedelta(days=91)))


# ---- scheduling -------------------------------------------------------------------------


async def test_a_scheduled_notice_starts_once_when_due(
    services: Services, county: dict, clock: FakeClock
) -> None:
    await crowd(services, 4)
    svc = notices(services)
    created = await svc.create(
        county["cadre"].user_id, draft(send_at=clock.now() + timedelta(minutes=30))
    )
    assert "scheduled" in created.text and "4 residents" in created.text
    assert await svc.start_due() == 0
    clock.advance(minutes=31)
    # Two instances tick at once: only one starts it.
    other = notices(services)
    assert await svc.start_due() + await other.start_due() == 1
    await svc.tick()
    assert len(await rows(services, f"notice{created.notice_id}:")) == 4


async def test_a_cadre_who_moved_on_before_the_time_sends_nothing(
    services: Services, county: dict, clock: FakeClock
) -> None:
    await crowd(services, 4)
    svc = notices(services)
    created = await svc.create(
        county["cadre"].user_id, draft(send_at=clock.now() + timedelta(minutes=5))
    )
    from models.tables import Assignment, Staff

    async with services.ctx.db.write() as session:
        staff_id = (
            await session.execute(
                select(col(Staff.id)).where(col(Staff.user_id) == county["cadre"].user_id)
            )
        ).scalar_one()
        await session.execute(
            update(Assignment).where(col(Assignment.staff_id) == staff_id).values(until=clock.now())
        )
    clock.advance(minutes=6)
    await svc.tick()
    assert await rows(services, f"notice{created.notice_id}:") == []
    notice = await notice_row(services, created.notice_id)
    assert notice.status == "cancelled" and notice.finished_at is not None


# ---- progress ---------------------------------------------------------------------------


async def test_progress_is_edited_in_place_then_a_final_report(
    services: Services, county: dict, clock: FakeClock
) -> None:
    ids = await crowd(services, 12)
    svc = notices(services, chunk_size=100, progress_every=3)
    created = await svc.create(
        county["cadre"].user_id, draft(), progress_message_id=501, origin="bot:x:501"
    )
    assert "0%" in created.text and created.buttons[0][0].action == "notice_cancel"
    await svc.tick()  # queues the 12; nothing to report yet (the text would not change)
    assert await rows(services, f"nprog{created.notice_id}:") == []
    failing = ids[0]
    clock.advance(seconds=4)
    handled = await deliver(
        services, lambda row: "dead" if row.recipient_user_id == failing else "sent"
    )
    assert len([row for row in handled if row.payload["type"] == "text"]) == 12
    clock.advance(seconds=1)
    await svc.tick()
    edits = await rows(services, f"nprog{created.notice_id}:")
    final = edits[-1].payload
    assert final["type"] == "edit" and final["message_id"] == 501
    assert "delivered" in final["text"] and "Reached 11 of 12" in final["text"]
    assert "Failed: 1" in final["text"]
    ping = await rows(services, f"nfinal{created.notice_id}")
    assert len(ping) == 1 and ping[0].chat_id == county["cadre"].tg_id
    notice = await notice_row(services, created.notice_id)
    assert notice.status == "sent" and notice.finished_at is not None
    # Finished notices are left alone by later ticks: no more edits.
    await svc.tick()
    assert len(await rows(services, f"nprog{created.notice_id}:")) == len(edits)


async def test_progress_edits_are_throttled_and_never_pile_up(
    services: Services, county: dict, clock: FakeClock
) -> None:
    await crowd(services, 100)
    await deliver(services)  # the staff's command menus, queued when they joined
    svc = notices(
        services, chunk_size=10, first_window=10, ahead_seconds=1, min_window=5, progress_every=3
    )
    created = await svc.create(county["cadre"].user_id, draft(), progress_message_id=77)
    await svc.tick()
    store = services.outbox("s")
    for _ in range(3):
        clock.advance(seconds=1)
        claimed = await store.claim(5)
        await store.complete([Result(c.id, "sent", message_id=1, claimed=c) for c in claimed])
        await svc.tick()
    edits = await rows(services, f"nprog{created.notice_id}:")
    assert len(edits) == 1  # none before 3 s had passed
    text = edits[0].payload["text"]
    assert "Sent: 15" in text and "Remaining: 85" in text and "▓▓░░░░░░░░ 15%" in text
    # The author's chat is slow: while that edit is unsent, no second one is queued.
    clock.advance(seconds=10)
    claimed = await store.claim(100)
    in_hand = [c for c in claimed if c.payload["type"] == "edit"]
    assert len(in_hand) == 1
    await store.complete(
        [Result(c.id, "sent", message_id=1, claimed=c) for c in claimed if c not in in_hand]
    )
    await svc.tick()
    assert len(await rows(services, f"nprog{created.notice_id}:")) == 1
    await store.complete([Result(c.id, "sent", message_id=77, claimed=c) for c in in_hand])
    await svc.tick()
    edits = await rows(services, f"nprog{created.notice_id}:")
    assert len(edits) == 2 and "Sent: 20" in edits[1].payload["text"]


async def test_the_incremental_tally_matches_a_full_count(
    services: Services, county: dict, clock: FakeClock
) -> None:
    await crowd(services, 60, blocked=5)
    svc = notices(services, chunk_size=9, first_window=1000)
    created = await svc.create(county["cadre"].user_id, draft())
    await svc.tick()
    outcomes = itertools.cycle(["sent", "sent", "dead", "blocked", "retry", "sent"])
    for _ in range(4):
        clock.advance(seconds=30)
        store = services.outbox("s")
        claimed = await store.claim(17)
        await store.complete(
            [Result(c.id, next(outcomes), message_id=1, claimed=c) for c in claimed]  # type: ignore[arg-type]
        )
        await svc.tick()
    progress = await svc.progress(county["cadre"].user_id, created.notice_id)
    everything = Counter(r.status for r in await rows(services, f"notice{created.notice_id}:"))
    async with services.ctx.db.read() as session:
        dead_blocked = (
            await session.execute(
                select(func.count())
                .select_from(Outbox)
                .join(User, col(User.id) == col(Outbox.recipient_user_id))
                .where(
                    col(Outbox.dedupe_key).startswith(f"notice{created.notice_id}:"),
                    col(Outbox.status) == OutboxStatus.DEAD,
                    col(User.blocked_at).is_not(None),
                )
            )
        ).scalar_one()
    assert progress.tally.sent == everything["sent"]
    assert progress.tally.failed == everything["dead"] - dead_blocked
    assert progress.tally.blocked == dead_blocked + 5
    assert progress.tally.in_flight == everything["pending"] + everything["sending"]
    notice = await notice_row(services, created.notice_id)
    assert notice.settled_id > notice.outbox_after_id + 1  # the mark moved over final rows


# ---- groups -----------------------------------------------------------------------------


async def test_a_linked_group_gets_the_notice_with_a_register_button(
    services: Services, county: dict
) -> None:
    await crowd(services, 2)
    svc = notices(services)
    group = -4_100_000_777
    with pytest.raises(NotAllowed) as foreign:
        await svc.link_group(county["other_cadre"].user_id, "XH01", group)
    assert foreign.value.key == "notices.link_not_yours"
    someone = await resident(services, "Zhang")
    with pytest.raises(NotAllowed):
        await svc.link_group(someone.user_id, "XH01", group)
    linked = await svc.link_group(county["cadre"].user_id, "xh01", group)
    assert linked.link == "https://t.me/cp_test_bot?start=cp_XH01"
    created = await svc.create(county["cadre"].user_id, draft())
    (post,) = await rows(services, f"ngroup{created.notice_id}:")
    assert post.chat_id == group and "Water is off" in post.payload["text"]
    assert post.payload["buttons"][0][0]["url"] == linked.link
    # The same group linked to another point moves; the bot removed from it: unlinked.
    await svc.link_group(county["admin"].user_id, "JH02", group)
    assert (await svc.group_point(group)).point_code == "JH02"  # type: ignore[union-attr]
    await svc.group_moved(group, group - 1_000_000_000_000)
    assert await svc.group_point(group) is None
    await svc.group_gone(group - 1_000_000_000_000)
    assert await svc.group_point(group - 1_000_000_000_000) is None


async def test_a_notice_from_the_office_is_signed_by_it(services: Services, county: dict) -> None:
    await crowd(services, 1, "YJ03", locale="zh_Hans")
    svc = notices(services)
    created = await svc.create(
        None,
        draft(
            Audience("points", point_codes=("YJ03",)), texts={"zh_Hans": "通知"}, fallback="zh_Hans"
        ),
    )
    await svc.queue_chunk(created.notice_id)
    (row,) = await rows(services, f"notice{created.notice_id}:")
    assert row.payload["text"].endswith("—— 管理部门")
    # No author, so no progress message: the office follows it with `cpbot notices list`.
    assert await rows(services, f"nprog{created.notice_id}:") == []
    ((line, progress),) = await svc.recent()
    assert line.id == created.notice_id and progress.total == 1


async def test_from_the_cli_an_author_gets_a_new_progress_message(
    services: Services, county: dict, clock: FakeClock
) -> None:
    await crowd(services, 3)
    svc = notices(services)
    created = await svc.create(county["cadre"].user_id, draft())
    (first,) = await rows(services, f"nprog{created.notice_id}:")
    assert first.payload["type"] == "text" and first.chat_id == county["cadre"].tg_id
    await svc.tick()
    clock.advance(seconds=5)
    await deliver(services)
    clock.advance(seconds=5)
    await svc.tick()
    sent_id = (await rows(services, f"nprog{created.notice_id}:0"))[0].sent_message_id
    final = (await rows(services, f"nprog{created.notice_id}:"))[-1].payload
    assert final["type"] == "edit" and final["message_id"] == sent_id


async def test_services_wire_the_feature(services: Services) -> None:
    assert isinstance(services.notices, Notices)
    assert services.notices.reminder_handlers() == {}
    assert isinstance(services.ctx, Context)


async def test_the_first_window_is_sized_on_the_bots_rate(services: Services) -> None:
    """Before a notice's own rate is measured (two seconds in), the rows queued ahead must keep
    a fast bot busy between ticks: at 1,000 a second a 500-row window ran dry and the notice
    reached 91% of the rate (bench/broadcast.py)."""
    import dataclasses

    fast = Context(
        services.ctx.db,
        dataclasses.replace(services.ctx.config, send_rate=1000),
        services.ctx.clock,
        services.ctx.texts,
    )
    assert Notices(fast).window(0) == 3000  # three seconds at 1,000 a second
    assert Notices(services.ctx).window(0) == 500  # at 25 a second, 500 as before
    assert Notices(fast).window(200) == 2000  # once measured: ten seconds at the measured rate
