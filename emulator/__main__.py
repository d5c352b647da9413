"""``python -m emulator --port 8081 --token TOKEN``: run the emulator on its own."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from emulator.config import BotConfig, EmulatorConfig, LimitsConfig, WebhookConfig
from emulator.runner import start_emulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN", help="the bot token to accept")
    parser.add_argument("--username", default="contact_point_bot", help="the bot's @username")
    parser.add_argument("--first-name", default="Contact Point", help="the bot's display name")
    parser.add_argument("--no-limits", action="store_true", help="turn flood control off")
    parser.add_argument("--global-rate", type=int, default=30, help="messages per second")
    parser.add_argument(
        "--webhook-target",
        action="append",
        default=[],
        help="deliver webhook updates to this URL instead (repeat for round-robin replicas)",
    )
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        bots=(BotConfig(args.token, args.username, args.first_name),),
        limits=LimitsConfig(enabled=not args.no_limits, global_per_second=args.global_rate),
        webhook=WebhookConfig(targets=list(args.webhook_target)),
    )


async def serve(args: argparse.Namespace) -> None:
    running = await start_emulator(config_from(args), args.host, args.port)
    sys.stdout.write(
        f"Telegram Bot API emulator for @{args.username} at {running.url}\n"
        f"  chat page:   {running.url}/\n"
        f"  aiogram:     TelegramAPIServer.from_base({running.url!r})\n"
    )
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        # Stop cleanly (ending long polls and event streams) when a supervisor asks.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal_number, stop.set)
    try:
        await stop.wait()
    finally:
        await running.stop()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
