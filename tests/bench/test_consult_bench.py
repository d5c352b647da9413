"""bench/consultations.py at its smoke size: every resident invited exactly once through the
emulator with its limits on, every answer given through the bot stored once, and the results
built (themes and a chart). No speed is asserted."""

from __future__ import annotations

from pathlib import Path

from tests.bench.test_bench_smoke import smoke


def test_consultation_bench_smoke(tmp_path: Path) -> None:
    report = smoke("consultations.py", tmp_path / "consultations.json")
    fanout, answers, results = report["fanout"], report["answers"], report["results"]
    assert fanout["lost"] == 0 and fanout["duplicates"] == 0
    assert fanout["reached"] == report["invited"]
    assert answers["failed"] == 0 and answers["answered"] == report["answering"]
    assert answers["stored_submissions"] == answers["stored_roll"] == report["answering"]
    assert results["text_answers"] == report["answering"]
    assert results["themes"] >= 1 and results["charts"] == 1
