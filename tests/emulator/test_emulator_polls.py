"""Native polls sent by a bot: sendPoll in a group, people voting, the bot's ``poll`` updates
(totals) and, for non-anonymous polls only, ``poll_answer`` (who chose what); retracting a vote,
stopPoll, and the refusals Telegram gives."""

from __future__ import annotations

import json

import aiohttp
import pytest
from emuhelpers import api, result

from emulator import Emulator
from emulator.errors import ControlError
from emulator.runner import RunningEmulator

OPTIONS = json.dumps([{"text": "Lamps"}, {"text": "Benches"}, {"text": "Trees"}])


def group(emu: Emulator) -> tuple[dict, dict, dict]:
    ann, bob = emu.create_user("Ann"), emu.create_user("Bob")
    chat = emu.create_group("Xinhua", [ann["id"], bob["id"]])
    emu.world.bot().updates.confirm(10**9)
    return chat, ann, bob


async def _updates(emu: Emulator) -> list[dict]:
    updates = await result(emu, "getUpdates")
    if updates:
        await result(emu, "getUpdates", offset=updates[-1]["update_id"] + 1)
    return updates


async def test_a_named_poll_reports_who_voted_and_the_totals(emu: Emulator) -> None:
    chat, ann, bob = group(emu)
    sent = await result(
        emu, "sendPoll", chat_id=chat["id"], question="What first?", options=OPTIONS,
        is_anonymous=False,
    )  # fmt: skip
    poll = sent["poll"]
    assert poll["question"] == "What first?" and not poll["is_anonymous"]
    assert [o["text"] for o in poll["options"]] == ["Lamps", "Benches", "Trees"]
    emu.user_vote(ann["id"], chat["id"], sent["message_id"], [0])
    emu.user_vote(bob["id"], chat["id"], sent["message_id"], [1])
    emu.user_vote(bob["id"], chat["id"], sent["message_id"], [0])  # changes the vote
    updates = await _updates(emu)
    answers = [u["poll_answer"] for u in updates if "poll_answer" in u]
    totals = [u["poll"] for u in updates if "poll" in u]
    assert [(a["user"]["id"], a["option_ids"]) for a in answers] == [
        (ann["id"], [0]), (bob["id"], [1]), (bob["id"], [0])
    ]  # fmt: skip
    assert all(a["poll_id"] == poll["id"] for a in answers)
    assert [o["voter_count"] for o in totals[-1]["options"]] == [2, 0, 0]
    assert totals[-1]["total_voter_count"] == 2
    # Retracting: an empty answer, and the totals drop.
    emu.user_vote(ann["id"], chat["id"], sent["message_id"], [])
    updates = await _updates(emu)
    assert updates[-1]["poll_answer"]["option_ids"] == []
    assert updates[0]["poll"]["total_voter_count"] == 1
    [shown] = [m for m in emu.history(chat["id"]) if m.get("poll")]
    assert shown["poll"]["options"][0]["voter_count"] == 1


async def test_an_anonymous_poll_gives_totals_only(emu: Emulator) -> None:
    chat, ann, _ = group(emu)
    sent = await result(emu, "sendPoll", chat_id=chat["id"], question="Q?", options=OPTIONS)
    assert sent["poll"]["is_anonymous"]
    emu.user_vote(ann["id"], chat["id"], sent["message_id"], [2])
    updates = await _updates(emu)
    assert [list(u) for u in updates] == [["update_id", "poll"]]
    assert "Ann" not in json.dumps(updates)
    assert updates[0]["poll"]["options"][2]["voter_count"] == 1


async def test_refusals(emu: Emulator) -> None:
    chat, ann, _ = group(emu)
    one = await api(emu, "sendPoll", chat_id=chat["id"], question="Q?", options='[{"text":"A"}]')
    assert one["description"] == "Bad Request: POLL_ANSWERS_INVALID"
    long = await api(emu, "sendPoll", chat_id=chat["id"], question="Q" * 301, options=OPTIONS)
    assert long["description"] == "Bad Request: POLL_QUESTION_INVALID"
    sent = await result(emu, "sendPoll", chat_id=chat["id"], question="Q?", options=OPTIONS)
    with pytest.raises(ControlError):
        emu.user_vote(ann["id"], chat["id"], sent["message_id"], [0, 1])  # one option only
    with pytest.raises(ControlError):
        emu.user_vote(ann["id"], chat["id"], sent["message_id"], [7])
    stopped = await result(emu, "stopPoll", chat_id=chat["id"], message_id=sent["message_id"])
    assert stopped["is_closed"]
    with pytest.raises(ControlError):
        emu.user_vote(ann["id"], chat["id"], sent["message_id"], [0])
    outsider = emu.create_user("Far")
    with pytest.raises(ControlError):
        emu.user_vote(outsider["id"], chat["id"], sent["message_id"], [0])


async def test_voting_over_http(emu: Emulator, server: RunningEmulator) -> None:
    chat, ann, _ = group(emu)
    sent = await result(emu, "sendPoll", chat_id=chat["id"], question="Q?", options=OPTIONS)
    async with aiohttp.ClientSession(server.url) as http:
        body = {"user_id": ann["id"], "chat_id": chat["id"], "message_id": sent["message_id"],
                "option_ids": [1]}  # fmt: skip
        async with http.post("/control/vote", json=body) as response:
            assert response.status == 201
            poll = await response.json()
    assert poll["options"][1]["voter_count"] == 1
