"""What staff look up: open cases by deadline (/cases), one case (/case), figures (/stats).

These are menu actions: pressing one leaves whatever step was in progress.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import Act
from bot.filters import HasRole, MenuButton
from bot.keyboards import buttons, inline
from bot.replies import shown
from handlers.flow import pager
from handlers.history import history_text
from models.enums import Role
from services.app import Services
from services.cards import case_actions, staff_card
from services.errors import NotFound
from services.figures import render_report
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc
from services.visits import compliance_lines

router = Router(name="staff_lists")
router.message.filter(F.chat.type == "private", HasRole(Role.CADRE, Role.ADMIN))
router.callback_query.filter(HasRole(Role.CADRE, Role.ADMIN))

PERIODS = ("stats.this_month", "stats.last_month", "stats.this_year")


@router.message(Command("cases"))
@router.message(MenuButton("menu.open_cases"))
async def queue(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.clear()
    text, markup = await _queue_page(actor, t, services, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(Act.filter(F.do == "sc_page"))
async def queue_page(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    text, markup = await _queue_page(actor, t, services, callback_data.ref)
    await query.answer()
    await shown(query).edit_text(text, reply_markup=markup)


async def _queue_page(
    actor: Actor, t: Translator, services: Services, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    result = await services.cases.staff_queue(actor.uid, page)
    if not result.cases:
        return t("cases.none_staff"), None
    now = services.ctx.clock.now()
    lines = [t("cases.title_staff", page=result.page + 1, pages=result.pages)]
    rows: list[list[Button]] = []
    for case in result.cases:
        flag = "⚠️ " if case.overdue(now) else ""
        flag += "🔁 " if case.reopened_count else ""
        lines.append(
            flag
            + t(
                "cases.staff_line",
                no=case.public_no,
                status=t(f"status.{case.status}"),
                due=services.texts.when(t.locale, case.due_resolve_at, case.point_tz),
                point=esc(case.point_name),
            )
        )
        rows.append([Button(flag + case.public_no, "sc_open", case.id)])
    return "\n".join(lines), buttons(*rows, pager(t, "sc_page", result.page, result.pages))


@router.callback_query(Act.filter(F.do == "sc_open"))
async def open_from_list(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    await query.answer()
    await _show_case(shown(query), actor, t, services, callback_data.ref)


@router.message(Command("case"))
async def case_by_number(
    message: Message,
    command: CommandObject,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await state.clear()
    number = (command.args or "").strip()
    if not number:
        await message.answer(t("case.number_needed"))
        return
    case_id = await services.cases.find_number(number)
    if case_id is None:
        raise NotFound("case.no_such_number", no=esc(number[:20]))
    await _show_case(message, actor, t, services, case_id)


async def _show_case(
    message: Message, actor: Actor, t: Translator, services: Services, case_id: int
) -> None:
    detail = await services.cases.for_staff(actor.uid, case_id)
    await message.answer(history_text(services.texts, t.locale, detail, for_staff=True))
    card = await message.answer(
        staff_card(
            services.texts, t.locale, detail.case, services.ctx.clock.now(), headline="card.case"
        ),
        reply_markup=inline(case_actions(services.texts, t.locale, detail.case)),
    )
    await services.cases.link_message(card.chat.id, card.message_id, case_id)
    await services.lifecycle.show_card(card.chat.id, card.message_id, case_id, actor.uid)


@router.message(Command("stats"))
@router.message(MenuButton("menu.stats"))
async def stats(
    message: Message,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
    command: CommandObject | None = None,
) -> None:
    await state.clear()
    # An administrator may look at one contact point or a part of their region; the period
    # buttons then keep to it.
    scope = ((command.args or "").strip() if command else "") or None
    text, markup = await _stats(actor, t, services, 0, scope)
    if scope:
        await state.update_data(stats_scope=scope)
    await message.answer(text, reply_markup=markup)


@router.callback_query(Act.filter(F.do == "stats_period"))
async def stats_period(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    scope = (await state.get_data()).get("stats_scope")
    text, markup = await _stats(actor, t, services, callback_data.ref % len(PERIODS), scope)
    await query.answer()
    await shown(query).edit_text(text, reply_markup=markup)


async def _stats(
    actor: Actor, t: Translator, services: Services, which: int, scope: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    report = await services.figures.report(
        actor.uid, which, scope=scope if actor.is_admin else None
    )
    text = render_report(services.texts, t.locale, report)
    if actor.is_admin and scope is None and len(report.period.key) == 7:
        # Administrators see their region's visit compliance for the same month.
        year, month = (int(part) for part in report.period.key.split("-"))
        compliance = await services.visits.compliance(actor.region, year, month)
        text += "\n\n" + "\n".join(compliance_lines(services.texts, t.locale, compliance))
    if actor.is_admin and scope is None:
        text += "\n\n" + t("stats.hint_scope")
    row = [
        Button(("• " if i == which else "") + t(key), "stats_period", i)
        for i, key in enumerate(PERIODS)
    ]
    return text, buttons(row)
