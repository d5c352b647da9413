"""bench/report.py at its smoke size: seeds, renders, and its figures add up. No speed asserted."""

from __future__ import annotations

from pathlib import Path

from tests.bench.test_bench_smoke import smoke


def test_report_bench_smoke(tmp_path: Path) -> None:
    report = smoke("report.py", tmp_path / "report.json", "--only", "sqlite", "--case-rows", "100")
    chat, cli = report["results"]
    assert (chat["made_as"], cli["made_as"]) == ("chat", "cli")
    for result in (chat, cli):
        assert result["charts"] == 7 and result["workbook_bytes"] > 0
        assert 200 < result["filed"] < 300  # November's share of 3,000 cases over the year
    assert chat["case_rows"] == 100 < chat["cases_total"]  # the chat's sheet is capped
    assert cli["case_rows"] == cli["cases_total"] == chat["cases_total"]
