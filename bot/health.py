"""Health and readiness: alive, and able to reach the database (and Redis when used)."""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import text

from bot.factory import App

log = logging.getLogger(__name__)


def health_routes(app: App) -> list[web.RouteDef]:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        try:
            async with app.db.read() as session:
                await session.execute(text("SELECT 1"))
            if app.redis is not None:
                await app.redis.ping()
        except Exception as exc:
            log.warning("not ready: %s", type(exc).__name__)
            return web.json_response({"status": "not ready"}, status=503)
        return web.json_response({"status": "ready"})

    return [web.get("/healthz", healthz), web.get("/readyz", readyz)]
