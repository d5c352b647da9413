"""Serve the WeChat emulator inside another asyncio program (tests, the demo)."""

from __future__ import annotations

from types import TracebackType

from aiohttp import web

from emulator.wechat.api import create_app
from emulator.wechat.page import ChatPage, add_page_routes
from emulator.wechat.platform import Account, Platform
from emulator.wechat.push import Pusher


class RunningWeChat:
    """A started WeChat emulator; ``url`` is the API base the bot is given."""

    def __init__(
        self, platform: Platform, pusher: Pusher, runner: web.AppRunner, url: str, page: ChatPage
    ):
        self.platform = platform
        self.pusher = pusher
        self.page = page  # the chat page at ``url``/
        self.url = url
        self._runner = runner

    async def stop(self) -> None:
        await self.pusher.aclose()
        await self._runner.cleanup()

    async def __aenter__(self) -> RunningWeChat:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


async def start_wechat(
    platform: Platform | Account | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    push_wait: float = 5.0,
) -> RunningWeChat:
    """Serve a WeChat platform on ``host:port`` (0: a free port), its chat page at ``/``."""
    if not isinstance(platform, Platform):
        platform = Platform(platform)
    pusher = Pusher(platform, wait=push_wait)
    page = ChatPage(platform)
    app = create_app(platform, pusher)
    add_page_routes(app, page, pusher)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    bound_host, bound_port = runner.addresses[0][:2]
    return RunningWeChat(platform, pusher, runner, f"http://{bound_host}:{bound_port}", page)
