"""The outbox payloads notices need from the sender — "edit" (the author's progress message,
edited in place) and "photo"/"document" by file id — and the notices tick in the scheduler,
checked against the emulator through the real sender."""

from __future__ import annotations

from services.notices import edit_message
from services.outbox import Button
from tests.harness import World, load_points


async def test_an_edit_row_edits_the_message_in_place(world: World) -> None:
    person = world.person("Li")
    person_chat = person.id
    await person.send("/start")  # the bot may write to them now
    sent = await world.app.bot.send_message(person_chat, "Sending… 0%")
    services = world.app.services
    now = services.ctx.clock.now()
    from services.outbox import enqueue

    button = [[Button("Stop", "notice_cancel", 1)]]
    async with services.ctx.db.write() as session:
        await enqueue(
            session,
            now,
            key="t:1",
            chat_id=person_chat,
            payload=edit_message(sent.message_id, "<b>Done</b> 100%", button),
        )
        # The same text again ("message is not modified") still counts as delivered.
        await enqueue(
            session,
            now,
            key="t:2",
            chat_id=person_chat,
            payload=edit_message(sent.message_id, "<b>Done</b> 100%", button),
        )
    await world.settle()
    edited = next(m for m in person.history() if m["message_id"] == sent.message_id)
    assert edited["text"] == "Done 100%" and "edit_date" in edited
    assert edited["reply_markup"]["inline_keyboard"][0][0]["text"] == "Stop"
    counts = await services.outbox("check").counts()
    assert counts.get("dead", 0) == 0 and counts.get("sent", 0) >= 2


async def test_a_photo_goes_by_file_id(world: World) -> None:
    await load_points(world)
    person = world.person("Zhao")
    await person.send_photo("original")
    mine = next(m for m in person.history() if "photo" in m and not m["from"]["is_bot"])
    photo = mine["photo"][-1]["file_id"]
    services = world.app.services
    from services.outbox import enqueue

    async with services.ctx.db.write() as session:
        await enqueue(
            session,
            services.ctx.clock.now(),
            key="p:1",
            chat_id=person.id,
            payload={"type": "photo", "file_id": photo, "caption": "<b>Notice</b>", "buttons": []},
        )
    await world.settle()
    last = person.last()
    assert last["photo"][-1]["file_id"] == photo and last["caption"] == "Notice"


def test_the_scheduler_runs_the_notices_tick(world: World) -> None:
    from scheduler.setup import build_scheduler

    built = build_scheduler(world.app.services)
    assert built.get_job("notices_tick") is not None
