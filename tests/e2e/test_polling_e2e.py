"""The real ``cpbot run`` process against the emulator over HTTP: register, file, reply."""

from __future__ import annotations

import re

from emulator.people import Attachment
from emulator.runner import RunningEmulator
from tests.e2e.conftest import Phone
from tests.harness import PNG, POINTS_CSV


async def walk_through(emulator: RunningEmulator, process, admin_ids: str = "") -> None:  # type: ignore[no-untyped-def]
    """The core promise: a resident's case reaches the cadre, the answer comes back."""
    (process.workdir / "points.csv").write_text(POINTS_CSV, encoding="utf-8")
    imported = process.cli("points", "import", "points.csv")
    assert imported.returncode == 0, imported.stderr
    invite = process.cli("invite", "cadre", "--point", "XH01")
    assert invite.returncode == 0, invite.stderr
    payload = re.search(r"start=(inv_\S+)", invite.stdout).group(1)  # type: ignore[union-attr]
    emu = emulator.emulator
    cadre = Phone(emu, emu.create_user("Li", "Wei", language_code="en"))
    resident = Phone(emu, emu.create_user("Zhang", "San", language_code="en"))

    cadre.send(f"/start {payload}")
    await cadre.press("I agree")
    await cadre.press("Skip")
    await cadre.wait_text("No title for now")

    resident.send("/start cp_XH01")
    await resident.press("I agree")
    await resident.wait_text("share your phone number")
    resident.send("Skip")
    await resident.wait_text("You are all set")
    resident.send("📝 New case")
    await resident.press("Complaint")
    await resident.press("Water supply")
    await resident.wait_text("Describe it")
    resident.send("No water on the third floor")
    await resident.wait_text("Received 1")
    emu.user_send(resident.id, photo=Attachment(PNG, "leak.png", "image/png"), caption="the pipe")
    await resident.wait_text("Received 2")
    await resident.press("Done")
    await resident.press("Send")
    confirmation = await resident.wait_text("was sent to Li Wei")
    assert "2026-" in confirmation["text"] or re.search(r"\d{4}-0001", confirmation["text"])

    card = await cadre.wait_text("No water on the third floor")
    photo = await cadre.wait_for(lambda m: "photo" in m)
    assert "the pipe" in photo["caption"]
    emu.user_send(cadre.id, text="A plumber comes at 3 pm", reply_to_message_id=card["message_id"])
    answer = await resident.wait_text("A plumber comes at 3 pm")
    assert "Li Wei" in answer["text"]
    await cadre.wait_text("Sent to the resident")

    # Nothing sent twice, no limit exceeded, every request within the Bot API.
    counters = emu.counters()
    texts = [m.get("text") or m.get("caption") for m in resident.bot_messages()]
    assert len(texts) == len(set(texts)), texts
    assert counters["duplicate_deliveries"] == 0
    assert counters["responses_429"] == 0
    assert counters["max_chat_rate"] <= 1
    assert counters["max_global_rate"] <= 30
    assert emu.violations == []


async def test_polling_end_to_end(emulator: RunningEmulator, make_bot) -> None:  # type: ignore[no-untyped-def]
    process = make_bot()
    process.start("run")
    try:
        await walk_through(emulator, process)
    except AssertionError:
        print(process.output())
        raise
    assert process.stop() == 0
    assert "Traceback" not in process.output()


async def test_no_personal_data_in_the_logs(emulator: RunningEmulator, make_bot) -> None:  # type: ignore[no-untyped-def]
    """The whole walk at DEBUG level: no name, no phone, no message text in the log."""
    process = make_bot(CPBOT_LOG_LEVEL="DEBUG", CPBOT_LOG_FORMAT="json")
    process.start("run")
    try:
        await walk_through(emulator, process)
    finally:
        process.stop()
    log = process.output()
    assert "polling for updates" in log  # the log really was written
    for personal in ("Zhang", "Li Wei", "third floor", "plumber", "the pipe"):
        assert personal not in log, f"{personal!r} leaked into the log"
