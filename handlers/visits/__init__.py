"""Cadres at their contact points — /visits, check-in and out, past visits, paired households,
reception days — and administrators pairing cadres with households (/pair); one module each.

A cadre on a phone taps "📍 Check in", then "📍 Send my location": the answer says at once
whether the check-in is verified, and while they are on site their keyboard offers
"🚪 Check out". A location shared outside any flow is a check-in too.
"""

from __future__ import annotations

from types import ModuleType

from aiogram import F, Router

from bot.filters import HasRole
from handlers.parts import include_parts
from handlers.visits import (
    card,
    checkins,
    households,
    leftovers,
    pairing,
    past,
    receptions,
)
from models.enums import Role

# In order: the first handler that matches wins; "anything else inside a step" comes last.
PARTS: tuple[ModuleType, ...] = (card, checkins, past, households, receptions, pairing, leftovers)


router = Router(name="visits")
router.message.filter(F.chat.type == "private", HasRole(Role.CADRE, Role.ADMIN))
router.callback_query.filter(HasRole(Role.CADRE, Role.ADMIN))
include_parts(router, PARTS)
