"""Router-level gates: who may enter, and which menu button was pressed."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject

from bot.keyboards import MENU_KEYS
from models.enums import Role
from services.app import Services
from services.people import Actor


class HasRole(Filter):
    """The actor holds one of ``roles`` (None stands for someone not registered yet)."""

    def __init__(self, *roles: Role | None) -> None:
        self.roles = roles

    async def __call__(self, event: TelegramObject, actor: Actor | None = None, **_: Any) -> bool:
        return actor is not None and actor.role in self.roles


class Registered(Filter):
    async def __call__(self, event: TelegramObject, actor: Actor | None = None, **_: Any) -> bool:
        return actor is not None and actor.registered


class MenuButton(Filter):
    """A reply-keyboard button, recognised by its label in either language."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def __call__(self, message: Message, services: Services, **_: Any) -> bool:
        return services.texts.matches(self.key, message.text)


class NotMenuButton(Filter):
    """Anything but a reply-keyboard button of any role, in either language: content
    handlers take only these, so pressing the menu in the middle of a step never becomes
    part of a case."""

    async def __call__(self, message: Message, services: Services, **_: Any) -> bool:
        return not services.texts.matches_any(MENU_KEYS, message.text)
