"""/visits: where the cadre stands at each point this month and this year."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import (
    InlineKeyboardMarkup,
    Message,
)

from bot.filters import MenuButton
from bot.keyboards import buttons
from handlers.visits.common import reception_line
from services.app import Services
from services.outbox import Button
from services.people import Actor
from services.texts import Translator
from services.visits import (
    Progress,
    clock_text,
    point_label,
    progress_lines,
)

router = Router(name="visits:card")


# ---- /visits: where the cadre stands ----


@router.message(Command("visits"))
@router.message(MenuButton("menu.visits"))
async def my_visits(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    progress = await services.visits.progress(actor.uid)
    text, markup = visits_card(t, progress)
    await message.answer(text, reply_markup=markup)


def visits_card(t: Translator, progress: Progress) -> tuple[str, InlineKeyboardMarkup | None]:
    if not progress.points:
        return t("visits.card.no_points"), None
    lines = [t("visits.card.title")]
    checked_in = False
    for p in progress.points:
        lines += ["", f"<b>{point_label(p.point)}</b>", *progress_lines(t.texts, t.locale, p)]
        if p.open_visit is not None:
            checked_in = True
            lines.append(
                t("visits.card.on_site", since=clock_text(p.open_visit.started_at, p.point.tz))
            )
    lines.append("")
    if progress.households:
        lines.append(
            t(
                "visits.card.households",
                total=progress.households,
                contacted=progress.households_contacted,
            )
        )
    for r in progress.receptions[:3]:
        lines.append(reception_line(t, r))
    first = (
        Button(t("visits.btn.check_out"), "visit_checkout")
        if checked_in
        else Button(t("visits.btn.check_in"), "visit_checkin")
    )
    return "\n".join(lines).strip(), buttons(
        [first, Button(t("visits.btn.log"), "visit_log")],
        [
            Button(t("visits.btn.households"), "visit_households"),
            Button(t("visits.btn.reception"), "visit_reception"),
        ],
    )
