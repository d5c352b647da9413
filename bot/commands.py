"""The command menus residents see by default, in each language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats

from models.enums import Role
from services.commands import command_list
from services.texts import Texts

TELEGRAM_LANGUAGE = {"zh_Hans": "zh", "en": "en"}


async def set_default_commands(bot: Bot, texts: Texts, default_locale: str) -> None:
    scope = BotCommandScopeAllPrivateChats()
    for locale in texts.locales:
        commands = [
            BotCommand(command=c, description=d)
            for c, d in command_list(texts, locale, Role.RESIDENT)
        ]
        await bot.set_my_commands(commands, scope=scope, language_code=TELEGRAM_LANGUAGE[locale])
        if locale == default_locale:
            await bot.set_my_commands(commands, scope=scope)
