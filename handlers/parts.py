"""Features whose handlers are a package of parts, each with its own router (admin, visits)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

from aiogram import Router


def include_parts(router: Router, parts: Iterable[ModuleType]) -> None:
    """Include each part's router in order. A router belongs to one dispatcher only, so a part
    whose router an earlier dispatcher holds is re-executed for a fresh one (see get_routers)."""
    for module in parts:
        if module.router.parent_router is not None:
            module = importlib.reload(module)
        router.include_router(module.router)
