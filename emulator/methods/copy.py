"""Copying and forwarding messages the bot can see."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from emulator.errors import ApiError, bad_request
from emulator.markup import parse_markup
from emulator.methods.registry import method
from emulator.models import Conversation, StoredMessage
from emulator.outgoing import (
    CONTENT_KEYS,
    MEDIA_KEYS,
    caption_content,
    post,
    reply_target,
)
from emulator.params import Params
from emulator.world import BotState, World


def _source(conversation: Conversation, message_id: int, verb: str) -> StoredMessage:
    stored = conversation.find(message_id)
    if stored is None:
        raise bad_request(f"message to {verb} not found")
    done = "copied" if verb == "copy" else "forwarded"
    # Protected content stays where it is; service messages have no content to pass on.
    if stored.data.get("has_protected_content") or not any(
        key in stored.data for key in CONTENT_KEYS
    ):
        raise bad_request(f"message can't be {done}")
    return stored


def _content(stored: StoredMessage) -> dict[str, Any]:
    return {key: stored.data[key] for key in CONTENT_KEYS if key in stored.data}


def _copy_content(stored: StoredMessage, p: Params, world: World) -> dict[str, Any]:
    content = _content(stored)
    if not any(key in content for key in MEDIA_KEYS):
        return content
    if "caption" in p or p.flag("remove_caption"):
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.pop("show_caption_above_media", None)
        if not p.flag("remove_caption"):
            content.update(caption_content(p, world))
    return content


def _origin(stored: StoredMessage) -> dict[str, Any]:
    origin = stored.data.get("forward_origin")
    if isinstance(origin, dict):
        return origin
    return {"type": "user", "date": stored.data["date"], "sender_user": stored.data["from"]}


def _message_ids(p: Params) -> list[int]:
    ids = p.array("message_ids") or []
    if not 1 <= len(ids) <= 100 or not all(isinstance(i, int) for i in ids):
        raise bad_request("message_ids must contain 1-100 message identifiers")
    if any(b <= a for a, b in pairwise(ids)):
        raise bad_request("message identifiers must be in a strictly increasing order")
    return ids


@method("copyMessage")
def copy_message(world: World, bot: BotState, p: Params) -> dict[str, int]:
    conversation = world.writable(bot, p.chat_id())
    source = world.lookup(bot, p.chat_id("from_chat_id"))
    stored = _source(source, p.required_integer("message_id"), "copy")
    content = _copy_content(stored, p, world)
    markup = parse_markup(p.get("reply_markup"))
    reply_to = reply_target(conversation, p)
    world.admit(bot, conversation)
    data = post(world, bot, conversation, p, content, markup=markup, reply_to=reply_to)
    return {"message_id": data["message_id"]}


@method("forwardMessage")
def forward_message(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    conversation = world.writable(bot, p.chat_id())
    source = world.lookup(bot, p.chat_id("from_chat_id"))
    stored = _source(source, p.required_integer("message_id"), "forward")
    content = {**_content(stored), "forward_origin": _origin(stored)}
    world.admit(bot, conversation)
    return post(world, bot, conversation, p, content)


def _many(world: World, bot: BotState, p: Params, verb: str) -> list[dict[str, int]]:
    conversation = world.writable(bot, p.chat_id())
    source = world.lookup(bot, p.chat_id("from_chat_id"))
    found: list[StoredMessage] = []
    for message_id in _message_ids(p):
        try:
            found.append(_source(source, message_id, verb))
        except ApiError:
            # Telegram skips messages it cannot find or copy.
            continue
    if not found:
        raise bad_request(f"message to {verb} not found")
    world.admit(bot, conversation, len(found))
    return [_repost(world, bot, conversation, p, stored, verb) for stored in found]


def _repost(
    world: World,
    bot: BotState,
    conversation: Conversation,
    p: Params,
    stored: StoredMessage,
    verb: str,
) -> dict[str, int]:
    if verb == "copy":
        content = _content(stored)
        if p.flag("remove_caption"):
            for key in ("caption", "caption_entities", "show_caption_above_media"):
                content.pop(key, None)
    else:
        content = {**_content(stored), "forward_origin": _origin(stored)}
    group = stored.data.get("media_group_id")
    data = post(
        world,
        bot,
        conversation,
        p,
        content,
        media_group_id=f"{group}{conversation.chat.id}" if isinstance(group, str) else None,
    )
    return {"message_id": data["message_id"]}


@method("copyMessages")
def copy_messages(world: World, bot: BotState, p: Params) -> list[dict[str, int]]:
    return _many(world, bot, p, "copy")


@method("forwardMessages")
def forward_messages(world: World, bot: BotState, p: Params) -> list[dict[str, int]]:
    return _many(world, bot, p, "forward")
