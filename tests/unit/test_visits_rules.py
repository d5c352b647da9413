"""The calendar rules of visits, without a database: local days, months, pace, parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.errors import Invalid
from services.texts import Texts
from services.visits import (
    CadreRef,
    Compliance,
    ComplianceRow,
    PointRef,
    at_local,
    compliance_lines,
    expected_by,
    local_day,
    month_end_reminder_day,
    months_of_duty,
    obliged,
    parse_day,
    parse_hours,
    split_messages,
    year_target,
)

SHANGHAI, BERLIN = "Asia/Shanghai", "Europe/Berlin"


def test_the_local_day_is_the_points_not_utcs() -> None:
    # 17:00 UTC on 31 March is already 1 April in Shanghai, still 31 March in Berlin.
    moment = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)
    assert local_day(moment, SHANGHAI) == date(2026, 4, 1)
    assert local_day(moment, BERLIN) == date(2026, 3, 31)
    # 22:30 UTC is past midnight in Berlin in summer time (UTC+2).
    assert local_day(datetime(2026, 3, 31, 22, 30, tzinfo=UTC), BERLIN) == date(2026, 4, 1)


def test_a_wall_clock_time_follows_summer_time() -> None:
    assert at_local(date(2026, 1, 15), time(9), BERLIN) == datetime(2026, 1, 15, 8, tzinfo=UTC)
    assert at_local(date(2026, 7, 15), time(9), BERLIN) == datetime(2026, 7, 15, 7, tzinfo=UTC)
    assert at_local(date(2026, 7, 15), time(9), SHANGHAI) == datetime(2026, 7, 15, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("year", "month", "day"),
    [(2026, 1, 29), (2026, 2, 26), (2027, 2, 26), (2028, 2, 27), (2026, 4, 28), (2026, 12, 29)],
)
def test_the_month_end_reminder_falls_three_days_before_the_end(
    year: int, month: int, day: int
) -> None:
    assert month_end_reminder_day(year, month) == date(year, month, day)


def test_duty_starts_with_the_first_full_month() -> None:
    joined = datetime(2026, 3, 10, 2, tzinfo=UTC)
    assert not obliged(joined, SHANGHAI, 2026, 3)
    assert obliged(joined, SHANGHAI, 2026, 4)
    assert months_of_duty(joined, SHANGHAI, 2026, 12) == 9
    # Joining at midnight on the 1st, local time, counts that month.
    first = at_local(date(2026, 5, 1), time(0), SHANGHAI)
    assert obliged(first, SHANGHAI, 2026, 5)
    assert not obliged(first + timedelta(seconds=1), SHANGHAI, 2026, 5)


def test_the_yearly_target_is_prorated_and_the_pace_rounds_down() -> None:
    assert year_target(10, 12) == 10
    assert year_target(10, 9) == 8  # 7.5 rounded up
    assert [expected_by(10, m) for m in range(13)] == [0, 0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("9:30-11:30", (time(9, 30), time(11, 30))),
        ("14-17", (time(14), time(17))),
        ("9：00至12：00", (time(9), time(12))),
        (" 8.15 – 10.45 ", (time(8, 15), time(10, 45))),
    ],
)
def test_hours_as_cadres_type_them(typed: str, expected: tuple[time, time]) -> None:
    assert parse_hours(typed) == expected


@pytest.mark.parametrize("typed", ["12-9", "25:00-26:00", "morning", "9:30", "9:75-10"])
def test_hours_that_make_no_sense_are_refused(typed: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_hours(typed)
    assert refused.value.key == "visits.reception.bad_hours"


def test_days_as_cadres_type_them() -> None:
    today = date(2026, 3, 2)
    assert parse_day("2026-02-27", today) == date(2026, 2, 27)
    assert parse_day("2/27", today) == date(2026, 2, 27)
    assert parse_day("2月27日", today) == date(2026, 2, 27)
    # A short date after today means last year's.
    assert parse_day("12-30", today) == date(2025, 12, 30)
    for bad in ("2026-02-30", "yesterday", "13/1"):
        with pytest.raises(Invalid):
            parse_day(bad, today)


def test_a_long_summary_is_split_between_lines() -> None:
    lines = [f"line {i} " + "x" * 90 for i in range(100)]
    messages = split_messages(lines, limit=1000)
    assert all(len(m) <= 1000 for m in messages)
    assert "\n".join(messages).split("\n") == lines


def test_compliance_lines_mark_who_met_the_rule_in_both_languages() -> None:
    point = PointRef(1, "XH01", "Xinhua Street", "", "Jinghu", SHANGHAI, 300, True)
    empty = PointRef(2, "JH02", "Jinghu Lake", "", "Jinghu", SHANGHAI, 300, True)
    row = dict(point=point, obliged=True, required=1, verified_days=1, year_target=10)
    report = Compliance(
        "Jinghu",
        2026,
        3,
        [
            ComplianceRow(
                cadre=CadreRef(1, "Li Wei", "Deputy"),
                days=2,
                year_days=4,
                year_expected=2,
                pairings=3,
                pairings_contacted=2,
                **row,
            ),
            ComplianceRow(
                cadre=CadreRef(2, "Wang Fang", ""),
                days=0,
                year_days=1,
                year_expected=2,
                pairings=0,
                pairings_contacted=0,
                **row,
            ),
            ComplianceRow(empty, None, False, 1, 0, 0, 0, 0, 0, 0, 0),
        ],
    )
    texts = Texts()
    en = "\n".join(compliance_lines(texts, "en", report))
    assert "March 2026" in en and "Jinghu" in en
    assert "1 of 2 cadres" in en
    assert "✅ Li Wei (Deputy): 2/1 visit days" in en and "households 2/3" in en
    assert "❌ Wang Fang: 0/1" in en and "behind (2 expected)" in en
    assert "Jinghu Lake (JH02)" in en and "No cadre assigned" in en
    zh = "\n".join(compliance_lines(texts, "zh_Hans", report))
    assert "2026年3月走访情况" in zh and "1/2人" in zh and "未安排联系干部" in zh
