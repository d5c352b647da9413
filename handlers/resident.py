"""A resident's cases: the list, one case's story, adding messages, withdrawing, the verdict
("is it resolved?") and rating, and messages sent outside any step."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import Act
from bot.filters import HasRole, MenuButton, NotMenuButton
from bot.keyboards import buttons, main_menu
from bot.parts import part_of
from bot.replies import shown
from bot.states import CaseChat, Verdict
from handlers.case_replies import follow_up
from handlers.filing import start_filing
from handlers.flow import cancel_button, done_button, end_chat, pager, start_step
from handlers.history import history_pages
from handlers.tipoffs import answer_report, report_replied_to
from models.enums import CaseStatus, Role
from services.app import Services
from services.cards import resident_line, staff_name
from services.case_rules import ACTIVE, OPEN
from services.errors import Invalid
from services.outbox import Button
from services.parts import Part
from services.people import Actor
from services.texts import Translator
from services.views import CaseView

router = Router(name="resident")
router.message.filter(F.chat.type == "private", HasRole(Role.RESIDENT))
router.callback_query.filter(HasRole(Role.RESIDENT))

MAX_LOOSE_PROMPTS = 5
CONTENT = (~F.text.startswith("/"), NotMenuButton())
RATINGS = {f"rate{n}": n for n in range(1, 6)}


@router.message(Command("cases"))
@router.message(MenuButton("menu.my_cases"))
async def my_cases(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.clear()
    cases = await services.cases.of_resident(actor.uid)
    if not cases:
        await message.answer(t("cases.none_resident"))
        return
    lines = [t("cases.title_resident")]
    lines += [resident_line(services.texts, t.locale, c) for c in cases]
    rows = [[Button(t("btn.open_case", no=c.public_no), "rc_open", c.id)] for c in cases[:10]]
    await message.answer("\n".join(lines), reply_markup=buttons(*rows))


@router.callback_query(Act.filter(F.do == "rc_open"))
async def open_case(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    """The whole story of a case, newest page first; ◀️ pages back to the filing."""
    detail = await services.cases.for_resident(actor.uid, callback_data.ref)
    await query.answer()
    pages = history_pages(services.texts, t.locale, detail, for_staff=False)
    sent = await shown(query).answer(
        pages[-1], reply_markup=_case_buttons(t, detail.case, len(pages) - 1, len(pages))
    )
    await services.cases.link_message(sent.chat.id, sent.message_id, detail.case.id)


@router.callback_query(Act.filter(F.do == "rc_page"))
async def case_page(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    """Another page of the case shown in this message (the message belongs to the case)."""
    message = shown(query)
    case_id = await services.cases.case_of_message(message.chat.id, message.message_id)
    if case_id is None:
        raise Invalid("button.stale")
    detail = await services.cases.for_resident(actor.uid, case_id)
    pages = history_pages(services.texts, t.locale, detail, for_staff=False)
    page = min(max(callback_data.ref, 0), len(pages) - 1)
    await query.answer()
    await message.edit_text(
        pages[page], reply_markup=_case_buttons(t, detail.case, page, len(pages))
    )


def _case_buttons(
    t: Translator, case: CaseView, page: int, pages: int
) -> InlineKeyboardMarkup | None:
    row: list[Button] = []
    if case.status in ACTIVE:
        row.append(Button(t("btn.add_message"), "rc_add", case.id))
    if case.status in OPEN:
        row.append(Button(t("btn.withdraw"), "rc_withdraw", case.id))
    extra: list[Button] = []
    if case.status == CaseStatus.RESOLVED:
        extra = [
            Button(t("btn.verdict_yes"), "verdict_yes", case.id),
            Button(t("btn.verdict_no"), "verdict_no", case.id),
        ]
    elif case.verdict == "resolved" and case.satisfaction is None:
        extra = [Button(t("btn.rate"), "rc_rate", case.id)]
    return buttons(pager(t, "rc_page", page, pages), row, extra)


# ---- adding messages -------------------------------------------------------------------------


@router.message(
    StateFilter(None, CaseChat.resident, Verdict.still_wrong), F.reply_to_message, *CONTENT
)
async def native_reply(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    """A swipe-reply to a message of no case (those of a case went to it before any router,
    handlers/case_replies.py): an inspector's message goes to its report; otherwise it belongs
    to the case being added to, or is a message outside any step."""
    report = report_replied_to(message)
    if report is not None:
        await answer_report(message, report, actor, t, services, state)
        return
    if await state.get_state() is None:
        await stray_message(message, actor, t, services, state)
        return
    await follow_up(message, actor, t, services, state, (await state.get_data())["case_id"])


@router.callback_query(Act.filter(F.do == "rc_add"))
async def add_to_case(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    detail = await services.cases.for_resident(actor.uid, callback_data.ref)
    if detail.case.status not in ACTIVE:
        raise Invalid("case.closed", no=detail.case.public_no)
    await start_step(
        query,
        state,
        CaseChat.resident,
        {"case_id": detail.case.id},
        t("chat.resident_prompt", no=detail.case.public_no),
        done_button(t),
    )


@router.callback_query(
    StateFilter(CaseChat.resident, Verdict.still_wrong), Act.filter(F.do == "chat_done")
)
async def done_adding(query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext) -> None:
    await end_chat(query, actor, t, state)


@router.message(StateFilter(CaseChat.resident, Verdict.still_wrong), *CONTENT)
async def message_for_case(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await follow_up(message, actor, t, services, state, (await state.get_data())["case_id"])


# ---- withdrawing -----------------------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "rc_withdraw"))
async def withdraw_ask(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    case = (await services.cases.for_resident(actor.uid, callback_data.ref)).case
    await query.answer()
    await shown(query).answer(
        t("withdraw.confirm", no=case.public_no),
        reply_markup=buttons(
            [
                Button(t("btn.withdraw_yes"), "rc_withdraw_yes", case.id),
                Button(t("btn.keep_case"), "flow_cancel"),
            ]
        ),
    )


@router.callback_query(Act.filter(F.do == "rc_withdraw_yes"))
async def withdraw(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    case = await services.lifecycle.withdraw(actor.uid, callback_data.ref)
    await query.answer()
    await shown(query).edit_text(t("withdraw.done", no=case.public_no))


# ---- the verdict -----------------------------------------------------------------------------


def _stars(t: Translator, case_id: int) -> list[list[Button]]:
    return [[Button("⭐" * n, action, case_id) for action, n in RATINGS.items()]]


@router.callback_query(Act.filter(F.do == "verdict_yes"))
async def resolved_yes(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    case = await services.lifecycle.confirm(actor.uid, callback_data.ref)
    await query.answer()
    message = shown(query)
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(
        t("verdict.thanks_rate", no=case.public_no), reply_markup=buttons(*_stars(t, case.id))
    )


@router.callback_query(Act.filter(F.do == "rc_rate"))
async def rate_again(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    case = (await services.cases.for_resident(actor.uid, callback_data.ref)).case
    await query.answer()
    await shown(query).answer(
        t("verdict.thanks_rate", no=case.public_no), reply_markup=buttons(*_stars(t, case.id))
    )


@router.callback_query(Act.filter(F.do.in_(set(RATINGS))))
async def rated(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    """The stars are kept the moment they are pressed and the cadre is told; a comment is an
    optional addition, asked for only when the resident presses "Add a comment"."""
    stars = RATINGS[callback_data.do]
    case = await services.lifecycle.rate(actor.uid, callback_data.ref, stars)
    await query.answer()
    await shown(query).edit_text(
        t("verdict.rated_stars", no=case.public_no, stars="⭐" * stars),
        reply_markup=buttons([Button(t("btn.rating_comment"), "rate_comment", case.id)]),
    )


@router.callback_query(Act.filter(F.do == "rate_comment"))
async def rating_comment_button(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    case = (await services.cases.for_resident(actor.uid, callback_data.ref)).case
    if case.satisfaction is None:
        raise Invalid("rating.not_now", no=case.public_no)
    await shown(query).edit_reply_markup(reply_markup=None)
    await start_step(
        query,
        state,
        Verdict.rating_comment,
        {"case_id": case.id},
        t("verdict.comment_prompt", no=case.public_no),
        cancel_button(t),
    )


@router.message(Verdict.rating_comment, F.text, *CONTENT)
async def rating_comment(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.clear()
    if "stars" in data:  # a step begun before stars were kept at once
        await services.lifecycle.rate(actor.uid, data["case_id"], data["stars"])
    case = await services.lifecycle.comment_rating(actor.uid, data["case_id"], message.text or "")
    await message.answer(
        t("verdict.comment_saved", no=case.public_no), reply_markup=main_menu(t, actor.role)
    )


@router.callback_query(Verdict.rating_comment, Act.filter(F.do == "rate_skip"))
async def rating_skipped(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    """Skip under a comment question asked before stars were kept at once."""
    data = await state.get_data()
    await state.clear()
    case = await services.lifecycle.rate(actor.uid, data["case_id"], data.get("stars", 0))
    await query.answer()
    await shown(query).edit_text(t("verdict.rated", no=case.public_no))


@router.message(Verdict.rating_comment, *CONTENT)
async def rating_comment_not_text(message: Message, t: Translator) -> None:
    await message.answer(t("flow.text_needed"))


@router.callback_query(Act.filter(F.do == "verdict_no"))
async def resolved_no(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    case = await services.lifecycle.reopen(actor.uid, callback_data.ref)
    await state.set_state(Verdict.still_wrong)
    await state.set_data({"case_id": case.id})
    await query.answer()
    message = shown(query)
    await message.edit_reply_markup(reply_markup=None)
    who = staff_name(services.texts, t.locale, case.assignee_name, case.assignee_title)
    await message.answer(
        t("verdict.reopened", no=case.public_no, name=who),
        reply_markup=buttons([done_button(t)]),
    )


# ---- messages outside any step ---------------------------------------------------------------


@router.message(StateFilter(None), *CONTENT)
async def stray_message(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    """A message outside any flow is never dropped: offer to file it or add it to a case."""
    part = part_of(message, services.ctx.config.max_text)
    data = await state.get_data()
    prompts: dict[str, list[dict[str, Any]]] = data.get("loose", {})
    albums: dict[str, int] = data.get("loose_albums", {})
    if part.media_group_id and part.media_group_id in albums:
        prompts.setdefault(str(albums[part.media_group_id]), []).append(part.to_dict())
        await state.update_data(loose=prompts)
        return
    open_cases = await services.cases.open_of_resident(actor.uid)
    rows = [[Button(t("btn.as_new_case"), "loose_new")]]
    rows += [[Button(t("btn.add_to_case", no=c.public_no), "loose_add", c.id)] for c in open_cases]
    sent = await message.reply(t("loose.what_to_do"), reply_markup=buttons(*rows))
    prompts[str(sent.message_id)] = [part.to_dict()]
    if part.media_group_id:
        albums = {part.media_group_id: sent.message_id}
    keep = sorted(prompts, key=int)[-MAX_LOOSE_PROMPTS:]
    await state.update_data(loose={k: prompts[k] for k in keep}, loose_albums=albums)


async def _loose_parts(query: CallbackQuery, state: FSMContext) -> list[dict[str, Any]]:
    data = await state.get_data()
    parts: list[dict[str, Any]] | None = data.get("loose", {}).get(str(shown(query).message_id))
    if not parts:
        raise Invalid("button.stale")
    return parts


@router.callback_query(StateFilter(None), Act.filter(F.do == "loose_new"))
async def loose_as_new(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    parts = await _loose_parts(query, state)
    await query.answer()
    message = shown(query)
    await message.edit_reply_markup(reply_markup=None)
    await start_filing(message, actor, t, state, parts=parts, services=services)


@router.callback_query(StateFilter(None), Act.filter(F.do == "loose_add"))
async def loose_to_case(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    parts = await _loose_parts(query, state)
    case = None
    for raw in parts:
        case = await services.cases.follow_up(actor.uid, callback_data.ref, Part.from_dict(raw))
    assert case is not None
    data = await state.get_data()
    loose = data.get("loose", {})
    loose.pop(str(shown(query).message_id), None)
    await state.update_data(loose=loose)
    await query.answer()
    who = staff_name(services.texts, t.locale, case.assignee_name, case.assignee_title)
    await shown(query).edit_text(t("chat.relayed", no=case.public_no, name=who))
