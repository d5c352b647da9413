"""The pure parts of notices: Markdown files, language sections, times, the progress bar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.errors import Invalid
from services.notices import bar, markdown_to_html, parse_notice_file, parse_when, plain_length

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


def test_markdown_becomes_telegram_html_and_user_text_stays_text() -> None:
    source = (
        "# Water supply <notice>\n"
        "From **Tuesday** the *east* side has ~~no~~ water; see [the map](https://example.org/a?b=1&c=2).\n"
        "- bring a bucket\n"
        "* call `12345` & ask\n"
        "snake_case_words and 2*3*4 stay as they are"
    )
    assert markdown_to_html(source) == (
        "<b>Water supply &lt;notice&gt;</b>\n"
        "From <b>Tuesday</b> the <i>east</i> side has <s>no</s> water; see "
        '<a href="https://example.org/a?b=1&amp;c=2">the map</a>.\n'
        "• bring a bucket\n"
        "• call <code>12345</code> &amp; ask\n"
        "snake_case_words and 2*3*4 stay as they are"
    )
    # Links only to the web or Telegram; anything else stays visible text.
    assert "<a" not in markdown_to_html("[x](javascript:alert(1))")


def test_a_notice_file_has_a_section_per_language() -> None:
    source = "# 停水通知\n周二停水。\n<!-- lang: en -->\n# Water off\nNo water on Tuesday.\n"
    variants = parse_notice_file(source, "zh_Hans")
    assert variants == {
        "zh_Hans": "<b>停水通知</b>\n周二停水。",
        "en": "<b>Water off</b>\nNo water on Tuesday.",
    }
    assert parse_notice_file("Only English.", "en") == {"en": "Only English."}
    with pytest.raises(Invalid) as unknown:
        parse_notice_file("<!-- lang: fr -->\nBonjour", "en")
    assert unknown.value.key == "notices.file_language"
    with pytest.raises(Invalid):
        parse_notice_file("  \n<!-- lang: en -->\n \n", "zh_Hans")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05 09:00", datetime(2026, 3, 5, 1, 0, tzinfo=UTC)),
        ("2026/3/5 9:30", datetime(2026, 3, 5, 1, 30, tzinfo=UTC)),
        ("03-05 18：00", datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
        ("10:15", datetime(2026, 3, 2, 2, 15, tzinfo=UTC)),  # later today
        ("08:00", datetime(2026, 3, 3, 0, 0, tzinfo=UTC)),  # already past today: tomorrow
    ],
)
def test_times_are_read_in_the_points_zone(text: str, expected: datetime) -> None:
    assert parse_when(text, "Asia/Shanghai", NOW) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("tomorrow", "notices.time_format"),
        ("2026-02-30 09:00", "notices.time_format"),
        ("2026-03-01 09:00", "notices.time_past"),
        ("2026-09-01 09:00", "notices.time_too_far"),
    ],
)
def test_bad_times_are_refused_with_a_reason(text: str, key: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_when(text, "Asia/Shanghai", NOW)
    assert refused.value.key == key


def test_length_is_counted_as_telegram_counts_it() -> None:
    assert plain_length("<b>a&amp;b</b>") == 3
    assert bar(0.0) == "░" * 10 and bar(0.55) == "▓" * 6 + "░" * 4 and bar(1.2) == "▓" * 10
