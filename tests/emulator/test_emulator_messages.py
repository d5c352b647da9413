"""sendMessage and friends: Telegram's answers for good and bad requests."""

from __future__ import annotations

import json

from emuhelpers import TOKEN, api, png, result, started_user

from emulator import Attachment, Emulator, UploadedFile

KEYBOARD = json.dumps({"inline_keyboard": [[{"text": "Accept", "callback_data": "case:42:ok"}]]})


async def test_unknown_method_is_404_and_a_violation(emu: Emulator) -> None:
    response = await emu.call(TOKEN, "sendTelepathy", {"chat_id": "1"})

    assert response.status == 404
    assert response.body == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert [v.kind for v in emu.violations] == ["unknown_method"]


async def test_unknown_token_is_401(emu: Emulator) -> None:
    response = await emu.call("999:nope", "getMe", {})
    assert (response.status, response.body["description"]) == (401, "Unauthorized")


async def test_method_names_are_case_insensitive(emu: Emulator) -> None:
    assert (await result(emu, "GETME"))["username"] == "cp_test_bot"


async def test_missing_parameters_answer_like_telegram(emu: Emulator) -> None:
    user = started_user(emu)
    assert (await api(emu, "sendMessage", text="hi"))["description"] == (
        "Bad Request: chat_id is empty"
    )
    assert (await api(emu, "sendMessage", chat_id=user["id"]))["description"] == (
        "Bad Request: message text is empty"
    )
    assert (await api(emu, "sendMessage", chat_id=user["id"], text=" \n "))["description"] == (
        "Bad Request: message text is empty"
    )
    assert (await api(emu, "sendPhoto", chat_id=user["id"]))["description"] == (
        "Bad Request: there is no photo in the request"
    )
    assert emu.violations == []


async def test_html_becomes_text_and_entities(emu: Emulator) -> None:
    user = started_user(emu)
    sent = await result(
        emu,
        "sendMessage",
        chat_id=user["id"],
        parse_mode="HTML",
        text='📌 <b>Case 2026-0042</b> sent to <a href="https://t.me/cp_test_bot">cadre</a>'
        " &amp; <code>due 10:00</code>",
    )

    assert sent["text"] == "📌 Case 2026-0042 sent to cadre & due 10:00"
    # The pin is two UTF-16 units, so everything after it shifts by one more.
    assert sent["entities"] == [
        {"type": "bold", "offset": 3, "length": 14},
        {"type": "text_link", "offset": 26, "length": 5, "url": "https://t.me/cp_test_bot"},
        {"type": "code", "offset": 34, "length": 9},
    ]


async def test_bad_html_is_refused(emu: Emulator) -> None:
    user = started_user(emu)
    refused = await api(emu, "sendMessage", chat_id=user["id"], parse_mode="HTML", text="<b>open")
    unsupported = await api(
        emu, "sendMessage", chat_id=user["id"], parse_mode="HTML", text="1 < 2 <div>x</div>"
    )

    assert refused["description"] == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    assert unsupported["description"] == (
        'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 2'
    )


async def test_text_over_4096_characters_after_parsing(emu: Emulator) -> None:
    emu.set_limits(enabled=False)
    user = started_user(emu)
    fits = "<b>" + "字" * 4096 + "</b>"

    assert await result(emu, "sendMessage", chat_id=user["id"], text=fits, parse_mode="HTML")
    too_long = await api(emu, "sendMessage", chat_id=user["id"], text="a" * 4097)
    assert too_long["description"] == "Bad Request: message is too long"


async def test_inline_keyboard_is_echoed_and_callback_data_is_checked(emu: Emulator) -> None:
    emu.set_limits(enabled=False)
    user = started_user(emu)
    sent = await result(emu, "sendMessage", chat_id=user["id"], text="Case", reply_markup=KEYBOARD)
    too_long = json.dumps({"inline_keyboard": [[{"text": "x", "callback_data": "é" * 33}]]})
    refused = await api(emu, "sendMessage", chat_id=user["id"], text="x", reply_markup=too_long)
    text_only = json.dumps({"inline_keyboard": [[{"text": "x"}]]})
    plain = await api(emu, "sendMessage", chat_id=user["id"], text="x", reply_markup=text_only)

    assert sent["reply_markup"] == json.loads(KEYBOARD)
    assert refused["description"] == "Bad Request: BUTTON_DATA_INVALID"
    assert plain["description"] == "Bad Request: text buttons are unallowed in the inline keyboard"


async def test_reply_keyboards_change_what_the_chat_shows(emu: Emulator) -> None:
    emu.set_limits(enabled=False)
    user = started_user(emu)
    menu = {
        "keyboard": [["File a case"], [{"text": "Share phone", "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    sent = await result(
        emu, "sendMessage", chat_id=user["id"], text="Menu", reply_markup=json.dumps(menu)
    )
    shown = emu.keyboard(user["id"])["keyboard"]
    emu.user_send(user["id"], text="File a case")
    after_tap = emu.keyboard(user["id"])["keyboard"]
    question = await result(
        emu, "sendMessage", chat_id=user["id"], text="Name?", reply_markup='{"force_reply": true}'
    )
    asked = emu.keyboard(user["id"])["force_reply"]
    emu.user_send(user["id"], text="Wang", reply_to_message_id=question["message_id"])
    answered = emu.keyboard(user["id"])["force_reply"]
    await result(
        emu, "sendMessage", chat_id=user["id"], text="x", reply_markup='{"remove_keyboard": true}'
    )

    assert "reply_markup" not in sent, "Message.reply_markup only carries inline keyboards"
    assert shown is not None
    assert shown["keyboard"][0] == [{"text": "File a case"}]
    assert after_tap is None, "a one-time keyboard hides after a tap"
    assert asked == {"message_id": question["message_id"], "placeholder": None}
    assert answered is None, "the reply answered the force-reply request"
    assert emu.keyboard(user["id"])["keyboard"] is None


async def test_replies_need_an_existing_message(emu: Emulator) -> None:
    emu.set_limits(enabled=False)
    user = started_user(emu)
    first = await result(emu, "sendMessage", chat_id=user["id"], text="first")

    reply = await result(
        emu,
        "sendMessage",
        chat_id=user["id"],
        text="second",
        reply_parameters=json.dumps({"message_id": first["message_id"]}),
    )
    missing = await api(
        emu, "sendMessage", chat_id=user["id"], text="x", reply_parameters='{"message_id": 999}'
    )
    tolerated = await result(
        emu,
        "sendMessage",
        chat_id=user["id"],
        text="x",
        reply_parameters='{"message_id": 999, "allow_sending_without_reply": true}',
    )

    assert reply["reply_to_message"]["text"] == "first"
    assert missing["description"] == "Bad Request: message to be replied not found"
    assert "reply_to_message" not in tolerated


async def test_copy_message(emu: Emulator) -> None:
    emu.set_limits(enabled=False)
    resident = started_user(emu, "Resident")
    cadre = started_user(emu, "Cadre")
    photo = emu.user_send(resident["id"], photo=Attachment(png(), "pothole.png"), caption="here")

    copied = await result(
        emu,
        "copyMessage",
        chat_id=cadre["id"],
        from_chat_id=resident["id"],
        message_id=photo["message_id"],
        caption="<b>Case 7</b>: pothole",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
    )
    missing = await api(
        emu, "copyMessage", chat_id=cadre["id"], from_chat_id=resident["id"], message_id=999
    )

    copy = emu.history(cadre["id"])[-1]
    assert copy["message_id"] == copied["message_id"]
    assert copy["photo"] == photo["photo"]
    assert copy["caption"] == "Case 7: pothole"
    assert copy["caption_entities"] == [{"type": "bold", "offset": 0, "length": 6}]
    assert "forward_origin" not in copy
    assert missing["description"] == "Bad Request: message to copy not found"


async def test_copy_messages_and_forward(emu: Emulator) -> None:
    emu.set_limits(enabled=False)
    resident = started_user(emu, "Resident")
    cadre = started_user(emu, "Cadre")
    first = emu.user_send(resident["id"], text="one")
    second = emu.user_send(resident["id"], text="two")

    ids = await result(
        emu,
        "copyMessages",
        chat_id=cadre["id"],
        from_chat_id=resident["id"],
        message_ids=json.dumps([first["message_id"], second["message_id"], 500]),
    )
    forwarded = await result(
        emu,
        "forwardMessage",
        chat_id=cadre["id"],
        from_chat_id=resident["id"],
        message_id=first["message_id"],
    )

    assert len(ids) == 2, "missing messages are skipped"
    assert [m["text"] for m in emu.history(cadre["id"])[-3:]] == ["one", "two", "one"]
    assert forwarded["forward_origin"] == {
        "type": "user",
        "date": first["date"],
        "sender_user": first["from"],
    }


async def test_edits(emu: Emulator) -> None:
    user = started_user(emu)
    sent = await result(
        emu, "sendMessage", chat_id=user["id"], text="Step 1", reply_markup=KEYBOARD
    )
    target = {"chat_id": user["id"], "message_id": sent["message_id"]}

    same = await api(emu, "editMessageText", text="Step 1", reply_markup=KEYBOARD, **target)
    edited = await result(emu, "editMessageText", text="<i>Step 2</i>", parse_mode="HTML", **target)
    marked = await result(emu, "editMessageReplyMarkup", reply_markup=KEYBOARD, **target)
    unchanged = await api(emu, "editMessageReplyMarkup", reply_markup=KEYBOARD, **target)
    no_caption = await api(emu, "editMessageCaption", caption="x", **target)
    users_message = emu.user_send(user["id"], text="mine")
    foreign = await api(
        emu, "editMessageText", chat_id=user["id"], message_id=users_message["message_id"], text="x"
    )

    assert same["description"].startswith("Bad Request: message is not modified")
    assert edited["text"] == "Step 2" and "reply_markup" not in edited
    assert edited["entities"] == [{"type": "italic", "offset": 0, "length": 6}]
    assert "edit_date" in edited
    assert marked["reply_markup"] == json.loads(KEYBOARD)
    assert unchanged["description"].startswith("Bad Request: message is not modified")
    assert no_caption["description"] == "Bad Request: there is no caption in the message to edit"
    assert foreign["description"] == "Bad Request: message can't be edited"
    assert emu.history(user["id"])[1]["text"] == "Step 2", "history shows edits applied"


async def test_delete_marks_the_message_in_history(emu: Emulator) -> None:
    user = started_user(emu)
    sent = await result(emu, "sendMessage", chat_id=user["id"], text="oops")

    assert await result(emu, "deleteMessage", chat_id=user["id"], message_id=sent["message_id"])
    again = await api(emu, "deleteMessage", chat_id=user["id"], message_id=sent["message_id"])

    assert again["description"] == "Bad Request: message to delete not found"
    assert emu.history(user["id"])[-1] == {**sent, "deleted": True}


async def test_media_group_shares_an_id(emu: Emulator) -> None:
    user = started_user(emu)
    media = [{"type": "photo", "media": f"attach://p{i}", "caption": f"#{i}"} for i in range(2)]
    files = {f"p{i}": UploadedFile(png(), f"p{i}.png") for i in range(2)}
    one = await emu.call(TOKEN, "sendMediaGroup", {"chat_id": user["id"], "media": media[:1]})
    response = await emu.call(
        TOKEN, "sendMediaGroup", {"chat_id": user["id"], "media": json.dumps(media)}, files
    )

    assert one.body["description"].startswith("Bad Request: wrong number of media items")
    messages = response.body["result"]
    assert len({m["media_group_id"] for m in messages}) == 1
    assert [m["caption"] for m in messages] == ["#0", "#1"]


async def test_commands_per_scope_and_language(emu: Emulator) -> None:
    user = started_user(emu)
    default = json.dumps([{"command": "start", "description": "Start"}])
    chinese = json.dumps([{"command": "start", "description": "开始"}])
    private = json.dumps({"type": "all_private_chats"})
    await result(emu, "setMyCommands", commands=default)
    await result(emu, "setMyCommands", commands=chinese, scope=private, language_code="zh")

    assert await result(emu, "getMyCommands") == json.loads(default)
    assert await result(emu, "getMyCommands", scope=private, language_code="zh") == json.loads(
        chinese
    )
    assert await result(emu, "getMyCommands", scope=private) == []
    assert emu.people.commands(user["id"]) == json.loads(chinese), "user speaks zh-hans"
    await result(emu, "deleteMyCommands", scope=private, language_code="zh")
    assert emu.people.commands(user["id"]) == json.loads(default)
    bad = await api(emu, "setMyCommands", commands='[{"command": "Bad Name", "description": "x"}]')
    assert bad["description"] == "Bad Request: BOT_COMMAND_INVALID"
