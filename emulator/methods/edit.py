"""Changing what was sent: edits, deletions, and answers to button presses."""

from __future__ import annotations

from typing import Any

from emulator.errors import bad_request
from emulator.formatting import format_text
from emulator.markup import parse_markup
from emulator.methods.registry import method
from emulator.models import Conversation, StoredMessage
from emulator.outgoing import MEDIA_KEYS
from emulator.params import Params
from emulator.world import BotState, World

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


def _target(world: World, bot: BotState, p: Params) -> tuple[Conversation, StoredMessage]:
    if p.string("inline_message_id"):
        # The emulator has no inline mode, so no inline message can exist.
        raise bad_request("MESSAGE_ID_INVALID")
    conversation = world.writable(bot, p.chat_id())
    stored = conversation.find(p.required_integer("message_id"))
    if stored is None:
        raise bad_request("message to edit not found")
    if not stored.from_bot:
        raise bad_request("message can't be edited")
    return conversation, stored


def _apply(
    world: World,
    bot: BotState,
    conversation: Conversation,
    stored: StoredMessage,
    changes: dict[str, Any],
    p: Params,
) -> dict[str, Any]:
    """Replace the changed fields and the inline keyboard (omitted markup removes it)."""
    markup = parse_markup(p.get("reply_markup"), inline_only=True)
    keyboard = markup.inline if markup is not None else None
    old = stored.data
    updated = {k: v for k, v in old.items() if k not in changes and k != "reply_markup"}
    updated.update({k: v for k, v in changes.items() if v})
    if keyboard is not None:
        updated["reply_markup"] = keyboard
    comparable = set(changes) | {"reply_markup"}
    if all(old.get(k) == updated.get(k) for k in comparable):
        raise bad_request(NOT_MODIFIED)
    updated["edit_date"] = world.now()
    world.replace_message(bot, conversation, stored, updated)
    return updated


@method("editMessageText")
def edit_message_text(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    conversation, stored = _target(world, bot, p)
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = format_text(
        p.text("text"), p.string("parse_mode"), p.array("entities"), resolve_user=world.resolve_user
    )
    return _apply(world, bot, conversation, stored, {"text": text, "entities": entities}, p)


@method("editMessageCaption")
def edit_message_caption(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    conversation, stored = _target(world, bot, p)
    if not any(key in stored.data for key in MEDIA_KEYS):
        raise bad_request("there is no caption in the message to edit")
    caption, entities = format_text(
        p.string("caption") or "",
        p.string("parse_mode"),
        p.array("caption_entities"),
        caption=True,
        resolve_user=world.resolve_user,
    )
    changes = {
        "caption": caption,
        "caption_entities": entities,
        "show_caption_above_media": p.flag("show_caption_above_media"),
    }
    return _apply(world, bot, conversation, stored, changes, p)


@method("editMessageReplyMarkup")
def edit_message_reply_markup(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    conversation, stored = _target(world, bot, p)
    return _apply(world, bot, conversation, stored, {}, p)


def _delete(world: World, bot: BotState, conversation: Conversation, message_id: int) -> bool:
    stored = conversation.find(message_id)
    if stored is None:
        return False
    chat = conversation.chat
    if chat.is_group and not stored.from_bot and chat.members.get(bot.id) != "administrator":
        raise bad_request("message can't be deleted")
    world.delete_message(bot, conversation, stored)
    return True


@method("deleteMessage")
def delete_message(world: World, bot: BotState, p: Params) -> bool:
    conversation = world.lookup(bot, p.chat_id())
    if not _delete(world, bot, conversation, p.required_integer("message_id")):
        raise bad_request("message to delete not found")
    return True


@method("deleteMessages")
def delete_messages(world: World, bot: BotState, p: Params) -> bool:
    conversation = world.lookup(bot, p.chat_id())
    ids = p.array("message_ids") or []
    if not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1-100 message identifiers")
    for message_id in ids:
        if isinstance(message_id, int):
            _delete(world, bot, conversation, message_id)
    return True


@method("answerCallbackQuery")
def answer_callback_query(world: World, bot: BotState, p: Params) -> bool:
    query = bot.callbacks.get(p.text("callback_query_id"))
    if query is None or query.answered:
        raise bad_request(QUERY_INVALID)
    text = p.string("text") or ""
    if len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    answer = {
        "callback_query_id": query.id,
        "user_id": query.user_id,
        "chat_id": query.chat_id,
        "message_id": query.message_id,
        "text": text,
        "show_alert": p.flag("show_alert"),
        "url": p.string("url"),
        "date": world.now(),
    }
    bot.callback_answers.append(answer)
    world.events.publish("callback_answer", bot=bot.id, **answer)
    return True
