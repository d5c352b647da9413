"""Issue 15, CPU per answer: through the real dispatcher, each update of a resident's answering
reads the consultation once (the handler passes what it read along; the form itself comes from
the per-process cache)."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import World, join_staff, load_points, register_resident, t
from tests.integration.test_consultations_flow import FORM
from tests.unit.test_consult_form_cache import statements


def _reads(seen: list[str]) -> int:
    return sum(1 for s in seen if s.lstrip().upper().startswith("SELECT") and "consultations" in s)


async def test_each_answering_update_reads_the_consultation_once(world: World) -> None:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Zhang", "en")
    await register_resident(res)
    closes = (world.app.services.ctx.clock.now() + timedelta(days=20)).strftime("%Y-%m-%d 18:00")
    await cadre.send("/consult")
    await cadre.send(FORM.replace("{closes}", closes))
    await cadre.press(t("en", "consult.btn_send"))
    for _ in range(3):
        await world.app.services.consultations.tick()
        await world.settle()
    invite = next(m for m in res.bot_messages() if "Street lamps" in (m.get("text") or ""))
    await res.press(t("en", "consult.btn_answer"), invite)
    steps = [
        lambda: res.press("Lamps"),  # a single choice
        lambda: res.press("Paint"),  # a tick in a multiple choice
        lambda: res.press(t("en", "consult.btn_done")),
        lambda: res.press("4"),  # the scale
        lambda: res.send("12"),  # a typed number
        lambda: res.press(t("en", "btn.back")),
    ]
    for step in steps:
        with statements(world.app.services) as seen:  # type: ignore[arg-type]
            await step()
        assert _reads(seen) == 1, seen
    assert "How many lamps?" in res.last_text()
