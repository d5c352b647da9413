"""The notices routers and what their handlers share."""

from __future__ import annotations

from aiogram import F, Router

from bot.filters import HasRole, Registered
from models.enums import Role
from services.notices import (
    CANCELLED,
    SCHEDULED,
    SENDING,
    SENT,
)
from services.outbox import Button
from services.texts import Translator

router = Router(name="notices")


# Anyone registered, in private: /notice (the use case refuses residents), /notices, "Read".
readers = Router(name="notices_readers")
readers.message.filter(F.chat.type == "private", Registered())
readers.callback_query.filter(Registered())

# The compose wizard and a notice's card: cadres and administrators, in private.
compose = Router(name="notices_compose")
compose.message.filter(F.chat.type == "private", HasRole(Role.CADRE, Role.ADMIN))
compose.callback_query.filter(HasRole(Role.CADRE, Role.ADMIN))

# Groups: /link and /unlink, and the bot being removed.
groups = Router(name="notices_groups")
groups.message.filter(F.chat.type.in_({"group", "supergroup"}))
groups.my_chat_member.filter(F.chat.type.in_({"group", "supergroup"}))

router.include_routers(readers, compose, groups)

PAGE = 8
STATUS = {
    SCHEDULED: "notices.status_scheduled",
    SENDING: "notices.status_sending",
    SENT: "notices.status_sent",
    CANCELLED: "notices.status_cancelled",
}


def back(t: Translator, action: str) -> Button:
    return Button(t("btn.back"), action)


def names(t: Translator, items: list[str]) -> str:
    return ("、" if t.locale == "zh_Hans" else ", ").join(items)
