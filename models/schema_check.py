"""Is an SQLite database already at the newest migration? Answered without importing Alembic
(about a second of start-up), so a command line call on an up-to-date database skips it."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

VERSIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def heads(folder: Path = VERSIONS) -> set[str]:
    """The revisions no other migration builds on (read from the files' text)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in folder.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN.search(text)
        if down is not None:
            parents.update(_QUOTED.findall(down.group(1)))
    return revisions - parents


def sqlite_path(url: str) -> Path | None:
    """The file of an ``sqlite…:///path`` URL (None for memory or other databases)."""
    if not url.startswith("sqlite"):
        return None
    _, _, rest = url.partition(":///")
    rest = rest.split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


def sqlite_at_head(url: str) -> bool:
    """True only when the database file exists and records exactly the newest revisions."""
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        return False
    current = {str(r[0]) for r in rows}
    return bool(current) and current == heads()
