"""Issue 15, CPU per answer: each step of a resident's answering reads from the database only
what changes (the status, the resident's point, whether they answered) in one query; the form
comes from the per-process cache. A closing is seen at the next step, and a different
consultation under the same id is never served from an old entry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text

from services.app import Services
from services.errors import Invalid, NotFound
from tests.unit.test_consultations import ANSWERS, county, opened, services  # noqa: F401


@contextmanager
def statements(app: Services) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = app.ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _selects(seen: list[str]) -> list[str]:
    return [s for s in seen if re.match(r"\s*SELECT", s, re.I)]


async def test_a_step_reads_the_consultation_once_and_the_form_from_the_cache(
    services: Services,  # noqa: F811
    county: dict,  # noqa: F811
) -> None:
    consult, cid = await opened(services, county["cadre"])
    zh = county["zh"].user_id
    first = await consult.begin_answering(zh, cid)
    assert [q.kind for q in first.questions] == ["single", "multiple", "scale", "number", "text"]
    with statements(services) as seen:
        again = await consult.begin_answering(zh, cid, earlier=False)
    assert len(_selects(seen)) == 1, seen  # status, point, answered: nothing else
    assert again.consultation is first.consultation  # the same parsed form
    assert consult.forms.hits >= 1
    # Submitting uses it too: one read, then the writes.
    with statements(services) as seen:
        assert await consult.submit(zh, cid, ANSWERS) == "new"
    assert len(_selects(seen)) == 1, seen


async def test_what_changes_is_seen_at_the_next_step(
    services: Services,  # noqa: F811
    county: dict,  # noqa: F811
) -> None:
    consult, cid = await opened(services, county["cadre"])
    zh, far = county["zh"].user_id, county["far"].user_id
    await consult.begin_answering(zh, cid)
    with pytest.raises(NotFound):  # the cache does not let another point's resident in
        await consult.begin_answering(far, cid)
    await consult.close(county["cadre"].user_id, cid, {"en": "Lamps first."}, 0)
    with pytest.raises(Invalid) as closed:
        await consult.begin_answering(zh, cid)
    assert closed.value.key == "consult.closed"


async def test_another_consultation_under_the_same_id_is_not_served_from_the_cache(
    services: Services,  # noqa: F811
    county: dict,  # noqa: F811
) -> None:
    consult, cid = await opened(services, county["cadre"])
    zh = county["zh"].user_id
    assert (await consult.begin_answering(zh, cid)).questions[0].kind == "single"
    # The database is restored from elsewhere: the same id is another consultation now.
    later = services.ctx.clock.now().replace(microsecond=1)
    async with services.ctx.db.write() as session:
        await session.execute(
            text("UPDATE consultations SET questions = :q, created_at = :at WHERE id = :id"),
            {
                "q": '[{"kind": "scale", "required": true, "text": {"en": "How?"}}]',
                "at": later,
                "id": cid,
            },
        )
    begun = await consult.begin_answering(zh, cid)
    assert [q.kind for q in begun.questions] == ["scale"]
