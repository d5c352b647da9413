"""Conformance to the Bot API description: every method we implement, every shape we build."""

from __future__ import annotations

import json
from typing import Any

from emuhelpers import TOKEN, api, png, result, started_user

from emulator import AlbumItem, Attachment, Emulator, UploadedFile
from emulator.methods import method
from emulator.spec import Spec


def test_every_implemented_method_is_in_the_spec() -> None:
    spec = Spec.load()
    assert [name for name in method.names() if spec.method(name) is None] == []


def test_the_shape_checker_is_not_vacuous() -> None:
    spec = Spec.load()
    user = {"id": 1, "is_bot": False, "first_name": "A"}
    assert spec.check("User", user) == []
    assert spec.check("User", {**user, "nickname": "x"}) == ["User.nickname: not a field of User"]
    assert spec.check("User", {"id": 1, "is_bot": False}) == [
        "User.first_name: required field of User missing"
    ]
    assert spec.check("Array of PhotoSize", [{"file_id": 1}]) != []
    member = {"status": "member", "user": user}
    assert spec.check("ChatMember", member) == []
    assert spec.check("ChatMember", {**member, "until_date": "soon"}) != []


async def test_every_result_shape_matches_the_spec(emu: Emulator) -> None:
    """Drive every implemented method (and every kind of update) and check each result.

    The emulator fixture runs with check_results=True, so a result that has a field the spec
    does not define for its type, or lacks a required one, shows up as a violation.
    """
    emu.set_limits(enabled=False)
    user = started_user(emu)
    other = started_user(emu, "Other")
    uid = user["id"]
    group = emu.create_group("Group", [uid, other["id"]], bot_is_admin=True)
    markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    seen: dict[str, Any] = {}

    async def run(name: str, files: dict[str, UploadedFile] | None = None, **params: Any) -> Any:
        response = await emu.call(TOKEN, name, params, files)
        assert response.body["ok"], (name, response.body)
        seen[name] = response.body["result"]
        return response.body["result"]

    await run("getMe")
    text = await run(
        "sendMessage", chat_id=uid, text="<b>x</b> @someone", parse_mode="HTML", reply_markup=markup
    )
    photo = await run(
        "sendPhoto", {"p": UploadedFile(png(), "p.png")}, chat_id=uid, photo="attach://p"
    )
    for kind, data in (
        ("video", b"v"),
        ("voice", b"o"),
        ("audio", b"a"),
        ("document", b"d"),
        ("sticker", png()),
        ("animation", b"g"),
        ("video_note", b"n"),
    ):
        sender = "sendVideoNote" if kind == "video_note" else f"send{kind.capitalize()}"
        await run(
            sender,
            {"f": UploadedFile(data, f"f.{kind}")},
            chat_id=uid,
            **{kind: "attach://f"},
        )
    await run("sendLocation", chat_id=uid, latitude=39.9, longitude=116.4)
    await run("sendVenue", chat_id=uid, latitude=39.9, longitude=116.4, title="T", address="A")
    await run("sendContact", chat_id=uid, phone_number="+1", first_name="A")
    options = '[{"text": "a"}, {"text": "b"}]'
    poll = await run("sendPoll", chat_id=group["id"], question="Q", options=options)
    emu.user_vote(uid, group["id"], poll["message_id"], [1])
    await run("stopPoll", chat_id=group["id"], message_id=poll["message_id"])
    video_id = seen["sendVideo"]["video"]["file_id"]
    media = [
        {"type": "photo", "media": photo["photo"][0]["file_id"], "has_spoiler": True},
        {"type": "video", "media": video_id, "supports_streaming": True, "caption": "v"},
    ]
    await run("sendMediaGroup", chat_id=uid, media=json.dumps(media))
    await run("copyMessage", chat_id=other["id"], from_chat_id=uid, message_id=text["message_id"])
    await run(
        "copyMessages", chat_id=other["id"], from_chat_id=uid, message_ids=f"[{text['message_id']}]"
    )
    await run(
        "forwardMessage", chat_id=other["id"], from_chat_id=uid, message_id=text["message_id"]
    )
    await run(
        "forwardMessages",
        chat_id=other["id"],
        from_chat_id=uid,
        message_ids=f"[{text['message_id']}]",
    )
    await run(
        "editMessageText", chat_id=uid, message_id=text["message_id"], text="y", reply_markup=markup
    )
    await run("editMessageCaption", chat_id=uid, message_id=photo["message_id"], caption="c")
    await run(
        "editMessageReplyMarkup", chat_id=uid, message_id=photo["message_id"], reply_markup=markup
    )
    query = emu.user_press(uid, None, text["message_id"], "a")
    await run("answerCallbackQuery", callback_query_id=query["id"], text="t")
    await run("setMyCommands", commands='[{"command": "start", "description": "Start"}]')
    await run("getMyCommands")
    await run("deleteMyCommands")
    await run("setChatMenuButton", chat_id=uid, menu_button='{"type": "commands"}')
    await run("getChatMenuButton", chat_id=uid)
    await run("getFile", file_id=photo["photo"][0]["file_id"])
    await run("sendChatAction", chat_id=uid, action="typing")
    await run("getChat", chat_id=uid)
    await run("getChat", chat_id=group["id"])
    await run("getChatMember", chat_id=group["id"], user_id=uid)
    await run("getChatAdministrators", chat_id=group["id"], return_bots=True)
    await run("getChatMemberCount", chat_id=group["id"])
    await run("deleteMessage", chat_id=uid, message_id=text["message_id"])
    await run("deleteMessages", chat_id=uid, message_ids="[1]")
    emu.user_send(uid, photo=Attachment(png(), "x.png"), caption="#tag")
    emu.user_send(uid, sticker="👍")
    emu.user_send(uid, poll={"question": "Q", "options": ["a", "b"]})
    emu.user_send(uid, venue={"latitude": 1, "longitude": 2, "title": "t", "address": "a"})
    emu.user_send(uid, contact={"phone_number": "+1", "first_name": "A", "user_id": uid})
    emu.user_send_album(
        uid, [AlbumItem("photo", Attachment(png())), AlbumItem("video", Attachment(b"v"))]
    )
    emu.user_block_bot(uid)
    emu.user_unblock_bot(uid)
    await run("getUpdates")
    await run("setWebhook", url="http://127.0.0.1:9/hook", max_connections=5)
    await run("getWebhookInfo")
    await run("deleteWebhook")
    await run("leaveChat", chat_id=group["id"])
    await run("logOut")
    await run("close")

    assert sorted(seen) == method.names(), "every implemented method was exercised"
    assert emu.violations == []


async def test_requests_outside_the_spec_are_recorded(emu: Emulator) -> None:
    user = started_user(emu)
    markup = json.dumps(
        {"inline_keyboard": [[{"text": "A", "callback_data": "a", "colour": "red"}]]}
    )

    await result(emu, "sendMessage", chat_id=user["id"], text="x", disable_web_page_preview="true")
    emu.set_limits(enabled=False)
    await api(emu, "sendMessage", chat_id=user["id"], text="x", reply_markup=markup)

    assert [(v.kind, v.method) for v in emu.violations] == [
        ("unknown_parameter", "sendMessage"),
        ("unknown_field", "sendMessage"),
    ]
    assert "disable_web_page_preview" in emu.violations[0].detail
    assert "colour" in emu.violations[1].detail
    assert emu.counters()["violations"] == 2


def test_an_administrator_answer_parses_in_aiogram_and_passes_the_checker() -> None:
    """aiogram needs fields newer than the reference; the checker accepts them, nothing else."""
    from aiogram.types import ChatMemberAdministrator

    from emulator.members import member
    from emulator.models import UserRecord

    answer = member("administrator", UserRecord(7, "Bot", None, "cp_bot", None, is_bot=True))
    assert Spec.load().check("ChatMember", answer) == []
    assert ChatMemberAdministrator.model_validate(answer).can_send_welcome_messages is False
    assert Spec.load().check("ChatMember", {**answer, "can_fly": True}) != []
