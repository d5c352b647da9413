"""A transfer's reason stays among the staff notes: the resident sees only that the case
moved and to whom."""

from __future__ import annotations

import pytest

from models.enums import EventType
from services.app import Services
from tests.factories import load_points, resident, staff
from tests.unit.test_cases import file, text


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


async def test_the_transfer_note_is_for_staff_only(services: Services) -> None:
    await load_points(services)
    cadre = await staff(services, "Li Wei")
    colleague = await staff(services, "Wang Fang")
    res = await resident(services, "Zhang")
    filed = await file(services, res, [text(1, res.tg_id, "x")], category="water")
    targets = await services.lifecycle.transfer_targets(cadre.user_id, filed.case.id)
    to = next(x for x in targets if x.kind == "staff" and x.name == "Wang Fang")
    await services.lifecycle.transfer(cadre.user_id, filed.case.id, to, "Zhang handles schools")

    seen = await services.cases.for_resident(res.user_id, filed.case.id)
    moved = [e for e in seen.events if e.type == EventType.TRANSFERRED]
    assert [e.text for e in moved] == ["Wang Fang"]
    assert not any("schools" in (e.text or "") for e in seen.events)

    staff_seen = await services.cases.for_staff(colleague.user_id, filed.case.id)
    notes = [e for e in staff_seen.events if e.internal]
    assert [e.text for e in notes] == ["Zhang handles schools"]
