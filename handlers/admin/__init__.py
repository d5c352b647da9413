"""The administrator's menu (/admin): contact points, staff, categories, delivery problems —
one module each, sharing one live menu message (handlers/admin/common.py).

One inline message that each button edits in place; where a step waits for typed input (a
search, a name, a location), the answer comes as a fresh menu message and the old one loses
its buttons, so there is always one live menu. Every button is checked again in the use case:
the data of a button can be forged, and an administrator of one region never reaches another's
points or staff.
"""

from __future__ import annotations

from types import ModuleType

from aiogram import F, Router

from bot.filters import HasRole
from handlers.admin import (
    categories,
    delivery,
    home,
    leftovers,
    new_point,
    points,
    staff,
    visit_rules,
)
from handlers.parts import include_parts
from models.enums import Role

# In order: the first handler that matches wins; "anything else while a step waits" comes last.
PARTS: tuple[ModuleType, ...] = (
    home,
    points,
    new_point,
    staff,
    categories,
    delivery,
    visit_rules,
    leftovers,
)


router = Router(name="admin")
router.message.filter(F.chat.type == "private", HasRole(Role.ADMIN))
router.callback_query.filter(HasRole(Role.ADMIN))
include_parts(router, PARTS)
