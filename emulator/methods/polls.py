"""Native polls sent by a bot (sendPoll, stopPoll) and people voting in them.

As Telegram does: a bot receives ``poll`` updates (the poll's new totals) for the polls it
sent, after every vote; for a non-anonymous poll it also receives a ``poll_answer`` with the
voter and their options (an empty list when the vote is retracted). An anonymous poll never
says who voted. Votes live with the poll's message, so history shows the current totals.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from emulator.errors import ControlError, bad_request
from emulator.methods.registry import method
from emulator.models import PRESENT, Conversation, StoredMessage
from emulator.outgoing import send
from emulator.params import Params
from emulator.world import BotState, World

QUESTION_LIMIT = 300
OPTION_LIMIT = 100
MIN_OPTIONS, MAX_OPTIONS = 2, 12


def _option_text(option: Any) -> str:
    """An InputPollOption (``{"text": …}``); a bare string is accepted as older clients send."""
    text = option.get("text") if isinstance(option, dict) else option
    if not isinstance(text, str) or not 1 <= len(text) <= OPTION_LIMIT:
        raise bad_request("POLL_OPTION_INVALID")
    return text


@method("sendPoll")
def send_poll(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    def build(conversation: Conversation) -> dict[str, Any]:
        question = p.text("question")
        if len(question) > QUESTION_LIMIT:
            raise bad_request("POLL_QUESTION_INVALID")
        options = p.array("options")
        if options is None or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise bad_request("POLL_ANSWERS_INVALID")
        anonymous = p.get("is_anonymous") is not False  # defaults to True
        kind = p.string("type", "regular")
        if kind not in ("regular", "quiz"):
            raise bad_request("POLL_TYPE_INVALID")
        poll = {
            "id": str(5_000_000_000_000_000_000 + world.sequence()),
            "question": question,
            "options": [
                {"persistent_id": secrets.token_hex(4), "text": _option_text(o), "voter_count": 0}
                for o in options
            ],
            "total_voter_count": 0,
            "is_closed": bool(p.flag("is_closed")),
            "is_anonymous": anonymous,
            "type": kind,
            "allows_multiple_answers": p.flag("allows_multiple_answers") and kind == "regular",
            "allows_revoting": p.get("allows_revoting") is not False and kind == "regular",
            "members_only": False,
        }
        return {"poll": poll}

    return send(world, bot, p, build)


@method("stopPoll")
def stop_poll(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    conversation = world.writable(bot, p.chat_id())
    stored = conversation.find(p.required_integer("message_id"))
    if stored is None or "poll" not in stored.data:
        raise bad_request("message with poll to stop not found")
    if not stored.from_bot:
        raise bad_request("poll can't be stopped")
    if stored.data["poll"]["is_closed"]:
        raise bad_request("poll has already been closed")
    updated = copy.deepcopy(stored.data)
    updated["poll"]["is_closed"] = True
    world.replace_message(bot, conversation, stored, updated)
    return dict(updated["poll"])


def vote(
    world: World,
    bot: BotState,
    user_id: int,
    chat_id: int,
    message_id: int,
    option_ids: list[int],
) -> dict[str, Any]:
    """A person votes (or, with no options, retracts their vote) in a poll the bot posted in
    ``chat_id``; the bot gets the ``poll`` update, and the ``poll_answer`` when the poll is not
    anonymous. Returns the poll as it now reads."""
    user = world.person(user_id)
    chat = world.chats.get(chat_id)
    if chat is None:
        raise ControlError(404, f"no chat {chat_id}")
    if chat.is_group and chat.members.get(user.id) not in PRESENT:
        raise ControlError(403, f"user {user.id} is not a member of chat {chat.id}")
    conversation = world.conversation(bot, chat)
    stored: StoredMessage | None = conversation.find(message_id)
    if stored is None or "poll" not in stored.data:
        raise ControlError(404, f"no poll in message {message_id}")
    poll = stored.data["poll"]
    if poll["is_closed"]:
        raise ControlError(400, "the poll is closed")
    chosen = sorted(set(option_ids))
    if any(not 0 <= i < len(poll["options"]) for i in chosen):
        raise ControlError(400, "no such option")
    if len(chosen) > 1 and not poll["allows_multiple_answers"]:
        raise ControlError(400, "this poll takes one option")
    ballots = world.poll_votes.setdefault(poll["id"], {})
    if ballots.get(user.id) and not poll.get("allows_revoting", True):
        raise ControlError(400, "this poll does not allow changing a vote")
    if chosen:
        ballots[user.id] = chosen
    elif ballots.pop(user.id, None) is None:
        raise ControlError(400, "nothing to retract")
    updated = copy.deepcopy(stored.data)
    counts = [0] * len(poll["options"])
    for picks in ballots.values():
        for i in picks:
            counts[i] += 1
    for option, count in zip(updated["poll"]["options"], counts, strict=True):
        option["voter_count"] = count
    updated["poll"]["total_voter_count"] = len(ballots)
    world.replace_message(bot, conversation, stored, updated)
    if stored.from_bot:
        world.emit(bot, "poll", copy.deepcopy(updated["poll"]), chat.id)
        if not poll["is_anonymous"]:
            persistent = [updated["poll"]["options"][i]["persistent_id"] for i in chosen]
            answer = {
                "poll_id": poll["id"],
                "user": user.to_api(),
                "option_ids": chosen,
                "option_persistent_ids": persistent,
            }
            world.emit(bot, "poll_answer", answer, chat.id)
    return dict(updated["poll"])
