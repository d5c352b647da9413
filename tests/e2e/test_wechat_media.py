"""Files crossing between the two channels, with both emulators: a WeChat resident's photo,
voice and video reach the Telegram cadre as files (downloaded with WeChat's media API, uploaded
to Telegram by the outbox's sender); a cadre's photo, voice and document reach the resident on
WeChat (downloaded by getFile, uploaded as temporary media, sent as customer-service media).
A file one side does not take (too large, a type it refuses) does not cross: its words do, and
its sender is told why, in their language."""

from __future__ import annotations

from typing import Any

from emulator.contents import Attachment
from emulator.wechat.push import THUMB
from services.channel_media import MB
from tests.e2e.test_wechat_e2e import Both, _card, _resident_with_case, both, received
from tests.harness import PNG
from tests.harness import t as t_

__all__ = ["both"]  # the fixture, shared with test_wechat_e2e

AMR = b"#!AMR\n" + bytes(range(256)) * 4
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(2000)
OGG = b"OggS\x00\x02" + bytes(500)


def _file(both: Both, message: dict[str, Any], kind: str) -> bytes:
    """The bytes Telegram keeps of a file the bot sent."""
    found = message[kind]
    file_id = (found[-1] if isinstance(found, list) else found)["file_id"]
    stored = both.world.emulator.world.files.get(file_id)
    assert stored is not None
    return stored.data


def _media(both: Both, follower: Any, msgtype: str) -> list[bytes]:
    """The files of ``msgtype`` the resident received on WeChat."""
    return [
        both.wechat.platform.media(m[msgtype]["media_id"])[0]
        for m in follower.received
        if m.get("via") == "custom" and m.get("msgtype") == msgtype
    ]


async def test_a_residents_photo_voice_and_video_reach_the_cadre_as_files(both: Both) -> None:
    follower, case, cadre = await _resident_with_case(both)
    before = len(cadre.bot_messages())
    await both.wechat.pusher.image(follower, THUMB, "image/jpeg")
    await both.settle()
    await both.wechat.pusher.voice(follower, AMR, "audio/amr")
    await both.settle()
    await both.wechat.pusher.video(follower, MP4)
    await both.settle()
    new = cadre.bot_messages()[before:]
    photo = next(m for m in new if "photo" in m)
    assert case.public_no in photo["caption"]  # headed like every relayed message
    assert _file(both, photo, "photo") == THUMB  # the resident's file itself
    # WeChat's voice is AMR, which Telegram does not play as a voice note: it comes as a file.
    voice = next(m for m in new if "document" in m)
    assert _file(both, voice, "document") == AMR
    assert voice["document"]["file_name"].endswith(".amr")
    # WeChat answers media/get for a video with its address; the bot follows it.
    video = next(m for m in new if "video" in m)
    assert _file(both, video, "video") == MP4
    # Each reached the case: the resident was told, once each.
    assert sum(case.public_no in t for t in received(follower)[-3:]) == 3


async def test_a_file_wechat_no_longer_keeps_arrives_as_its_mark(both: Both) -> None:
    follower, case, cadre = await _resident_with_case(both)
    await both.wechat.pusher.image(follower, THUMB, "image/jpeg")
    both.time.now += 4 * 24 * 3600  # WeChat keeps temporary media three days
    await both.settle()
    last = cadre.bot_messages()[-1]
    assert "photo" not in last and "📷" in last["text"] and case.public_no in last["text"]


async def test_a_file_too_large_for_telegram_leaves_its_words_and_the_resident_is_told(
    both: Both,
) -> None:
    follower, _case, cadre = await _resident_with_case(both)

    async def huge(media_id: str) -> tuple[bytes, str]:
        return b"\x00\x00\x00\x18ftypmp42" + bytes(51 * MB), "video/mp4"

    both.world.app.sender.channel_files["wechat"] = huge
    await both.wechat.pusher.video(follower, MP4)
    await both.settle()
    last = cadre.bot_messages()[-1]
    assert "video" not in last and "🎬" in last["text"]
    assert "Telegram" in received(follower)[-1] and "50 MB" in received(follower)[-1]


async def test_a_cadres_photo_reaches_the_resident_on_wechat(both: Both) -> None:
    follower, case, cadre = await _resident_with_case(both)
    card = _card(cadre, case)
    await cadre.send_photo("Is it this pipe?", reply_to_message_id=card["message_id"])
    await both.settle()
    assert _media(both, follower, "image") == [PNG]  # the cadre's photo itself
    # Its words came first, without a "[photo]" mark: the photo itself follows.
    words = next(t for t in reversed(received(follower)) if "Is it this pipe?" in t)
    assert "[" not in words


async def test_a_cadres_voice_note_and_a_large_document_leave_their_words_and_the_cadre_is_told(
    both: Both,
) -> None:
    follower, case, cadre = await _resident_with_case(both)
    card = _card(cadre, case)
    reply = {"reply_to_message_id": card["message_id"]}
    # Telegram's voice notes are OGG: WeChat takes voice as AMR or MP3 only.
    await cadre.send_other(voice=Attachment(OGG, "v.ogg", "audio/ogg"), caption="Listen", **reply)
    await both.settle()
    assert any("Listen" in t and f"[{t_('en', 'content.voice')}]" in t for t in received(follower))
    assert "AMR or MP3" in cadre.last_text() and case.public_no in cadre.last_text()
    # An image sent as a document crosses as an image when WeChat takes it…
    small = Attachment(PNG, "plan.png", "image/png")
    await cadre.send_other(document=small, caption="The plan", **reply)
    await both.settle()
    assert _media(both, follower, "image") == [PNG]
    # …not when it is over WeChat's 10 MB for images.
    big = Attachment(PNG + bytes(11 * MB), "scan.png", "image/png")
    await cadre.send_other(document=big, caption="The full scan", **reply)
    await both.settle()
    document = f"[{t_('en', 'content.document')}]"
    assert any("The full scan" in t and document in t for t in received(follower))
    assert "10 MB" in cadre.last_text() and "WeChat" in cadre.last_text()
    # Over Telegram's 20 MB for bots, the bot cannot even download it.
    bigger = Attachment(PNG + bytes(21 * MB), "scan2.png", "image/png")
    await cadre.send_other(document=bigger, caption="Again", **reply)
    await both.settle()
    assert any("Again" in t for t in received(follower))
    assert "20 MB" in cadre.last_text()
    assert len(_media(both, follower, "image")) == 1  # only the small one crossed


async def test_a_cadres_mp3_crosses_as_wechat_voice(both: Both) -> None:
    follower, case, cadre = await _resident_with_case(both)
    mp3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(3000)
    audio = Attachment(mp3, "note.mp3", "audio/mpeg")
    await cadre.send_other(audio=audio, reply_to_message_id=_card(cadre, case)["message_id"])
    await both.settle()
    assert _media(both, follower, "voice") == [mp3]
