"""Simulated people: starting, blocking, groups, what they send and what the bot receives."""

from __future__ import annotations

from typing import Any

from emuhelpers import api, png, result, started_user

from emulator import AlbumItem, Attachment, Emulator


async def _updates(emu: Emulator) -> list[dict[str, Any]]:
    updates = await result(emu, "getUpdates", offset=0)
    if updates:
        await result(emu, "getUpdates", offset=updates[-1]["update_id"] + 1)
    return updates


async def test_bot_cannot_write_first_and_unknown_chats_are_not_found(emu: Emulator) -> None:
    stranger = emu.create_user("Zhao")

    assert (await api(emu, "sendMessage", chat_id=424242, text="hi"))["description"] == (
        "Bad Request: chat not found"
    )
    assert (await api(emu, "sendMessage", chat_id=stranger["id"], text="hi"))[
        "description"
    ] == "Bad Request: chat not found"


async def test_start_with_payload_is_a_bot_command(emu: Emulator) -> None:
    user = emu.create_user("Li", "Wei", "liwei", language_code="en")
    message = emu.user_send(user["id"], text="/start cp_A7")

    [update] = await _updates(emu)

    assert update["message"] == message
    assert message["text"] == "/start cp_A7"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["from"]["language_code"] == "en"
    assert message["chat"] == {
        "id": user["id"],
        "type": "private",
        "first_name": "Li",
        "last_name": "Wei",
        "username": "liwei",
    }


async def test_block_answers_403_and_tells_the_bot(emu: Emulator) -> None:
    user = started_user(emu)

    emu.user_block_bot(user["id"])
    refused = await api(emu, "sendMessage", chat_id=user["id"], text="hello?")
    [blocked] = await _updates(emu)
    emu.user_unblock_bot(user["id"])
    [unblocked] = await _updates(emu)

    assert refused == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    change = blocked["my_chat_member"]
    assert change["from"]["id"] == user["id"]
    assert change["chat"]["id"] == user["id"]
    assert change["old_chat_member"]["status"] == "member"
    assert change["new_chat_member"] == {
        "status": "kicked",
        "user": change["new_chat_member"]["user"],
        "until_date": 0,
    }
    assert change["new_chat_member"]["user"]["is_bot"] is True
    assert unblocked["my_chat_member"]["new_chat_member"]["status"] == "member"
    await result(emu, "sendMessage", chat_id=user["id"], text="welcome back")
    assert emu.counters()["responses_403"] == 1


async def test_writing_to_a_blocked_bot_restarts_it(emu: Emulator) -> None:
    user = started_user(emu)
    emu.user_block_bot(user["id"])
    emu.user_send(user["id"], text="/start")

    kinds = [next(k for k in u if k != "update_id") for u in await _updates(emu)]

    assert kinds == ["my_chat_member", "my_chat_member", "message"]
    await result(emu, "sendMessage", chat_id=user["id"], text="hi again")


async def test_update_ids_strictly_increase_across_kinds(emu: Emulator) -> None:
    user = started_user(emu)
    sent = await result(
        emu,
        "sendMessage",
        chat_id=user["id"],
        text="?",
        reply_markup='{"inline_keyboard": [[{"text": "Y", "callback_data": "y"}]]}',
    )
    emu.user_send(user["id"], text="a")
    emu.user_press(user["id"], None, sent["message_id"], "y")
    emu.user_block_bot(user["id"])

    ids = [u["update_id"] for u in await _updates(emu)]

    assert len(ids) == 3
    assert ids == sorted(ids) and len(set(ids)) == 3


async def test_group_privacy_hides_chatter_from_a_non_admin_bot(emu: Emulator) -> None:
    cadre, resident = emu.create_user("Cadre"), emu.create_user("Resident")
    group = emu.create_group("Lane 3", [cadre["id"], resident["id"]], bot_is_admin=False)
    await _updates(emu)  # the bot was added
    notice = await result(emu, "sendMessage", chat_id=group["id"], text="Water off at 9")

    emu.user_send(resident["id"], group["id"], text="chatter the bot should not see")
    emu.user_send(resident["id"], group["id"], text="/help")
    emu.user_send(cadre["id"], group["id"], text="reply", reply_to_message_id=notice["message_id"])
    emu.user_send(cadre["id"], group["id"], text="hey @cp_test_bot")

    texts = [u["message"]["text"] for u in await _updates(emu)]
    assert texts == ["/help", "reply", "hey @cp_test_bot"]
    assert len(emu.history(group["id"])) == 5, "the chat shows everything"


async def test_group_creation_and_membership(emu: Emulator) -> None:
    owner, member = emu.create_user("Owner"), emu.create_user("Member")
    group = emu.create_group("Committee", [owner["id"], member["id"]], bot_is_admin=True)

    [added] = await _updates(emu)
    admins = await result(emu, "getChatAdministrators", chat_id=group["id"])
    with_bots = await result(emu, "getChatAdministrators", chat_id=group["id"], return_bots=True)
    member_info = await result(emu, "getChatMember", chat_id=group["id"], user_id=member["id"])

    assert group["type"] == "group" and group["id"] < 0
    assert added["my_chat_member"]["new_chat_member"]["status"] == "administrator"
    assert [a["user"]["id"] for a in admins] == [owner["id"]]
    assert {a["status"] for a in with_bots} == {"creator", "administrator"}
    assert member_info == {"status": "member", "user": member}
    assert await result(emu, "getChatMemberCount", chat_id=group["id"]) == 3
    assert await result(emu, "leaveChat", chat_id=group["id"]) is True
    left = await api(emu, "sendMessage", chat_id=group["id"], text="still here?")
    assert left["description"] == "Forbidden: bot is not a member of the group chat"


async def test_people_send_every_kind_of_content(emu: Emulator) -> None:
    user = started_user(emu)
    uid = user["id"]
    photo = emu.user_send(uid, photo=Attachment(png(64, 48), "p.png"), caption="look")
    voice = emu.user_send(uid, voice=Attachment(b"OggS....", "v.ogg", "audio/ogg"))
    document = emu.user_send(uid, document=Attachment(b"%PDF-1.4", "form.pdf"))
    sticker = emu.user_send(uid, sticker="👍")
    location = emu.user_send(uid, location=(39.9042, 116.4074))
    venue = emu.user_send(
        uid, venue={"latitude": 39.9, "longitude": 116.4, "title": "Office", "address": "Main 1"}
    )
    card = {"phone_number": "+8613800000000", "first_name": "Wang", "user_id": uid}
    contact = emu.user_send(uid, contact=card)
    poll = emu.user_send(uid, poll={"question": "When?", "options": ["Mon", "Tue"]})
    reply = emu.user_send(uid, text="see above", reply_to_message_id=photo["message_id"])

    assert photo["photo"][0]["width"] == 64 and photo["caption"] == "look"
    assert voice["voice"]["mime_type"] == "audio/ogg"
    assert document["document"]["file_name"] == "form.pdf"
    assert sticker["sticker"]["emoji"] == "👍"
    assert location["location"] == {"latitude": 39.9042, "longitude": 116.4074}
    assert venue["venue"]["title"] == "Office"
    assert contact["contact"]["user_id"] == uid
    assert [o["text"] for o in poll["poll"]["options"]] == ["Mon", "Tue"]
    assert reply["reply_to_message"]["message_id"] == photo["message_id"]
    assert len(await _updates(emu)) == 9


async def test_an_album_is_one_update_per_item_sharing_a_group_id(emu: Emulator) -> None:
    user = started_user(emu)
    items = [AlbumItem("photo", Attachment(png(), f"{i}.png")) for i in range(3)]

    messages = emu.user_send_album(user["id"], items)
    updates = await _updates(emu)

    assert len(updates) == 3
    group_ids = {u["message"]["media_group_id"] for u in updates}
    assert len(group_ids) == 1
    assert [u["message"]["message_id"] for u in updates] == [m["message_id"] for m in messages]


async def test_a_person_created_started_can_be_written_to_without_an_update(emu: Emulator) -> None:
    """``started=True`` stands for someone who pressed Start long ago: no update, yet reachable."""
    fresh = emu.create_user("Fresh")
    known = emu.create_user("Known", started=True)

    assert await _updates(emu) == []
    assert (await api(emu, "sendMessage", chat_id=known["id"], text="hello"))["ok"] is True
    assert (await api(emu, "sendMessage", chat_id=fresh["id"], text="hello"))["description"] == (
        "Bad Request: chat not found"
    )
