"""End to end with a real aiogram Bot over HTTP: its requests conform, its errors map."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyParameters,
)
from emuhelpers import TOKEN, png

from emulator import Emulator
from emulator.runner import RunningEmulator


@pytest.fixture
async def bot(server: RunningEmulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.url))
    async with Bot(TOKEN, session=session) as bot:
        yield bot


async def test_aiogram_talks_to_the_emulator(emu: Emulator, bot: Bot) -> None:
    me = await bot.get_me()
    resident = emu.create_user("Wang", "Fang", language_code="zh-hans")
    emu.user_send(resident["id"], text="/start cp_LANE3")
    [update] = await bot.get_updates(timeout=1)
    assert update.message is not None
    message = update.message

    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="接受", callback_data="case:1:accept")],
            [InlineKeyboardButton(text="Guide", url="https://example.com/guide")],
        ]
    )
    sent = await bot.send_message(
        message.chat.id,
        "<b>已受理</b> case 2026-0001",
        parse_mode="HTML",
        reply_markup=keyboard,
        reply_parameters=ReplyParameters(message_id=message.message_id),
    )
    emu.set_limits(enabled=False)
    photo = await bot.send_photo(
        message.chat.id,
        BufferedInputFile(png(), "poster.png"),
        caption="<i>QR poster</i>",
        parse_mode="HTML",
    )
    menu = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Share phone", request_contact=True)]], resize_keyboard=True
    )
    await bot.send_message(message.chat.id, "Menu", reply_markup=menu)
    query = emu.user_press(resident["id"], None, sent.message_id, "case:1:accept")
    updates = await bot.get_updates(offset=update.update_id + 1, timeout=1)
    await bot.answer_callback_query(query["id"], text="OK")
    edited = await bot.edit_message_text(
        "已完成", chat_id=message.chat.id, message_id=sent.message_id
    )
    assert photo.photo is not None
    file = await bot.get_file(photo.photo[-1].file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)

    assert me.username == "cp_test_bot"
    assert message.text == "/start cp_LANE3"
    assert sent.text == "已受理 case 2026-0001"
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == keyboard.model_dump()
    assert sent.reply_to_message is not None
    assert photo.caption == "QR poster"
    assert updates[0].callback_query is not None
    assert updates[0].callback_query.data == "case:1:accept"
    assert isinstance(edited, type(sent)) and edited.text == "已完成"
    assert downloaded is not None and downloaded.read() == png()
    assert emu.keyboard(resident["id"])["keyboard"] is not None
    assert emu.violations == [], "aiogram's requests and our results conform to the spec"


async def test_aiogram_sees_telegram_errors(emu: Emulator, bot: Bot) -> None:
    user = emu.create_user("Li")
    emu.user_send(user["id"], text="hi")
    await bot.send_message(user["id"], "one")

    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(user["id"], "two")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(42, "nobody")
    emu.user_block_bot(user["id"])
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(user["id"], "three")
    emu.add_fault("getMe", "error", count=1)
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.get_me()
    emu.add_fault("getMe", "drop", count=1)
    with pytest.raises(TelegramNetworkError):
        await bot.get_me()
    assert (await bot.get_me()).id == 123456

    assert flood.value.retry_after == 1
    assert emu.violations == []
