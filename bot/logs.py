"""Logging: plain text for a terminal, one JSON object a line for collectors. No personal data:
log ids and outcomes, never names, phone numbers or message text."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

from sqlalchemy import exc as sa_exc

from bot.settings import Settings


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


OUR_LOGGERS = ("bot", "handlers", "services", "models", "scheduler", "emulator")


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # Our own loggers follow CPBOT_LOG_LEVEL; libraries stay at INFO at most, because at DEBUG
    # they print SQL parameters and request bodies — names, phone numbers, messages.
    level = logging.getLevelName(settings.log_level)
    root.setLevel(max(level, logging.INFO))
    for ours in OUR_LOGGERS:
        logging.getLogger(ours).setLevel(level)
    # httpx (the WeChat API client) logs every request's URL at INFO, and WeChat puts the
    # access token, and in the token request the app secret, in the URL: never in our logs.
    for chatty in ("aiosqlite", "sqlalchemy", "asyncpg", "aiohttp.access", "httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # aiogram logs each update's handling at INFO, and again every exception our own error
    # handler already logged (or, for an update another replica has in hand, expects).
    logging.getLogger("aiogram.event").setLevel(logging.CRITICAL)
    # APScheduler writes two lines for every run of every job at INFO (the notices tick runs
    # each second): its warnings and errors are enough.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))


class Outage:
    """One line when something the process needs stops answering (the database, Redis), one
    when it answers again: not a traceback on every poll while it is down."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self.logger = logger
        self.what = what
        self.down = False
        self._since = 0.0
        self._failures = 0

    def failed(self, exc: BaseException) -> None:
        self._failures += 1
        if self.down:
            return
        self.down = True
        self._since = time.monotonic()
        self.logger.warning(
            "%s is unreachable (%s); retrying quietly until it answers",
            self.what,
            type(exc).__name__,
        )

    def ok(self) -> None:
        if not self.down:
            return
        self.logger.warning(
            "%s answers again after %.0f s (%d failed attempts)",
            self.what,
            time.monotonic() - self._since,
            self._failures,
        )
        self.down = False
        self._failures = 0


def is_unreachable(exc: BaseException) -> bool:
    """The database (or another server) did not answer: a connection refused, reset or timed
    out, the pool exhausted — as opposed to a bug in a statement."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc,
        OSError  # ConnectionError, TimeoutError, refused sockets
        | sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.TimeoutError
        | sa_exc.DisconnectionError,
    ) or (type(exc).__module__.startswith("asyncpg") and "Connection" in type(exc).__name__)


# One per process: the sender and the scheduler report the same outage once.
DATABASE = Outage(logging.getLogger("bot.database"), "the database")
