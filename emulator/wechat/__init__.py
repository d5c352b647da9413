"""A local WeChat Official Account platform: the API the bot calls, the people who follow the
account, and the pushes WeChat makes to the account's callback URL (safe mode, retries).

Beside the Telegram emulator and independent of it: what the WeChat channel is tested against.
"""

from emulator.wechat.platform import Account, Platform, WeChatError
from emulator.wechat.runner import RunningWeChat, start_wechat

__all__ = ["Account", "Platform", "RunningWeChat", "WeChatError", "start_wechat"]
