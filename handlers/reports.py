"""/report and /digest for staff.

/report: choose the month (an administrator may name a point or region first: ``/report
XH01``), then the album of charts and the workbook, as the answer in this chat. /digest: the
last seven days' recurring problems; the Monday message's button: the week just ended.

Residents' /report is their tip-off command (handlers/tipoffs.py). Routers are gated by role,
so the same command word means each audience's own thing: staff never reach the tip-off
flow and residents never reach this one.
"""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaLivePhoto,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
)

from bot.callbacks import Act
from bot.filters import HasRole
from bot.keyboards import buttons
from bot.replies import shown
from handlers.flow import cancel_button
from models.enums import Role
from services.app import Services
from services.digest.service import render_digest
from services.outbox import Button
from services.people import Actor
from services.reports.scope import ReportScope
from services.reports.service import MonthlyReport, recent_months
from services.texts import Translator, esc

router = Router(name="reports")
router.message.filter(F.chat.type == "private", HasRole(Role.CADRE, Role.ADMIN))
router.callback_query.filter(HasRole(Role.CADRE, Role.ADMIN))


def scope_name(t: Translator, scope: ReportScope) -> str:
    if scope.label:
        return esc(scope.label)
    return t("report.scope_own" if scope.for_cadre else "report.scope_all")


@router.message(Command("report"))
async def report(
    message: Message,
    command: CommandObject,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await state.clear()
    spec = (command.args or "").strip()[:80] if actor.is_admin else ""
    scope = await services.reports.scope_of(actor.uid, spec or None)
    if scope.for_cadre and not scope.point_ids:
        await message.answer(t("report.no_points"))
        return
    await state.update_data(report_scope=spec)
    months = recent_months(services.ctx.clock.now(), scope.zone)
    row_of = [Button(m, "rp_month", int(m.replace("-", ""))) for m in months]
    rows = [row_of[i : i + 3] for i in range(0, len(row_of), 3)]
    text = t("report.choose_month", scope=scope_name(t, scope))
    if actor.is_admin and not spec:
        text += "\n" + t("report.hint_scope")
    await message.answer(text, reply_markup=buttons(*rows, [cancel_button(t)]))


@router.callback_query(Act.filter(F.do.in_({"rp_month", "rp_get"})))
async def chosen(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    # "rp_get" is the monthly message's button: the administrator's whole area.
    spec = None
    if callback_data.do == "rp_month" and actor.is_admin:
        spec = (await state.get_data()).get("report_scope") or None
    month = str(callback_data.ref)
    month = f"{month[:4]}-{month[4:]}"
    await query.answer(t("report.working", month=month))
    working = shown(query)
    if callback_data.do == "rp_month":
        with contextlib.suppress(TelegramBadRequest):
            edited = await working.edit_text(t("report.working", month=month))
            if isinstance(edited, Message):
                working = edited
    made = await services.reports.for_reader(actor.uid, month, spec, t.locale)
    await send_report(working, t, made)


async def send_report(message: Message, t: Translator, made: MonthlyReport) -> None:
    month, scope = made.figures.period.key, scope_name(t, made.figures.scope)
    await message.answer(t("report.sent", month=month))
    album: list[
        InputMediaAudio
        | InputMediaDocument
        | InputMediaLivePhoto
        | InputMediaPhoto
        | InputMediaVideo
    ] = [
        InputMediaPhoto(
            media=BufferedInputFile(chart.png, filename=f"{chart.name}.png"),
            caption=t("report.caption", month=month, scope=scope) if i == 0 else None,
        )
        for i, chart in enumerate(made.charts)
    ]
    await message.answer_media_group(album)
    caption = t("report.workbook_caption", month=month, scope=scope)
    if made.cases_capped:
        shown, total = made.cases_listed, made.cases_total
        caption += "\n" + t("report.caption_capped", shown=shown, total=total)
    await message.answer_document(
        BufferedInputFile(made.workbook, filename=f"{made.file_stem}.xlsx"), caption=caption
    )


@router.message(Command("digest"))
async def digest(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    """The last seven days' recurring problems in the reader's own scope."""
    await state.clear()
    made = await services.digests.for_reader(actor.uid)
    await message.answer(render_digest(services.texts, t.locale, made))


@router.callback_query(Act.filter(F.do == "dg_get"))
async def digest_of_week(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    """The Monday message's button: the week that ended that Monday."""
    await query.answer()
    scope = await services.reports.scope_of(actor.uid, None)
    end = services.digests.monday_of(callback_data.ref, scope.zone)
    made = await services.digests.build(scope, end)
    await shown(query).answer(render_digest(services.texts, t.locale, made))
