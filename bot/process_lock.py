"""One process per SQLite database: a second one is refused at start with a clear message.

SQLite has one writer and this project keeps its per-process state (conversations' locks,
handled updates, sending limits) in memory when there is no Redis; two processes on one file
would share neither. A lock file beside the database makes the rule hold.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import Settings, SettingsError


class ProcessLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SettingsError(
                f"another cpbot process is already running on {self.path.stem}; several "
                "processes need PostgreSQL and Redis (CPBOT_DATABASE_URL, CPBOT_REDIS_URL)"
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def hold_single_process(settings: Settings) -> ProcessLock | None:
    """On SQLite, take the database's process lock (or refuse); elsewhere nothing to hold."""
    if not settings.is_sqlite:
        return None
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        return None
    lock = ProcessLock(Path(database).resolve().with_name(Path(database).name + ".lock"))
    lock.acquire()
    return lock


def require_shared_state(settings: Settings, role: str) -> None:
    """A process that is one of several (a worker, an intake-only replica) needs PostgreSQL
    and Redis: say so before doing anything."""
    if settings.is_sqlite:
        raise SettingsError(
            f"{role} runs beside other processes: set CPBOT_DATABASE_URL to "
            "PostgreSQL (SQLite serves one process)"
        )
    if not settings.redis_url:
        raise SettingsError(f"{role} runs beside other processes: set CPBOT_REDIS_URL")
