"""`cpbot points import` lists every problem of every row, not only a row's first."""

from __future__ import annotations

import pytest

from services.points import CsvRejected, parse_points_csv

HEADER = "code,name,region,address,lat,lon,tz\n"


def problems_of(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(CsvRejected) as rejected:
        parse_points_csv(HEADER + text)
    return [(p.line, p.column, p.key.removeprefix("points.csv.")) for p in rejected.value.problems]


def test_a_row_with_several_problems_lists_them_all() -> None:
    found = problems_of("XH01,Xinhua,R,A,1,1,UTC\nXH01,,R,A,95,,Mars/X\n")
    assert found == [
        (3, "name", "bad_name"),
        (3, "lat", "out_of_range"),
        (3, "lon", "half_location"),
        (3, "tz", "bad_tz"),
        (3, "code", "duplicate"),
    ]


def test_a_half_location_is_said_beside_other_problems() -> None:
    assert problems_of("bad code,Name,R,A,,2,UTC\n") == [
        (2, "code", "bad_code"),
        (2, "lat", "half_location"),
    ]
