"""Issue 15: an anonymous answer cannot be traced back to a person in any log. The bot's own
logging (``bot.logs.setup_logging``) at DEBUG and at INFO is captured while a resident answers
an anonymous consultation through the real dispatcher, submits, and the author reads the
results and exports them: no log line holds the answers or the submission's id, so none can
put them next to the resident's id, name or chat."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.logs import setup_logging
from bot.settings import Settings
from models.consultations import ConsultSubmission
from tests.harness import World, join_staff, load_points, register_resident, t

FORM = """
title = "Street lamps"
closes = "{closes}"
anonymous = true

[[questions]]
kind = "single"
text = "What first?"
options = ["Lamps", "Benches"]

[[questions]]
kind = "number"
text = "How many lamps?"

[[questions]]
kind = "text"
text = "Anything else?"
"""
SECRET = "The lamp at gate 7 of Qingyuan lane flickers"
NUMBER = "4817"


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append((record.name, text))


@pytest.fixture(params=["DEBUG", "INFO"])
def captured(request: pytest.FixtureRequest) -> Iterator[Capture]:
    """The bot's logging as it is set up in production at this level, plus a capture."""
    root = logging.getLogger()
    manager = logging.Logger.manager
    levels = {
        name: lg.level for name, lg in manager.loggerDict.items() if isinstance(lg, logging.Logger)
    }
    saved = (root.handlers[:], root.level)
    setup_logging(Settings(log_level=request.param))
    capture = Capture()
    root.addHandler(capture)
    yield capture
    root.handlers[:], root.level = saved
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_an_anonymous_answer_is_in_no_log_line(world: World, captured: Capture) -> None:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    res = world.person("Zhang", "en", "Sanfeng")
    await register_resident(res)
    closes = (world.app.services.ctx.clock.now() + timedelta(days=20)).strftime("%Y-%m-%d 18:00")
    await cadre.send("/consult")
    await cadre.send(FORM.format(closes=closes))
    await cadre.press(t("en", "consult.btn_send"))
    for _ in range(3):
        await world.app.services.consultations.tick()
        await world.settle()
    captured.lines.clear()  # from here on: answering, the results, the export

    invite = next(m for m in res.bot_messages() if "Street lamps" in (m.get("text") or ""))
    await res.press(t("en", "consult.btn_answer"), invite)
    await res.press("Benches")
    await res.send(NUMBER)
    await res.send(SECRET)
    await res.press(t("en", "consult.btn_submit"))
    assert res.last_text() == t("en", "consult.submitted_new")
    await cadre.send("/consults")
    await cadre.press("📊 #1")
    assert "Answered: 1" in cadre.last_text()
    await cadre.press(t("en", "consult.btn_export"))
    async with world.app.db.read() as session:
        [submission] = (await session.execute(select(ConsultSubmission))).scalars().all()
    assert submission.answers["2"] == SECRET  # stored, with no person

    # The capture hears the bot's loggers at the level set up (a probe at that level).
    level = logging.getLogger("services").getEffectiveLevel()
    logging.getLogger("services.consultations.answering").log(level, "probe")
    assert ("services.consultations.answering", "probe") in captured.lines
    bot_lines = [(n, m) for n, m in captured.lines if not n.startswith(("emulator", "tests"))]
    person = (str(res.id), "Zhang", "Sanfeng")
    for name, line in bot_lines:
        about_answer = any(s in line for s in (SECRET, NUMBER, submission.id))
        about_person = any(s in line for s in person)
        assert not about_answer, (name, line)
        assert not (about_answer and about_person), (name, line)
