"""The bot itself: getMe, logOut, close, its commands and its menu button."""

from __future__ import annotations

from typing import Any

from emulator.commands import language, scope_key
from emulator.errors import bad_request
from emulator.methods.registry import method
from emulator.params import Params
from emulator.world import BotState, World


@method("getMe")
def get_me(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    return {
        **bot.user.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": not bot.config.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut")
def log_out(world: World, bot: BotState, p: Params) -> bool:
    # Nothing to hand over to a local server: the emulator is the only server.
    return True


@method("close")
def close(world: World, bot: BotState, p: Params) -> bool:
    return True


def _scope(p: Params) -> tuple[tuple[str | int, ...], str]:
    lang = p.string("language_code") or ""
    if lang and (len(lang) != 2 or not lang.isalpha()):
        raise bad_request("invalid language code specified")
    return scope_key(p.mapping("scope")), language(lang)


@method("setMyCommands")
def set_my_commands(world: World, bot: BotState, p: Params) -> bool:
    commands = p.array("commands")
    if commands is None:
        raise bad_request("commands is empty")
    scope, lang = _scope(p)
    bot.commands.set(scope, lang, commands)
    return True


@method("getMyCommands")
def get_my_commands(world: World, bot: BotState, p: Params) -> list[dict[str, str]]:
    scope, lang = _scope(p)
    return bot.commands.get(scope, lang)


@method("deleteMyCommands")
def delete_my_commands(world: World, bot: BotState, p: Params) -> bool:
    scope, lang = _scope(p)
    bot.commands.delete(scope, lang)
    return True


_MENU_TYPES = frozenset({"commands", "web_app", "default"})


@method("setChatMenuButton")
def set_chat_menu_button(world: World, bot: BotState, p: Params) -> bool:
    chat_id = p.integer("chat_id")
    if chat_id is not None:
        world.lookup(bot, chat_id)
    button = p.mapping("menu_button") or {"type": "default"}
    if button.get("type") not in _MENU_TYPES:
        raise bad_request("unsupported menu button type")
    bot.menu_buttons[chat_id] = button
    return True


@method("getChatMenuButton")
def get_chat_menu_button(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    chat_id = p.integer("chat_id")
    button = bot.menu_buttons.get(chat_id)
    if button is None or button.get("type") == "default":
        # A chat without its own button shows the bot's default, which defaults to commands.
        fallback = bot.menu_buttons.get(None) if chat_id is not None else None
        return fallback or {"type": "commands"}
    return button
