"""Methods that create a message: text, media, places, contacts, albums."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.errors import bad_request
from emulator.formatting import format_text
from emulator.methods.registry import method
from emulator.models import Conversation
from emulator.outgoing import (
    caption_content,
    media_object,
    post,
    reply_target,
    resolve_file,
    send,
)
from emulator.params import Params
from emulator.world import BotState, World


@method("sendMessage")
def send_message(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    def build(conversation: Conversation) -> dict[str, Any]:
        text, entities = format_text(
            p.text("text"),
            p.string("parse_mode"),
            p.array("entities"),
            resolve_user=world.resolve_user,
        )
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        return content

    return send(world, bot, p, build)


def _media_sender(kind: str) -> Callable[[World, BotState, Params], dict[str, Any]]:
    def handler(world: World, bot: BotState, p: Params) -> dict[str, Any]:
        def build(conversation: Conversation) -> dict[str, Any]:
            stored = resolve_file(world, p, kind, p.get(kind))
            content: dict[str, Any] = {kind: media_object(kind, stored, p)}
            if kind not in {"sticker", "video_note"}:
                content.update(caption_content(p, world))
            if p.flag("has_spoiler") and kind in {"photo", "video"}:
                content["has_media_spoiler"] = True
            if p.flag("show_caption_above_media") and "caption" in content:
                content["show_caption_above_media"] = True
            return content

        return send(world, bot, p, build)

    return handler


for _kind in ("photo", "video", "voice", "audio", "document", "sticker", "animation"):
    method(f"send{_kind.capitalize()}")(_media_sender(_kind))
method("sendVideoNote")(_media_sender("video_note"))


def _coordinates(p: Params) -> dict[str, Any]:
    latitude, longitude = p.number("latitude"), p.number("longitude")
    if latitude is None or not -90 <= latitude <= 90:
        raise bad_request("wrong latitude specified")
    if longitude is None or not -180 <= longitude <= 180:
        raise bad_request("wrong longitude specified")
    return {"latitude": latitude, "longitude": longitude}


@method("sendLocation")
def send_location(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    def build(conversation: Conversation) -> dict[str, Any]:
        location = _coordinates(p)
        accuracy = p.number("horizontal_accuracy")
        if accuracy is not None:
            location["horizontal_accuracy"] = accuracy
        for name in ("live_period", "heading", "proximity_alert_radius"):
            value = p.integer(name)
            if value is not None:
                location[name] = value
        return {"location": location}

    return send(world, bot, p, build)


@method("sendVenue")
def send_venue(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    def build(conversation: Conversation) -> dict[str, Any]:
        location = _coordinates(p)
        venue = {"location": location, "title": p.text("title"), "address": p.text("address")}
        return {"venue": venue, "location": location}

    return send(world, bot, p, build)


@method("sendContact")
def send_contact(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    def build(conversation: Conversation) -> dict[str, Any]:
        contact = {"phone_number": p.text("phone_number"), "first_name": p.text("first_name")}
        for name in ("last_name", "vcard"):
            value = p.string(name)
            if value:
                contact[name] = value
        return {"contact": contact}

    return send(world, bot, p, build)


_ALBUM_KINDS = frozenset({"photo", "video", "audio", "document"})


@method("sendMediaGroup")
def send_media_group(world: World, bot: BotState, p: Params) -> list[dict[str, Any]]:
    conversation = world.writable(bot, p.chat_id())
    items = p.array("media") or []
    if not 2 <= len(items) <= 10:
        raise bad_request("wrong number of media items specified: must be between 2 and 10")
    contents = [_album_item(world, p, item) for item in items]
    kinds = {next(iter(k for k in _ALBUM_KINDS if k in c)) for c in contents}
    if len(kinds) > 1 and not kinds <= {"photo", "video"}:
        # Audio files and documents only form albums with their own kind.
        raise bad_request("can't mix audio or document files with other media in an album")
    reply_to = reply_target(conversation, p)
    world.admit(bot, conversation, len(contents))
    group_id = str(10_000_000_000_000_000 + world.sequence())
    return [
        post(world, bot, conversation, p, content, reply_to=reply_to, media_group_id=group_id)
        for content in contents
    ]


def _album_item(world: World, p: Params, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or item.get("type") not in _ALBUM_KINDS:
        raise bad_request("unsupported media type in the album")
    kind = str(item["type"])
    stored = resolve_file(world, p, kind, item.get("media"))
    content: dict[str, Any] = {kind: media_object(kind, stored)}
    caption = item.get("caption")
    if isinstance(caption, str) and caption:
        text, entities = format_text(
            caption,
            item.get("parse_mode"),
            item.get("caption_entities"),
            caption=True,
            resolve_user=world.resolve_user,
        )
        if text:
            content["caption"] = text
        if entities:
            content["caption_entities"] = entities
    if item.get("has_spoiler") is True and kind in {"photo", "video"}:
        content["has_media_spoiler"] = True
    return content
