"""aiogram routers only: parse the event, call a service, render, answer."""

from __future__ import annotations

import importlib
from types import ModuleType

from aiogram import Router

from handlers import (
    admin,
    case_replies,
    common,
    consultations,
    fallback,
    filing,
    inspector,
    membership,
    notices,
    privacy,
    registration,
    reports,
    resident,
    staff,
    staff_lists,
    tipoffs,
    visits,
)

# In order: the first router whose filters match an update handles it.
MODULES: tuple[ModuleType, ...] = (
    case_replies,  # a swipe-reply to a message of a case goes to it, whatever step is open
    membership,
    common,
    privacy,
    registration,
    notices,
    consultations,
    visits,
    admin,
    reports,
    staff_lists,
    staff,
    inspector,
    tipoffs,
    filing,
    resident,
    fallback,
)


def get_routers() -> list[Router]:
    """The routers for one dispatcher.

    A router belongs to one dispatcher only; when another dispatcher is built in the same
    process (tests, several bots) the module is re-executed to get fresh routers, so the
    handlers keep aiogram's usual module-level decorators.
    """
    routers = []
    for module in MODULES:
        if module.router.parent_router is not None:
            module = importlib.reload(module)
        routers.append(module.router)
    return routers
