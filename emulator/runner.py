"""Run the emulator's HTTP server inside another asyncio program (tests, e2e, benchmarks)."""

from __future__ import annotations

from types import TracebackType

from aiohttp import web

from emulator.config import EmulatorConfig
from emulator.core import Emulator
from emulator.server import create_app


class RunningEmulator:
    """A started emulator. ``url`` is the base of the Bot API (what aiogram's
    ``TelegramAPIServer.from_base`` takes), the control API and the chat page."""

    def __init__(self, emulator: Emulator, runner: web.AppRunner, url: str) -> None:
        self.emulator = emulator
        self.url = url
        self._runner = runner

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def __aenter__(self) -> RunningEmulator:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


async def start_emulator(
    config: EmulatorConfig | Emulator | None = None, host: str = "127.0.0.1", port: int = 0
) -> RunningEmulator:
    """Serve an emulator on ``host:port`` (port 0 picks a free one) and return its handle."""
    emulator = config if isinstance(config, Emulator) else Emulator(config)
    runner = web.AppRunner(create_app(emulator), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    return RunningEmulator(emulator, runner, f"http://{bound_host}:{bound_port}")
