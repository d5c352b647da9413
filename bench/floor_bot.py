"""The framework's floor: a bare aiogram polling bot that sends every text it gets on to one
staff chat — no database, no outbox, no middlewares, no limits, no answer to the sender.

``bench/relay.py`` drives it exactly as it drives ``cpbot run``, through the same emulator, so
the gap between the two is what the Contact Point Bot adds to aiogram. Each resident's texts go
to the staff chat the map file names for them (one per resident, as each resident has a cadre
of their own in the real bot's run):

    .venv/bin/python bench/floor_bot.py --api http://127.0.0.1:PORT --token 1:X --map map.json

``map.json`` is ``{"<resident id>": <staff chat id>, ...}``. Pending updates are dropped at
start; SIGINT or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


def build(staff_of: dict[int, int]) -> Dispatcher:
    dp = Dispatcher()

    @dp.message(F.text)
    async def relay(message: Message, bot: Bot) -> None:
        await bot.send_message(staff_of[message.chat.id], message.text or "")

    return dp


async def main(api: str, token: str, staff_of: dict[int, int]) -> None:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api)))
    dp = build(staff_of)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(dp.stop_polling()))
    await bot.delete_webhook(drop_pending_updates=True)
    await dp.start_polling(bot, handle_signals=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="Bot API base URL (the emulator)")
    parser.add_argument("--token", required=True)
    parser.add_argument("--map", type=Path, required=True, help="JSON: resident id -> staff chat")
    args = parser.parse_args()
    mapping = {int(k): int(v) for k, v in json.loads(args.map.read_text()).items()}
    asyncio.run(main(args.api, args.token, mapping))
