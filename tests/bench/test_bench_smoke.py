"""The benchmarks' smoke sizes: each script runs end to end against the emulator and checks
its own work (every follow-up relayed exactly once, and stored). No speed is asserted.

PostgreSQL and Redis parts run only when CPBOT_TEST_POSTGRES_URL / CPBOT_TEST_REDIS_URL are set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def smoke(script: str, out: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--smoke", "--out", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def test_emulator_ceiling(tmp_path: Path) -> None:
    report = smoke("emulator_ceiling.py", tmp_path / "ceiling.json")
    assert report["results"][0]["requests"] > 0
    assert report["results"][0]["errors"] == 0


def test_relay(tmp_path: Path) -> None:
    report = smoke("relay.py", tmp_path / "relay.json")
    assert report["verified"], report["problems"]
    targets = {run["target"] for run in report["runs"]}
    expected = {"cpbot sqlite", "floor"}
    if os.environ.get("CPBOT_TEST_POSTGRES_URL"):
        expected.add("cpbot postgres")
    assert targets == expected
    for run in report["runs"]:
        assert run["levels"], run["target"]
        for level in run["levels"]:
            assert level["sent"] > 0
            assert level["relayed"] == level["sent"]
            assert level["lost"] == 0
        if run["target"] != "floor":
            sent = sum(level["sent"] for level in run["levels"])
            assert run["stored"]["events"] == sent
            assert run["stored"]["outbox_sent"] == sent
            assert run["filing"]["cases"] > 0
    assert report["ratios"], "cpbot beside the floor"


def test_replicas(tmp_path: Path) -> None:
    if not (os.environ.get("CPBOT_TEST_POSTGRES_URL") and os.environ.get("CPBOT_TEST_REDIS_URL")):
        pytest.skip("CPBOT_TEST_POSTGRES_URL and CPBOT_TEST_REDIS_URL are not both set")
    report = smoke("replicas.py", tmp_path / "replicas.json")
    assert report["verified"], report["problems"]
    (run,) = report["runs"]
    sent = sum(level["sent"] for level in run["levels"])
    assert sent > 0
    assert run["stored"]["events"] == sent
    assert run["stored"]["outbox_sent"] == sent


def test_broadcast(tmp_path: Path) -> None:
    report = smoke("broadcast.py", tmp_path / "broadcast.json")
    assert [run["configured_rate"] for run in report["delivery"]] == [25, 1000]
    for run in report["delivery"]:
        assert run["reached"] == run["residents"] > 0
        assert run["lost"] == run["duplicates"] == 0
        assert run["max_chat_rate"] == 1
        assert run["max_global_rate"] <= run["emulator_limit"]
    (queued,) = report["memory"]
    assert queued["rows"] == queued["residents"]
    assert queued["peak_rss_mb"] > queued["baseline_rss_mb"] > 0
