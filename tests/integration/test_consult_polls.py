"""Consultations' native polls in a linked group, through the emulator and the real
dispatcher: the author turns them on in the summary, single-choice questions go out as polls
through the outbox, non-anonymous votes are counted once per person (a resident who also
answered in private counts once, a redelivered vote once, a retracted vote not at all),
anonymous polls give totals only, and votes after the deadline are not counted."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from emulator.errors import ControlError
from models.consultations import ConsultPoll, ConsultPollVote
from models.tables import Outbox, User
from tests.harness import Person as Phone
from tests.harness import World, join_staff, load_points, register_resident, t

FORM = """
title = {{ en = "Street lamps", zh_Hans = "路灯" }}
closes = "{closes}"
anonymous = {anonymous}
{polls}

[[questions]]
kind = "single"
text = {{ en = "What first?", zh_Hans = "先做什么？" }}
options = {{ en = ["Lamps", "Benches"], zh_Hans = ["路灯", "长椅"] }}

[[questions]]
kind = "multiple"
required = false
text = {{ en = "What else?", zh_Hans = "还有什么？" }}
options = {{ en = ["Paint", "Signs"], zh_Hans = ["粉刷", "标牌"] }}
"""


@pytest.fixture
async def county(world: World) -> dict[str, Any]:
    await load_points(world)
    cadre = world.person("Li", "en", "Wei")
    await join_staff(world, cadre)
    people: dict[str, Any] = {"cadre": cadre}
    for key, name, loc in (("en", "Zhang", "en"), ("zh", "赵", "zh")):
        people[key] = world.person(name, loc)
        await register_resident(people[key], point="XH01")
    people["guest"] = world.person("Guest", "en")  # in the group, never registered
    members = [cadre.id, people["en"].id, people["zh"].id, people["guest"].id]
    group = world.emulator.create_group("新华街道群", members)
    await world.settle()
    people["chat"] = int(group["id"])
    world.emulator.user_send(cadre.id, people["chat"], text="/link XH01")
    await world.settle()
    return people


def _form(world: World, *, anonymous: bool, polls: bool) -> str:
    closes = (world.app.services.ctx.clock.now() + timedelta(days=20)).strftime("%Y-%m-%d 18:00")
    return FORM.format(
        closes=closes,
        anonymous="true" if anonymous else "false",
        polls="polls = true" if polls else "",
    )


async def _open(world: World, cadre: Phone, form: str) -> None:
    await cadre.send("/consult")
    await cadre.send(form)
    await cadre.press(t("en", "consult.btn_send"))
    for _ in range(3):
        await world.app.services.consultations.tick()
        await world.settle()


def _polls(world: World, chat: int) -> list[dict[str, Any]]:
    return [m for m in world.emulator.history(chat) if m.get("poll")]


async def _vote(world: World, who: Phone, chat: int, poll: dict[str, Any], *options: int) -> None:
    world.emulator.user_vote(who.id, chat, poll["message_id"], list(options))
    await world.settle()


async def _user_id(world: World, phone: Phone) -> int:
    async with world.app.db.read() as session:
        found = (await session.execute(select(User.id).where(User.tg_id == phone.id))).scalar()
    assert found is not None
    return int(found)


async def _rows(world: World, model: type) -> list[Any]:
    async with world.app.db.read() as session:
        return list((await session.execute(select(model))).scalars().all())


async def test_named_polls_count_each_person_once(world: World, county: dict[str, Any]) -> None:
    cadre, en, zh, guest, chat = (county[k] for k in ("cadre", "en", "zh", "guest", "chat"))
    await cadre.send("/consult")
    await cadre.send(_form(world, anonymous=False, polls=False))
    # Off in the file; the summary's button turns it on (and off again, and on).
    assert t("en", "consult.preview_polls_off", groups=1) in cadre.last_text()
    await cadre.press(t("en", "consult.btn_polls_on"))
    assert t("en", "consult.preview_polls", polls=1, groups=1) in cadre.last_text()
    await cadre.press(t("en", "consult.btn_polls_off"))
    await cadre.press(t("en", "consult.btn_polls_on"))
    await cadre.press(t("en", "consult.btn_send"))
    for _ in range(3):
        await world.app.services.consultations.tick()
        await world.settle()
    # One poll: the single-choice question (not the multiple choice), named, in English.
    [poll] = _polls(world, chat)
    assert poll["poll"]["question"] == "Street lamps · What first?"
    assert [o["text"] for o in poll["poll"]["options"]] == ["Lamps", "Benches"]
    assert not poll["poll"]["is_anonymous"]
    [stored] = await _rows(world, ConsultPoll)
    assert stored.poll_id == poll["poll"]["id"] and stored.chat_id == chat
    # A restart's tick posts nothing again.
    await world.app.services.consultations.tick()
    await world.settle()
    assert len(_polls(world, chat)) == 1

    await _vote(world, en, chat, poll, 1)
    await _vote(world, zh, chat, poll, 0)
    await _vote(world, guest, chat, poll, 1)
    await _vote(world, guest, chat, poll, 0)  # changed
    redelivered = {
        "update_id": 10**8,
        "poll_answer": {
            "poll_id": poll["poll"]["id"],
            "user": {"id": guest.id, "is_bot": False, "first_name": "Guest"},
            "option_ids": [0],
            "option_persistent_ids": [poll["poll"]["options"][0]["persistent_id"]],
        },
    }
    await world.redeliver(redelivered)
    await world.redeliver(redelivered)
    votes = {v.voter_tg_id: v for v in await _rows(world, ConsultPollVote)}
    assert set(votes) == {en.id, zh.id, guest.id}
    assert votes[zh.id].user_id == await _user_id(world, zh)  # mapped to the resident
    assert votes[guest.id].user_id is None and votes[guest.id].options == [0]
    # Zhang also answers in private: the private answer counts, the poll vote does not.
    consult = world.app.services.consultations
    await consult.submit(await _user_id(world, en), 1, {"0": 0})
    results = await consult.results(None, 1, "en")
    assert "100% · Lamps (1)" in results
    assert (
        t("en", "consult.results_polls_named", groups=1, voters=2, counts="Lamps 2 · Benches 0")
        in results
    )
    # A retracted vote is gone; after the deadline votes are not counted.
    await _vote(world, guest, chat, poll, *[])
    assert {v.voter_tg_id for v in await _rows(world, ConsultPollVote)} == {en.id, zh.id}
    world.app.services.ctx.clock.advance(days=21)  # type: ignore[attr-defined]
    await _vote(world, guest, chat, poll, 1)
    assert guest.id not in {v.voter_tg_id for v in await _rows(world, ConsultPollVote)}


async def test_anonymous_polls_give_totals_only(world: World, county: dict[str, Any]) -> None:
    cadre, en, guest, chat = (county[k] for k in ("cadre", "en", "guest", "chat"))
    await _open(world, cadre, _form(world, anonymous=True, polls=True))
    [poll] = _polls(world, chat)
    assert poll["poll"]["is_anonymous"]
    await _vote(world, en, chat, poll, 0)
    await _vote(world, guest, chat, poll, 1)
    assert await _rows(world, ConsultPollVote) == []  # nobody's vote is kept
    [stored] = await _rows(world, ConsultPoll)
    assert stored.counts == [1, 1] and stored.voters == 2
    results = await world.app.services.consultations.results(None, 1, "en")
    expected = t(
        "en", "consult.results_polls_anonymous", groups=1, voters=2, counts="Lamps 1 · Benches 1"
    )
    assert expected in results


async def test_no_polls_unless_asked(world: World, county: dict[str, Any]) -> None:
    await _open(world, county["cadre"], _form(world, anonymous=False, polls=False))
    assert _polls(world, county["chat"]) == []
    assert county["en"].saw("Street lamps")  # the invitation went out as usual


def _sheet(data: bytes, title: str) -> list[list[Any]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return [list(row) for row in book[title].iter_rows(values_only=True)]


async def test_named_poll_votes_are_in_the_charts_and_the_export(
    world: World, county: dict[str, Any]
) -> None:
    cadre, en, zh, guest, chat = (county[k] for k in ("cadre", "en", "zh", "guest", "chat"))
    await _open(world, cadre, _form(world, anonymous=False, polls=True))
    [poll] = _polls(world, chat)
    await _vote(world, en, chat, poll, 1)
    await _vote(world, zh, chat, poll, 1)
    await _vote(world, guest, chat, poll, 0)
    consult = world.app.services.consultations
    await consult.submit(await _user_id(world, en), 1, {"0": 0})  # Zhang counts by this
    view = await consult.results_view(None, 1, "en", charts=True)
    names = [c.name for c in view.charts]
    assert names == ["q01", "q01-polls", "q02"]  # the multiple choice was not polled
    answers, polls = view.charts[0], view.charts[1]
    assert answers.series == {"Answers": [1.0, 0.0]}
    assert polls.series == {"Group polls": [1.0, 1.0]}  # 赵 and the guest; Zhang once, above
    assert polls.labels == ["Lamps", "Benches"] and "group polls" in polls.title
    zh_view = await consult.results_view(None, 1, "zh_Hans", charts=True)
    assert "群内投票" in zh_view.charts[1].series

    rows = _sheet(await consult.export(None, 1, "en"), "Group polls")
    assert rows[0][0] == t("en", "consult.export_polls_named")
    assert rows[1] == ["Question", "Option", "Votes"]
    assert rows[2:] == [
        ["What first?", "Lamps", 1],
        ["What first?", "Benches", 1],
        ["What first?", "(people who voted)", 2],
    ]
    zh_rows = _sheet(await consult.export(None, 1, "zh_Hans"), "群内投票")
    assert zh_rows[2] == ["先做什么？", "路灯", 1]


async def test_anonymous_poll_totals_are_charted_beside_the_answers(
    world: World, county: dict[str, Any]
) -> None:
    cadre, en, guest, chat = (county[k] for k in ("cadre", "en", "guest", "chat"))
    await _open(world, cadre, _form(world, anonymous=True, polls=True))
    [poll] = _polls(world, chat)
    await _vote(world, en, chat, poll, 0)
    await _vote(world, guest, chat, poll, 0)
    consult = world.app.services.consultations
    await consult.submit(await _user_id(world, en), 1, {"0": 1})
    view = await consult.results_view(None, 1, "en", charts=True)
    assert view.charts[0].series == {"Answers": [0.0, 1.0]}  # never added together
    assert view.charts[1].series == {"Group polls": [2.0, 0.0]}
    rows = _sheet(await consult.export(None, 1, "en"), "Group polls")
    assert rows[0][0] == t("en", "consult.export_polls_anonymous")
    assert rows[2:] == [
        ["What first?", "Lamps", 2],
        ["What first?", "Benches", 0],
        ["What first?", "(people who voted)", 2],
    ]


async def test_polls_are_closed_at_the_deadline_once(world: World, county: dict[str, Any]) -> None:
    cadre, en, chat = county["cadre"], county["en"], county["chat"]
    await _open(world, cadre, _form(world, anonymous=False, polls=True))
    [poll] = _polls(world, chat)
    assert not poll["poll"]["is_closed"]
    world.app.services.ctx.clock.advance(days=21)  # type: ignore[attr-defined]
    for _ in range(2):  # a second tick (another instance) stops nothing again
        await world.app.services.consultations.tick()
        await world.settle()
    [poll] = _polls(world, chat)
    assert poll["poll"]["is_closed"]
    with pytest.raises(ControlError):
        world.emulator.user_vote(en.id, chat, poll["message_id"], [0])
    async with world.app.db.read() as session:
        stops = (
            (await session.execute(select(Outbox).where(Outbox.dedupe_key.like("consult1:stop:%"))))
            .scalars()
            .all()
        )
    assert [s.status for s in stops] == ["sent"]


async def test_closing_early_with_the_outcome_closes_the_polls(
    world: World, county: dict[str, Any]
) -> None:
    cadre, chat = county["cadre"], county["chat"]
    await _open(world, cadre, _form(world, anonymous=True, polls=True))
    await world.app.services.consultations.close(None, 1, {"en": "Lamps first."}, 0)
    await world.app.services.consultations.tick()
    await world.settle()
    [poll] = _polls(world, chat)
    assert poll["poll"]["is_closed"]


async def test_a_poll_sent_after_the_consultation_closed_is_closed_too(
    world: World, county: dict[str, Any]
) -> None:
    cadre, chat = county["cadre"], county["chat"]
    await cadre.send("/consult")
    await cadre.send(_form(world, anonymous=False, polls=True))
    await cadre.press(t("en", "consult.btn_send"))
    consult = world.app.services.consultations
    await consult.tick()  # opens it: the poll is queued, not yet sent
    await consult.close(None, 1, {"en": "Lamps first."}, 0)
    for _ in range(3):
        await world.settle()
        await consult.tick()
    [poll] = _polls(world, chat)
    assert poll["poll"]["is_closed"]


async def _crash_after_posting_the_poll(world: World, cadre: Phone, form: str) -> None:
    """The sender posts the poll (Telegram accepts it) and dies before recording it: the row's
    lease runs out, and the next sender posts the poll again."""
    await cadre.send("/consult")
    await cadre.send(form)
    await cadre.press(t("en", "consult.btn_send"))
    await world.app.services.consultations.tick()  # opens: the poll is queued
    sender = world.app.sender
    claimed = await sender.store.claim(100)
    results = [await sender.deliver_row(row) for row in claimed]
    assert any(r.poll_id for r in results)
    await sender.store.complete([r for r in results if not r.poll_id])  # the poll's is lost
    world.app.services.ctx.clock.advance(minutes=5)  # type: ignore[attr-defined]
    for _ in range(2):
        await world.app.services.consultations.tick()
        await world.settle()


async def test_votes_in_a_poll_posted_twice_after_a_crash_all_count(
    world: World, county: dict[str, Any]
) -> None:
    cadre, en, zh, guest, chat = (county[k] for k in ("cadre", "en", "zh", "guest", "chat"))
    await _crash_after_posting_the_poll(world, cadre, _form(world, anonymous=False, polls=True))
    first, second = _polls(world, chat)  # the same question, posted twice in the group
    assert first["poll"]["question"] == second["poll"]["question"]
    [recorded] = await _rows(world, ConsultPoll)
    assert recorded.poll_id == second["poll"]["id"]  # the sender learned of the second only
    await _vote(world, zh, chat, first, 1)  # in the copy nobody recorded
    await _vote(world, guest, chat, first, 1)
    await _vote(world, guest, chat, second, 0)  # the same person in both: one vote, the latest
    await _vote(world, en, chat, second, 0)
    polls = {p.poll_id: p for p in await _rows(world, ConsultPoll)}
    assert set(polls) == {first["poll"]["id"], second["poll"]["id"]}
    adopted = polls[first["poll"]["id"]]
    assert (adopted.consultation_id, adopted.question, adopted.chat_id) == (1, 0, chat)
    votes = {v.voter_tg_id: v.options for v in await _rows(world, ConsultPollVote)}
    assert votes == {zh.id: [1], guest.id: [0], en.id: [0]}
    results = await world.app.services.consultations.results(None, 1, "en")
    counts = "Lamps 2 · Benches 1"
    assert t("en", "consult.results_polls_named", groups=1, voters=3, counts=counts) in results


async def test_totals_of_an_anonymous_poll_posted_twice_add_up(
    world: World, county: dict[str, Any]
) -> None:
    cadre, en, guest, chat = (county[k] for k in ("cadre", "en", "guest", "chat"))
    await _crash_after_posting_the_poll(world, cadre, _form(world, anonymous=True, polls=True))
    first, second = _polls(world, chat)
    await _vote(world, en, chat, first, 0)
    await _vote(world, guest, chat, second, 1)
    results = await world.app.services.consultations.results(None, 1, "en")
    counts = "Lamps 1 · Benches 1"
    assert t("en", "consult.results_polls_anonymous", groups=1, voters=2, counts=counts) in results
    # A poll that matches no poll row tried twice is not taken for one of ours.
    assert not await world.app.services.consultations.poll_totals(
        "999", [1, 0], 1, question="Street lamps · Other?", options=["Lamps", "Benches"]
    )
