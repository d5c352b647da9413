"""The implemented Bot API methods; importing the modules registers them in ``method``."""

from emulator.methods import bot, chats, copy, edit, polls, send, updates
from emulator.methods.registry import Described, Entry, MethodTable, method

__all__ = [
    "Described",
    "Entry",
    "MethodTable",
    "bot",
    "chats",
    "copy",
    "edit",
    "method",
    "polls",
    "send",
    "updates",
]
