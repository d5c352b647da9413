"""``./dev``: a first run says what it is doing, and installing the project warns about nothing.

The stages are checked with a stand-in Python that only records what it is asked to do (the
real set-up takes minutes); the warnings with a real editable install of the project, the way
``./dev`` installs it, into a throwaway environment.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Answers the version check, makes ".venv/bin/python" (itself) for "-m venv", and otherwise
# prints the command it was given, so the test sees each stage's line come before its work.
STUB = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && echo "RAN venv"; exit 0
fi
[ "$1" = "-c" ] && exit 0
echo "RAN $*"
"""


def run_dev(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(folder / "dev"), *args],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "PYTHON": str(folder / "python-stub")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "dev", tmp_path / "dev")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    stub = tmp_path / "python-stub"
    stub.write_text(STUB)
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    return tmp_path


def test_a_first_setup_names_each_stage_before_doing_it(checkout: Path) -> None:
    first = run_dev(checkout, "setup")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    stages = [line.strip() for line in lines if line.startswith("  ")]
    assert [s.split(" ")[0] for s in stages] == ["1/3", "2/3", "3/3"]
    assert lines.index(next(s for s in lines if "1/3" in s)) < lines.index("RAN venv")
    assert lines.index(next(s for s in lines if "3/3" in s)) < next(
        i for i, line in enumerate(lines) if "--editable" in line
    )
    assert lines[-1].startswith("Set up in ")

    again = run_dev(checkout, "setup")
    assert (again.returncode, again.stdout) == (0, ""), "set up already: nothing to say"


def test_installing_the_project_shows_no_warning(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "__pycache__", "*.egg-info", "demo", "build", ".*_cache"
        ),
    )
    target = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
    pip = [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python")]
    done = subprocess.run(
        [*pip, "install", "--quiet", "--no-deps", "--editable", str(project)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if done.returncode != 0 and "Could not find a version" in done.stderr:
        pytest.skip("no package index to build the project with")
    assert done.returncode == 0, done.stderr
    # The machine's own pip settings may warn about themselves; the project's build must not.
    build = [line for line in done.stderr.splitlines() if "Location 'file:" not in line]
    assert not [line for line in build if "warn" in line.lower()], done.stderr
