"""Building the messages a bot sends: replies, markup, files, and the message itself."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

from emulator.errors import bad_request
from emulator.files import StoredFile
from emulator.formatting import format_text
from emulator.markup import Markup, parse_markup
from emulator.models import Conversation, StoredMessage
from emulator.params import Params, UploadedFile
from emulator.world import BotState, World

_DEFAULT_MIME = {
    "video": "video/mp4",
    "animation": "video/mp4",
    "video_note": "video/mp4",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "document": "application/octet-stream",
}
# Parts of a message that make up its content (what copyMessage copies).
CONTENT_KEYS = (
    "text",
    "entities",
    "photo",
    "video",
    "voice",
    "audio",
    "document",
    "sticker",
    "location",
    "venue",
    "contact",
    "poll",
    "caption",
    "caption_entities",
    "has_media_spoiler",
    "show_caption_above_media",
)
MEDIA_KEYS = ("photo", "video", "voice", "audio", "document", "animation")


def reply_view(stored: StoredMessage) -> dict[str, Any]:
    """A replied-to message as Telegram nests it: without its own reply."""
    return {k: v for k, v in stored.data.items() if k != "reply_to_message"}


def reply_target(conversation: Conversation, p: Params) -> StoredMessage | None:
    """The message a send replies to (reply_parameters, or the legacy reply_to_message_id)."""
    params = p.mapping("reply_parameters")
    if params is not None:
        message_id = params.get("message_id")
        allow_missing = params.get("allow_sending_without_reply") is True
        if params.get("chat_id") not in (None, conversation.chat.id):
            raise bad_request("message to be replied not found")
    else:
        message_id = p.integer("reply_to_message_id")
        allow_missing = p.flag("allow_sending_without_reply")
    if message_id is None:
        return None
    if not isinstance(message_id, int):
        raise bad_request("message to be replied not found")
    stored = conversation.find(message_id)
    if stored is None and not allow_missing:
        raise bad_request("message to be replied not found")
    return stored


def caption_content(p: Params, world: World) -> dict[str, Any]:
    caption = p.string("caption")
    if not caption:
        return {}
    text, entities = format_text(
        caption,
        p.string("parse_mode"),
        p.array("caption_entities"),
        caption=True,
        resolve_user=world.resolve_user,
    )
    content: dict[str, Any] = {"caption": text} if text else {}
    if entities:
        content["caption_entities"] = entities
    return content


def resolve_file(world: World, p: Params, kind: str, reference: Any) -> StoredFile:
    """An uploaded file (attach:// or a part named after the parameter) or a known file_id."""
    if isinstance(reference, UploadedFile):
        return _store(world, kind, reference)
    if not isinstance(reference, str) or not reference:
        raise bad_request(f"there is no {kind} in the request")
    upload = p.attachment(reference)
    if upload is not None:
        return _store(world, kind, upload)
    if reference.lower().startswith(("http://", "https://")):
        # The emulator fetches nothing from the internet.
        raise bad_request("failed to get HTTP URL content")
    stored = world.files.get(reference)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored


def _store(world: World, kind: str, upload: UploadedFile) -> StoredFile:
    mime = upload.content_type
    if not mime or mime == "application/octet-stream":
        guessed = mimetypes.guess_type(upload.filename or "")[0]
        mime = guessed or _DEFAULT_MIME.get(kind)
    return world.files.add(kind, upload.data, upload.filename, mime)


def media_object(kind: str, stored: StoredFile, p: Params | None = None) -> Any:
    """The Telegram object describing a file of ``kind`` (PhotoSize list, Video, ...)."""
    ids = stored.ids()

    def given(name: str, default: int) -> int:
        value = p.integer(name) if p is not None else None
        return default if value is None else value

    if kind == "photo":
        return [{**ids, "width": stored.width, "height": stored.height}]
    if kind == "sticker":
        sticker = {
            **ids,
            "type": "regular",
            "width": stored.width,
            "height": stored.height,
            "is_animated": False,
            "is_video": False,
        }
        emoji = p.string("emoji") if p is not None else None
        if emoji:
            sticker["emoji"] = emoji
        return sticker
    described: dict[str, Any] = dict(ids)
    if kind in {"video", "animation"}:
        described.update(
            width=given("width", stored.width or 640),
            height=given("height", stored.height or 360),
            duration=given("duration", 0),
        )
    elif kind == "video_note":
        described.update(length=given("length", stored.width or 240), duration=given("duration", 0))
    elif kind in {"voice", "audio"}:
        described["duration"] = given("duration", 0)
        if kind == "audio" and p is not None:
            for name in ("performer", "title"):
                value = p.string(name)
                if value:
                    described[name] = value
    if stored.file_name and kind in {"video", "audio", "document", "animation"}:
        described["file_name"] = stored.file_name
    if stored.mime_type and kind != "video_note":  # a VideoNote has no mime_type
        described["mime_type"] = stored.mime_type
    return described


def post(
    world: World,
    bot: BotState,
    conversation: Conversation,
    p: Params,
    content: dict[str, Any],
    *,
    markup: Markup | None = None,
    reply_to: StoredMessage | None = None,
    media_group_id: str | None = None,
) -> dict[str, Any]:
    """Create a message from the bot, already admitted by flood control."""
    data = world.message_head(conversation, bot.user)
    if reply_to is not None:
        data["reply_to_message"] = reply_view(reply_to)
    if media_group_id is not None:
        data["media_group_id"] = media_group_id
    data.update(content)
    if markup is not None and markup.inline is not None:
        data["reply_markup"] = markup.inline
    if p.flag("protect_content"):
        data["has_protected_content"] = True
    world.add_message(bot, conversation, data, from_bot=True)
    if markup is not None:
        apply_keyboard(world, bot, conversation, markup, data["message_id"])
    return data


def apply_keyboard(
    world: World, bot: BotState, conversation: Conversation, markup: Markup, message_id: int
) -> None:
    """Reply keyboards are not part of the message: they change what the chat shows."""
    if markup.kind == "keyboard":
        conversation.keyboard = markup.data
    elif markup.kind == "remove":
        conversation.keyboard = None
    elif markup.kind == "force_reply":
        conversation.force_reply = {
            "message_id": message_id,
            "placeholder": markup.data.get("input_field_placeholder"),
        }
    else:
        return
    world.show_keyboard(bot, conversation)


def send(
    world: World,
    bot: BotState,
    p: Params,
    build: Callable[[Conversation], dict[str, Any]],
) -> dict[str, Any]:
    """The common path of every send method: chat, content, markup, reply, limits, message.

    ``build(conversation)`` returns the content; it runs after the chat checks so a blocked
    user answers 403 before a bad caption answers 400, and before flood control so a refused
    request does not take a slot.
    """
    conversation = world.writable(bot, p.chat_id())
    content = build(conversation)
    markup = parse_markup(p.get("reply_markup"))
    reply_to = reply_target(conversation, p)
    world.admit(bot, conversation)
    return post(world, bot, conversation, p, content, markup=markup, reply_to=reply_to)
