"""Delivery problems in the menu: messages that could not be delivered and who blocked the bot."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.callbacks import Act
from bot.keyboards import buttons
from handlers.admin.common import (
    View,
    back_button,
    browse,
    office,
    show,
    when_text,
)
from handlers.flow import pager
from services.admin_points import (
    DEFAULT_TZ,
)
from services.app import Services
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, cut, esc

router = Router(name="admin:delivery")


# ---- delivery problems ---------------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_dead"))
async def undelivered(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await browse(state)
    await show(query, await _dead(actor, t, services, callback_data.ref))


async def _dead(actor: Actor, t: Translator, services: Services, page: int) -> View:
    result = await office(services).delivery.dead(actor.uid, page)
    lines = [t("admin.delivery.title", count=result.total)]
    if not result.rows:
        lines.append(t("admin.delivery.none"))
    elif result.pages > 1:
        lines.append(t("admin.page", page=result.page + 1, pages=result.pages))
    rows: list[list[Button]] = []
    for row in result.rows:
        who = esc(row.recipient) if row.recipient else t("admin.delivery.unnamed")
        lines.append(
            t(
                "admin.delivery.line",
                id=row.id,
                when=when_text(t, services, row.at),
                who=who,
                case=row.case_no or "—",
                reason=esc(cut(row.reason, 120) or "—"),
            )
        )
        rows.append(
            [
                Button(t("admin.btn.retry", id=row.id), "adm_dead_retry", row.id),
                Button(t("admin.btn.dismiss", id=row.id), "adm_dead_dismiss", row.id),
            ]
        )
    blocked = await office(services).delivery.blocked(actor.uid, 0, size=1)
    return "\n".join(lines), buttons(
        *rows,
        pager(t, "adm_dead", result.page, result.pages),
        [Button(t("admin.btn.blocked", count=blocked.total), "adm_blocked")],
        [back_button(t, "adm_home")],
    )


@router.callback_query(Act.filter(F.do.in_({"adm_dead_retry", "adm_dead_dismiss"})))
async def settle(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    delivery = office(services).delivery
    if callback_data.do == "adm_dead_retry":
        await delivery.retry(actor.uid, callback_data.ref)
        toast = t("admin.delivery.retried", id=callback_data.ref)
    else:
        await delivery.dismiss(actor.uid, callback_data.ref)
        toast = t("admin.delivery.dismissed", id=callback_data.ref)
    await show(query, await _dead(actor, t, services, 0), toast)


@router.callback_query(Act.filter(F.do == "adm_blocked"))
async def blocked(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    result = await office(services).delivery.blocked(actor.uid, callback_data.ref)
    lines = [t("admin.blocked.title", count=result.total)]
    if not result.rows:
        lines.append(t("admin.blocked.none"))
    for row in result.rows:
        lines.append(
            t(
                "admin.blocked.line",
                name=esc(row.name),
                point=esc(row.point or "—"),
                since=services.texts.date(t.locale, row.since, DEFAULT_TZ),
            )
        )
    await show(
        query,
        (
            "\n".join(lines),
            buttons(
                pager(t, "adm_blocked", result.page, result.pages),
                [back_button(t, "adm_dead")],
            ),
        ),
    )
