"""Residents answer a consultation: one question at a time with buttons (or a message for a
number or free text), Back and Skip where allowed, a summary, then Submit."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Act
from bot.consult_states import ConsultAnswer
from bot.filters import Registered
from bot.keyboards import buttons
from bot.replies import shown
from services.app import Services
from services.consultations import Answering, wording
from services.errors import Invalid
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc

router = Router(name="consult_answer")
router.message.filter(F.chat.type == "private", Registered())
router.callback_query.filter(Registered())


async def _begun(services: Services, actor: Actor, state: FSMContext) -> Answering:
    """The consultation being answered, checked once per update (open, asks them)."""
    data = await state.get_data()
    cid = int(data["cid"])
    return await services.consultations.begin_answering(actor.uid, cid, earlier=False)


async def _screen(
    services: Services, actor: Actor, state: FSMContext, begun: Answering
) -> tuple[str, Any]:
    """The current question, or the summary once every question was seen."""
    data = await state.get_data()
    consultation = begun.consultation
    number = int(data["i"])
    answers: dict[str, Any] = data["answers"]
    if number >= len(consultation.questions):
        await state.set_state(ConsultAnswer.summary)
        text, rows = wording.summary(services.texts, consultation, answers, actor.locale)
    else:
        await state.set_state(ConsultAnswer.question)
        current = answers.get(str(number))
        text, rows = wording.question_screen(
            services.texts, consultation, number, actor.locale, current
        )
    return text, buttons(*rows) if rows else None


async def _ours(query: CallbackQuery, callback_data: Act, state: FSMContext, t: Translator) -> int:
    """The consultation this press belongs to, when it is the one being answered."""
    data = await state.get_data()
    cid = int(data.get("cid", -1))
    if cid not in (callback_data.ref, callback_data.ref // 100):
        raise Invalid("consult.stale")
    return cid


@router.callback_query(Act.filter(F.do == "cs_open"))
async def open_consultation(
    query: CallbackQuery, callback_data: Act, actor: Actor, services: Services, state: FSMContext
) -> None:
    begun = await services.consultations.begin_answering(actor.uid, callback_data.ref)
    await state.set_data({"cid": callback_data.ref, "i": 0, "answers": begun.answers})
    text, markup = await _screen(services, actor, state, begun)
    await query.answer()
    await shown(query).answer(text, reply_markup=markup)


async def _step(
    query: CallbackQuery,
    actor: Actor,
    services: Services,
    state: FSMContext,
    begun: Answering,
    *,
    value: Any = None,
    keep: bool = False,
    move: int = 1,
) -> None:
    data = await state.get_data()
    number = int(data["i"])
    answers = dict(data["answers"])
    if not keep:
        answers[str(number)] = services.consultations.check(begun, number, value)
    await state.update_data(answers=answers, i=max(0, number + move))
    text, markup = await _screen(services, actor, state, begun)
    await query.answer()
    await shown(query).edit_text(text, reply_markup=markup)


@router.callback_query(ConsultAnswer.question, Act.filter(F.do == "cs_pick"))
async def picked(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await _ours(query, callback_data, state, t)
    choice = callback_data.ref % 100
    data = await state.get_data()
    begun = await _begun(services, actor, state)
    kind = begun.questions[int(data["i"])].kind
    if kind == "multiple":  # a tick toggles; Done moves on
        current = set(data["answers"].get(str(data["i"])) or [])
        current ^= {choice}
        await state.update_data(answers={**data["answers"], str(data["i"]): sorted(current)})
        await _step(query, actor, services, state, begun, keep=True, move=0)
        return
    await _step(query, actor, services, state, begun, value=choice)


@router.callback_query(ConsultAnswer.question, Act.filter(F.do.in_({"cs_done", "cs_skip"})))
@router.callback_query(ConsultAnswer.question, Act.filter(F.do == "cs_back"))
@router.callback_query(ConsultAnswer.summary, Act.filter(F.do.in_({"cs_back", "cs_restart"})))
async def navigate(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    """Done (a multiple choice), Skip (an optional question), Back, Start again."""
    await _ours(query, callback_data, state, t)
    data = await state.get_data()
    begun = await _begun(services, actor, state)
    if callback_data.do == "cs_done":
        value = data["answers"].get(str(data["i"])) or []
        await _step(query, actor, services, state, begun, value=value)
    elif callback_data.do == "cs_skip":
        await _step(query, actor, services, state, begun, value=None)
    elif callback_data.do == "cs_back":
        await _step(query, actor, services, state, begun, keep=True, move=-1)
    else:
        await state.update_data(i=0)
        await _step(query, actor, services, state, begun, keep=True, move=0)


@router.message(ConsultAnswer.question, F.text & ~F.text.startswith("/"))
async def typed(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    number = int(data["i"])
    begun = await _begun(services, actor, state)
    if begun.questions[number].kind not in ("number", "text"):
        await message.answer(t("consult.use_buttons"))
        return
    value = services.consultations.check(begun, number, message.text)
    await state.update_data(answers={**data["answers"], str(number): value}, i=number + 1)
    text, markup = await _screen(services, actor, state, begun)
    await message.answer(text, reply_markup=markup)


@router.callback_query(ConsultAnswer.summary, Act.filter(F.do == "cs_submit"))
async def submit(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    cid = await _ours(query, callback_data, state, t)
    data = await state.get_data()
    outcome = await services.consultations.submit(actor.uid, cid, data["answers"])
    await state.clear()
    await query.answer()
    key = "consult.submitted_new" if outcome == "new" else "consult.submitted_changed"
    await shown(query).edit_text(t(key))


@router.callback_query(Act.filter(F.do.in_({"cs_pick", "cs_done", "cs_skip", "cs_back"})))
@router.callback_query(Act.filter(F.do.in_({"cs_submit", "cs_restart"})))
async def stale(query: CallbackQuery, t: Translator) -> None:
    """A button of a consultation no longer being answered here (submitted, or another)."""
    await query.answer(t("consult.stale"), show_alert=True)


@router.message(Command("consultations"))
async def listing(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    lines = await services.consultations.for_resident(actor.uid)
    if not lines:
        await message.answer(t("consult.resident_none"))
        return
    rows, out = [], [t("consult.resident_head")]
    for line in lines:
        title = esc(line.title)
        if line.has_outcome:
            out.append(
                t(
                    "consult.resident_outcome",
                    title=title,
                    received=line.received,
                    adopted=line.adopted,
                )
            )
        elif line.status == "open":
            mine = t("consult.resident_mine") if line.answered else ""
            closes = services.texts.when(actor.locale, line.closes_at, line.tz)
            out.append(t("consult.resident_open", title=title, closes=closes, mine=mine))
            if not (line.answered and line.anonymous):  # an anonymous answer is final
                label = t("consult.btn_change", title=line.title[:40])
                rows.append([Button(label, "cs_open", line.id)])
        else:
            out.append(t("consult.resident_closed", title=title, received=line.received))
    await message.answer("\n".join(out), reply_markup=buttons(*rows) if rows else None)
