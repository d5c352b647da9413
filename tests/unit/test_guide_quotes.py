"""The guides' quote parser (tests/guide_quotes.py): what counts as a quote, and how one matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.guide_quotes import Quote, missing, quotes, sections

GUIDE = """# Guide

## First

The bot says "✓ Sent to the resident (case 2026-0042)." and then "⚠️ Case 2026-0042 (…) is
overdue …". Press **✅ Done**. Not quotes: `--at "2026-03-05 09:00"` and

```
"an example block"
```

## 第二节

提示“答复群众时，请点击工单卡片上的“答复”。”，或“该按钮已失效……”。
"""


@pytest.fixture
def guide(tmp_path: Path) -> Path:
    path = tmp_path / "guide.md"
    path.write_text(GUIDE, encoding="utf-8")
    return path


def test_sections_and_their_quotes(guide: Path) -> None:
    assert list(sections(guide)) == ["First", "第二节"]
    found = quotes(guide, "First")
    assert [(q.kind, q.text) for q in found] == [
        ("quote", "✓ Sent to the resident (case 2026-0042)."),
        ("quote", "⚠️ Case 2026-0042 (…) is overdue …"),
        ("bold", "✅ Done"),
    ]
    assert found[1].line == 5
    # Chinese quotes nest; the outer one is the bot's sentence.
    assert [q.text for q in quotes(guide, "第二节")] == [
        "答复群众时，请点击工单卡片上的“答复”。",
        "该按钮已失效……",
    ]


def test_ellipses_numbers_and_line_breaks_are_wildcards() -> None:
    overdue = Quote("⚠️ Case 2026-0042 (…) is overdue …", "quote", 1)
    assert overdue.found_in(["⚠️ Case 2026-0007 (XH01) is\noverdue: it was due by Tue"])
    assert not overdue.found_in(["⚠️ Case 2026-0007 (XH01) is late: it was due by Tue"])
    assert Quote("该按钮已失效……", "quote", 1).found_in(["该按钮已失效，请使用最新消息或菜单。"])


def test_a_drifted_quote_is_reported_and_a_skipped_one_is_not(guide: Path) -> None:
    said = ["✓ Sent to the resident (case 2026-0001).", "✅ Done"]
    checked, absent = missing(guide, "First", said)
    assert len(checked) == 3 and [q.text for q in absent] == ["⚠️ Case 2026-0042 (…) is overdue …"]
    checked, absent = missing(guide, "First", said, skip=["⚠️ Case 2026-0042 (…) is overdue …"])
    assert len(checked) == 2 and absent == []


def test_an_unmatched_quote_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text('## One\n\nA "stray quote here.\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unmatched"):
        quotes(path, "One")
