"""A local Telegram Bot API emulator with simulated people and a web chat page.

Good enough to demo the bot, test it end to end over real HTTP and benchmark it; see
docs/emulator.md.
"""

from emulator.config import BotConfig, EmulatorConfig, LimitsConfig, WebhookConfig
from emulator.contents import AlbumItem, Attachment
from emulator.core import Emulator, Violation
from emulator.errors import ApiResponse
from emulator.page import PageSettings
from emulator.params import UploadedFile
from emulator.runner import RunningEmulator, start_emulator
from emulator.server import create_app

__all__ = [
    "AlbumItem",
    "ApiResponse",
    "Attachment",
    "BotConfig",
    "Emulator",
    "EmulatorConfig",
    "LimitsConfig",
    "PageSettings",
    "RunningEmulator",
    "UploadedFile",
    "Violation",
    "WebhookConfig",
    "create_app",
    "start_emulator",
]
