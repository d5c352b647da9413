"""Policy notices: staff compose them (/notice), residents read them (/notices, "Read"), and a
contact point's Telegram group is linked to receive them (/link in the group).

routes.py holds the routers; compose, audience and sending are the wizard's steps and a
notice's card; reading is the residents' side and the groups."""

from __future__ import annotations

import importlib
import sys

from aiogram import Router

_PARTS = ("routes", "compose", "audience", "sending", "reading")


def _load() -> Router:
    """Import the parts (or, when handlers/__init__ reloads this package for a new dispatcher,
    reload them: routes first, so the handlers register on fresh routers)."""
    for name in _PARTS:
        full = f"{__name__}.{name}"
        loaded = sys.modules.get(full)
        if loaded is not None:
            importlib.reload(loaded)
        else:
            importlib.import_module(full)
    routes = sys.modules[f"{__name__}.routes"]
    fresh: Router = routes.router
    return fresh


router = _load()
