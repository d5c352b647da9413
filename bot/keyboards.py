"""Keyboards: the reply-keyboard main menu of each role, and inline buttons from services."""

from __future__ import annotations

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.callbacks import pack
from models.enums import Role
from services.outbox import Button, Keyboard
from services.texts import Translator

# Reply-keyboard labels per role; handlers match the text a button sends against these keys.
MENU: dict[Role | None, list[list[str]]] = {
    Role.RESIDENT: [
        ["menu.new_case", "menu.my_cases"],
        ["menu.my_point", "menu.notices"],
        ["menu.tipoff", "menu.language"],
    ],
    Role.CADRE: [
        ["menu.check_in", "menu.visits"],
        ["menu.open_cases", "menu.stats"],
        ["menu.notices", "menu.language", "menu.help"],
    ],
    Role.ADMIN: [
        ["menu.open_cases", "menu.stats"],
        ["menu.admin", "menu.notices"],
        ["menu.language", "menu.help"],
    ],
    Role.INSPECTOR: [["menu.tipoffs"], ["menu.language", "menu.help"]],
}
MENU_KEYS = frozenset(key for rows in MENU.values() for row in rows for key in row)


def main_menu(t: Translator, role: Role | None) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    rows = MENU.get(role)
    if not rows:
        return ReplyKeyboardRemove()
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=t(key)) for key in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )


def inline(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(text=b.label, callback_data=pack(b))
                for b in row
            ]
            for row in keyboard
        ]
    )


def buttons(*rows: list[Button]) -> InlineKeyboardMarkup | None:
    return inline([list(row) for row in rows if row])


def share_location(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=t("reg.share_location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def share_phone(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("reg.share_phone"), request_contact=True)],
            [KeyboardButton(text=t("reg.skip_phone"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
