"""The fan-out's progress words (issue 18): a ten-second notice took seconds, not "1 min";
counts are written so they read right for one."""

from __future__ import annotations

from services.fanout.wording import duration_text
from services.texts import Texts


def test_the_time_taken_reads_right() -> None:
    texts = Texts()
    assert duration_text(texts, "en", 10.2) == "Took 10 s."
    assert duration_text(texts, "en", 0.1) == "Took 1 s."
    assert duration_text(texts, "en", 61) == "Took about 1 min."
    assert duration_text(texts, "en", 600) == "Took about 10 min."
    assert duration_text(texts, "zh_Hans", 10) == "用时10秒。"


def test_one_linked_group_reads_right() -> None:
    text = Texts()(
        "en",
        "notices.report_done",
        id=1,
        sent=1,
        total=1,
        failed=0,
        blocked=0,
        groups=1,
        reads=0,
        took="Took 3 s.",
    )
    assert "1 groups" not in text and "linked groups posted to: 1" in text
    assert text.endswith("Took 3 s.")
