"""The sender's lean ``sendMessage`` for text rows (issue 13: a notice's CPU per message) puts
on the wire exactly what aiogram's ``Bot.send_message`` would, and reads back the message id."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import LinkPreviewOptions

from bot.keyboards import inline
from bot.sender import text_request
from services.outbox import Button, keyboard_of, text_message


def wire(session: AiohttpSession, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
    """The form fields the session sends for ``method`` (as build_form_data does)."""
    files: dict[str, Any] = {}
    fields = {}
    for key, value in method.model_dump(warnings=False).items():
        prepared = session.prepare_value(value, bot=bot, files=files)
        if prepared:
            fields[key] = prepared
    return fields


def bot_as_made() -> tuple[AiohttpSession, Bot]:
    """A bot with the defaults bot/factory.py gives it."""
    session = AiohttpSession()
    bot = Bot(
        "42:TEST",
        session=session,
        default=DefaultBotProperties(
            parse_mode="HTML", link_preview=LinkPreviewOptions(is_disabled=True)
        ),
    )
    return session, bot


def message_id_read_back(session: AiohttpSession, bot: Bot, method: Any, **extra: Any) -> int:
    """The id the lean request reads from Telegram's answer (the rest is not parsed)."""
    chat = {"id": 1001, "type": "private", "first_name": "R"}
    answer = {
        "ok": True,
        "result": {"message_id": 55, "date": 1767225600, "chat": chat, "text": "x", **extra},
    }
    response = session.check_response(bot, method, 200, json.dumps(answer))
    assert response.result is not None
    return int(response.result.message_id)


@pytest.mark.parametrize(
    "buttons",
    [
        None,
        [[Button("已读 Read", "notice_read", 7), Button("Site", url="https://example.org/a?b=c")]],
        [[Button("One", "open", 1)], [Button("Two", "close", 2)]],
    ],
)
async def test_the_lean_request_sends_what_aiogram_would(buttons: Any) -> None:
    session, bot = bot_as_made()
    # As the row comes back from the database: JSON.
    payload = json.loads(json.dumps(text_message("<b>停水</b> No water & more", buttons)))
    standard = SendMessage(
        chat_id=1001,
        text=payload["text"],
        parse_mode="HTML",
        reply_markup=inline(keyboard_of(payload)),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    for _ in range(2):  # the keyboard built, then from the cache
        lean = text_request(1001, payload)
        assert isinstance(lean, SendMessage)  # held to the limits as any message
        assert wire(session, bot, lean) == wire(session, bot, standard)
    assert message_id_read_back(session, bot, lean) == 55
    await session.close()


@pytest.mark.parametrize(
    "extra",
    [
        {},  # a private chat: every relay's acknowledgement
        {"chat": {"id": -100777, "type": "supergroup", "title": "G"}, "message_thread_id": 9,
         "is_topic_message": True},
        {"business_connection_id": "biz-1"},
    ],
)  # fmt: skip
async def test_the_lean_reply_sends_what_message_reply_would(extra: dict[str, Any]) -> None:
    from aiogram.types import Message

    from bot.sender import reply_request

    session, bot = bot_as_made()
    message = Message.model_validate(
        {
            "message_id": 314,
            "date": 1767225600,
            "chat": {"id": 1001, "type": "private", "first_name": "R"},
            "from": {"id": 1001, "is_bot": False, "first_name": "R"},
            "text": "the follow-up",
            **extra,
        }
    ).as_(bot)
    text = "✓ 已转给 <b>李伟</b> & co"
    lean = reply_request(message, text)
    assert isinstance(lean, SendMessage)  # held to the limits as any message
    assert wire(session, bot, lean) == wire(session, bot, message.reply(text))
    replied = {"message_id": 314, "date": 1767225600, "chat": {"id": 1001, "type": "private"}}
    assert message_id_read_back(session, bot, lean, reply_to_message=replied) == 55
    await session.close()
