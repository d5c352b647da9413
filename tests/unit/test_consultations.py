"""Consultations (issue 15): every question type, one submission per resident (also pressed
twice and raced), changes until the deadline, refusals after it and for staff of another point,
anonymous answers untraceable in every table, the reminder once, invitations resumed after a
kill half-way, results and the XLSX export, the outcome to everyone who answered."""

from __future__ import annotations

import asyncio
import io
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlmodel import SQLModel, col

import models.registry  # noqa: F401
from models.consultations import ConsultRun
from models.tables import Outbox
from services.app import Services
from services.consultations import Consultations, parse_form
from services.errors import Invalid, NotAllowed, NotFound
from services.fanout import ledger
from services.outbox import Result
from tests.factories import Person, load_points, resident, staff

FORM = """
title = { en = "The fund for Xinhua Street", zh_Hans = "新华街专项资金" }
intro = { en = "We have **200,000** yuan to spend.", zh_Hans = "我们有**20万元**可以使用。" }
closes = "2026-03-20 18:00"
anonymous = {anonymous}

[[questions]]
kind = "single"
text = { en = "What first?", zh_Hans = "先做什么？" }
options = { en = ["Lamps", "Benches", "Trees"], zh_Hans = ["路灯", "长椅", "树木"] }

[[questions]]
kind = "multiple"
required = false
text = { en = "What else?", zh_Hans = "还有什么？" }
options = { en = ["Paint", "Signs"], zh_Hans = ["粉刷", "标牌"] }

[[questions]]
kind = "scale"
text = { en = "How urgent?", zh_Hans = "有多紧迫？" }

[[questions]]
kind = "number"
required = false
text = { en = "How many lamps?", zh_Hans = "需要几盏灯？" }

[[questions]]
kind = "text"
required = false
text = { en = "Anything else?", zh_Hans = "其他意见？" }
"""


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


@pytest.fixture
async def county(services: Services) -> dict[str, Person]:
    await load_points(services)
    return {
        "admin": await staff(services, "Zhou Min", "admin", None, title="Director"),
        "cadre": await staff(services, "Li Wei", "cadre", "XH01", title="Deputy head"),
        "other_cadre": await staff(services, "Wang Fang", "cadre", "JH02"),
        "en": await resident(services, "Ann", "XH01", locale="en"),
        "zh": await resident(services, "Zhang San", "XH01", locale="zh_Hans"),
        "far": await resident(services, "Far", "JH02", locale="en"),
    }


def form_of(services: Services, *, anonymous: bool = False, extra: str = "", top: str = "") -> Any:
    source = top + FORM.replace("{anonymous}", "true" if anonymous else "false") + extra
    return parse_form(source, "en", "Asia/Shanghai", services.ctx.clock.now())


async def opened(
    services: Services, author: Person, *, anonymous: bool = False, **kw: Any
) -> tuple[Consultations, int]:
    consult = Consultations(services.ctx, **kw)
    cid = await consult.create(author.user_id, form_of(services, anonymous=anonymous))
    await consult.tick()
    return consult, cid


async def outbox(services: Services, prefix: str) -> list[Outbox]:
    async with services.ctx.db.read() as session:
        rows = (await session.execute(select(Outbox).order_by(col(Outbox.id)))).scalars().all()
    return [r for r in rows if r.dedupe_key.startswith(prefix)]


async def deliver(services: Services) -> None:
    store = services.outbox("t")
    while rows := await store.claim(100):
        await store.complete([Result(c.id, "sent", message_id=9, claimed=c) for c in rows])


COUNT_SUBMISSIONS = text("SELECT count(*) FROM consult_submissions")
ANSWERS = {"0": 0, "1": [1, 0], "2": 4, "3": "12", "4": "More light near the school"}


def test_every_question_type_is_checked() -> None:
    from services.consultations import check_answer
    from services.consultations.form import Question

    single = Question("single", True, {"en": "?"}, {"en": ["a", "b"]})
    assert check_answer(single, 1) == 1
    for bad in (2, -1, "a", None):
        with pytest.raises(Invalid):
            check_answer(single, bad)
    multiple = Question("multiple", False, {"en": "?"}, {"en": ["a", "b", "c"]})
    assert check_answer(multiple, [2, 0, 2]) == [0, 2]
    assert check_answer(multiple, []) is None and check_answer(multiple, None) is None
    with pytest.raises(Invalid):
        check_answer(multiple, [3])
    scale = Question("scale", True, {"en": "?"})
    assert [check_answer(scale, n) for n in (1, 5)] == [1, 5]
    for bad in (0, 6, True, "3"):
        with pytest.raises(Invalid):
            check_answer(scale, bad)
    number = Question("number", True, {"en": "?"})
    assert check_answer(number, " 12 ") == 12 and check_answer(number, "3,5") == 3.5
    for bad in ("twelve", "1e9", ""):
        with pytest.raises(Invalid):
            check_answer(number, bad)
    free = Question("text", False, {"en": "?"})
    assert check_answer(free, "  Yes  ") == "Yes"
    with pytest.raises(Invalid) as long:
        check_answer(free, "x" * 2001)
    assert long.value.key == "consult.answer_text_long"


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('[[questions]]\nkind = "poll"\ntext = "?"\n', "consult.file_kind"),
        (
            '[[questions]]\nkind = "single"\ntext = "?"\noptions = ["only"]\n',
            "consult.file_options",
        ),
        ("title = [", "consult.file_syntax"),
    ],
)
def test_a_bad_file_says_where(services: Services, extra: str, key: str) -> None:
    with pytest.raises(Invalid) as refused:
        form_of(services, extra=extra)
    assert refused.value.key == key


async def test_named_answers_once_changed_until_the_deadline_refused_after(
    services: Services, county: dict[str, Person]
) -> None:
    consult, cid = await opened(services, county["cadre"])
    ann = county["en"].user_id
    assert await consult.submit(ann, cid, ANSWERS) == "new"
    # The same press again (a redelivered update): still one submission, now "changed".
    assert await consult.submit(ann, cid, ANSWERS) == "changed"
    begun = await consult.begin_answering(ann, cid)
    assert begun.submitted and begun.answers["0"] == 0
    assert await consult.submit(ann, cid, {**ANSWERS, "0": 2}) == "changed"
    async with services.ctx.db.read() as session:
        assert (
            await session.execute(text("SELECT count(*) FROM consult_submissions"))
        ).scalar() == 1
        assert (await session.execute(text("SELECT count(*) FROM consult_roll"))).scalar() == 1
    # A required question left out is refused; a resident of another point is not asked.
    with pytest.raises(Invalid):
        await consult.submit(county["zh"].user_id, cid, {**ANSWERS, "0": None})
    with pytest.raises(NotFound):
        await consult.submit(county["far"].user_id, cid, ANSWERS)
    # After the deadline (before any tick closed it, and after).
    services.ctx.clock.advance(days=30)  # type: ignore[attr-defined]
    with pytest.raises(Invalid) as late:
        await consult.submit(ann, cid, ANSWERS)
    assert late.value.key == "consult.closed"
    await consult.tick()
    with pytest.raises(Invalid):
        await consult.begin_answering(county["zh"].user_id, cid)


async def test_forget_unlinks_named_answers_and_mydata_lists_them(
    services: Services, county: dict[str, Person]
) -> None:
    consult, cid = await opened(services, county["cadre"])
    ann = county["en"].user_id
    await consult.submit(ann, cid, ANSWERS)
    mine = json.loads(await services.privacy.export(ann))["named_consultation_answers"]
    assert [(m["consultation"]["en"], m["answers"]["4"]) for m in mine] == [
        ("The fund for Xinhua Street", "More light near the school")
    ]
    await services.privacy.forget(ann)
    async with services.ctx.db.read() as session:
        named = text("SELECT count(*) FROM consult_named WHERE user_id = :u")
        roll = text("SELECT count(*) FROM consult_roll WHERE user_id = :u")
        assert (await session.execute(named, {"u": ann})).scalar() == 0
        assert (await session.execute(roll, {"u": ann})).scalar() == 0
        # The opinion still counts, as an anonymous one would.
        assert (await session.execute(COUNT_SUBMISSIONS)).scalar() == 1


async def test_two_submissions_at_once_store_one(services: Services, county: dict) -> None:
    consult, cid = await opened(services, county["cadre"], anonymous=True)
    zh = county["zh"].user_id
    outcomes = await asyncio.gather(
        *(consult.submit(zh, cid, ANSWERS) for _ in range(3)), return_exceptions=True
    )
    assert Counter(type(o).__name__ for o in outcomes) == {"str": 1, "Invalid": 2}
    async with services.ctx.db.read() as session:
        assert (
            await session.execute(text("SELECT count(*) FROM consult_submissions"))
        ).scalar() == 1


async def test_anonymous_answers_lead_back_to_nobody(services: Services, county: dict) -> None:
    consult, cid = await opened(services, county["cadre"], anonymous=True)
    people = [county["en"], county["zh"]]
    for person in people:
        await consult.submit(person.user_id, cid, {**ANSWERS, "4": f"note of {person.user_id}"})
    with pytest.raises(Invalid) as again:
        await consult.submit(county["en"].user_id, cid, ANSWERS)
    assert again.value.key == "consult.anonymous_final"
    with pytest.raises(Invalid):
        await consult.begin_answering(county["en"].user_id, cid)
    # Every table that mentions a submission's id names no person, and no table that names a
    # person mentions a submission: the only trace of a resident is the roll (that they took part).
    async with services.ctx.db.read() as session:
        ids = [r[0] for r in (await session.execute(text("SELECT id FROM consult_submissions")))]
        assert len(ids) == 2
        assert (await session.execute(text("SELECT count(*) FROM consult_named"))).scalar() == 0
        for table in SQLModel.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            dump = repr(rows)
            for sid in ids:
                if table.name != "consult_submissions":
                    assert sid not in dump, table.name
            if table.name == "consult_submissions":
                assert set(table.c.keys()) == {"id", "consultation_id", "answers"}
    # The export has no person column.
    book = load_workbook(io.BytesIO(await consult.export(county["cadre"].user_id, cid, "en")))
    sheet = book.active
    assert sheet.cell(1, 1).value == "What first?"
    assert sheet.max_row == 3


async def test_results_and_export_for_the_author_refused_to_another_point(
    services: Services, county: dict
) -> None:
    consult, cid = await opened(services, county["cadre"])
    await consult.submit(county["en"].user_id, cid, ANSWERS)
    await consult.submit(county["zh"].user_id, cid, {"0": 1, "2": 2, "4": "更多路灯"})
    results = await consult.results(county["cadre"].user_id, cid, "en")
    assert "Answered: 2" in results and "50% · Lamps (1)" in results and "Average: 3.0" in results
    assert "Lowest 12 · highest 12 · average 12" in results
    assert "中文" not in results
    zh = await consult.results(county["admin"].user_id, cid, "zh_Hans")
    assert "路灯" in zh and "平均分" in zh
    for outsider in (county["other_cadre"], county["en"]):
        with pytest.raises((NotFound, NotAllowed)):
            await consult.results(outsider.user_id, cid, "en")
        with pytest.raises((NotFound, NotAllowed)):
            await consult.close(outsider.user_id, cid, {"en": "x"}, 0)
    sheet = load_workbook(io.BytesIO(await consult.export(None, cid, "en"))).active
    assert [c.value for c in sheet[1]][:2] == ["Resident", "What first?"]
    assert sorted(str(sheet.cell(r, 1).value) for r in (2, 3)) == ["Ann", "Zhang San"]


async def test_a_cadre_may_not_consult_another_point(services: Services, county: dict) -> None:
    consult = Consultations(services.ctx)
    form = form_of(services, top='points = ["JH02"]\n')
    with pytest.raises(NotAllowed) as refused:
        await consult.create(county["cadre"].user_id, form)
    assert refused.value.key == "consult.point_code_refused"
    with pytest.raises(NotAllowed):
        await consult.create(county["en"].user_id, form_of(services))


async def test_invitations_reach_each_resident_once_in_their_language_after_a_kill(
    services: Services, county: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Consultations(services.ctx, chunk_size=1, first_window=1)
    cid = await first.create(county["cadre"].user_id, form_of(services))

    def boom(*_: object) -> None:
        raise RuntimeError("killed")

    await first.tick()  # opens; queues the first resident
    assert len(await outbox(services, f"consult{cid}:invite:")) == 1
    with monkeypatch.context() as patch:
        patch.setattr(ledger, "max_outbox_id", boom)
        await first.tick()  # the next chunk dies before it commits (logged, retried)
    assert len(await outbox(services, f"consult{cid}:invite:")) == 1
    again = Consultations(services.ctx, chunk_size=1, first_window=1)  # a new process
    for _ in range(6):
        await deliver(services)
        await again.tick()
    rows = await outbox(services, f"consult{cid}:invite:")
    assert sorted(r.recipient_user_id for r in rows) == sorted(
        [county["en"].user_id, county["zh"].user_id]
    )
    texts = {r.recipient_user_id: r.payload["text"] for r in rows}
    assert "Xinhua Street" in texts[county["en"].user_id]
    assert "新华街" in texts[county["zh"].user_id]
    async with services.ctx.db.read() as session:
        run = (await session.execute(select(ConsultRun))).scalar_one()
    assert run.finished_at is not None and run.sent == 2


async def test_the_reminder_goes_once_to_those_who_have_not_answered(
    services: Services, county: dict
) -> None:
    consult, cid = await opened(services, county["cadre"])
    await consult.submit(county["en"].user_id, cid, ANSWERS)
    clock: Any = services.ctx.clock
    closes = (await consult.begin_answering(county["zh"].user_id, cid)).consultation.closes_at
    clock.advance(seconds=(closes - clock.now()).total_seconds() - 3600)
    for _ in range(2):
        await services.reminders.tick()
        await consult.tick()
    clock.advance(minutes=10)
    await services.reminders.tick()
    await consult.tick()
    rows = await outbox(services, f"consult{cid}:remind:")
    assert [r.recipient_user_id for r in rows] == [county["zh"].user_id]
    assert (
        "has not reached us" in (await outbox(services, f"consult{cid}:remind:"))[0].payload["text"]
        or "还没有收到" in rows[0].payload["text"]
    )


async def test_the_outcome_goes_to_everyone_who_answered(services: Services, county: dict) -> None:
    consult, cid = await opened(services, county["cadre"], anonymous=True)
    await consult.submit(county["en"].user_id, cid, ANSWERS)
    with pytest.raises(Invalid):
        await consult.close(county["cadre"].user_id, cid, {"en": "Lamps first."}, 5)
    await consult.close(
        county["cadre"].user_id, cid, {"en": "Lamps first.", "zh_Hans": "先装路灯。"}, 1
    )
    with pytest.raises(Invalid):
        await consult.close(county["cadre"].user_id, cid, {"en": "Again"}, 1)
    for _ in range(3):
        await deliver(services)
        await consult.tick()
    rows = await outbox(services, f"consult{cid}:outcome:")
    assert [r.recipient_user_id for r in rows] == [county["en"].user_id]
    assert "Lamps first." in rows[0].payload["text"]
    lines = await consult.for_resident(county["zh"].user_id)
    assert [(line.received, line.adopted, line.has_outcome) for line in lines] == [(1, 1, True)]
    with pytest.raises(Invalid):
        await consult.submit(county["zh"].user_id, cid, ANSWERS)
    _ = timedelta
