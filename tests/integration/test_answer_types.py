"""aiogram's answer types are built once per process, not once per call (bot/answer_types.py).

Without that, pydantic's weak cache lets ``Response[Message]`` be collected and rebuilt — about
4 ms each — on most of the bot's calls; this run would rebuild it dozens of times.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pydantic._internal import _generics

from tests.harness import World, file_case, join_staff, load_points, register_resident


async def test_a_busy_conversation_builds_no_answer_type_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: Counter[str] = Counter()
    original = _generics.create_generic_submodel

    def counting(name: str, *args: Any) -> Any:
        built[name] += 1
        return original(name, *args)

    monkeypatch.setattr(_generics, "create_generic_submodel", counting)
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    for n in range(3):
        resident = world.person(f"Resident{n}", "en")
        await register_resident(resident)
        await file_case(resident, "No water")
        for m in range(3):
            await resident.reply(resident.bot_messages()[-1], f"Still none ({m})")
    assert len(cadre.bot_messages()) >= 6  # the bot really talked
    assert built == Counter()
