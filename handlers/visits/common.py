"""What the visits steps share: typed text, the keyboards, day buttons, the cadre's point."""

from __future__ import annotations

from datetime import date

from aiogram.filters import Filter
from aiogram.types import (
    CallbackQuery,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from bot.keyboards import MENU_KEYS, buttons, main_menu
from bot.replies import shown
from bot.visit_states import VisitFlow
from handlers.flow import cancel_button
from models.enums import Role
from services.app import Services
from services.errors import Invalid, NotFound
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc
from services.visits import (
    PointRef,
    ReceptionView,
    day_text,
    hours_text,
)

NOTE_STATES = (VisitFlow.unverified_note, VisitFlow.log_note, VisitFlow.contact_note)
# This feature's reply-keyboard buttons (the main menu's are in bot.keyboards.MENU).
OWN_BUTTONS = frozenset(
    {"menu.check_in", "menu.visits", "visits.btn.check_out", "visits.btn.not_now"}
)
_NOT_TYPED = OWN_BUTTONS | MENU_KEYS


class Typed(Filter):
    """Text the person typed: not a command, not a reply-keyboard button of any menu — so a
    menu tap in the middle of a step never becomes a note."""

    async def __call__(self, message: Message, services: Services, **_: object) -> bool:
        text = message.text
        if not text or text.startswith("/"):
            return False
        return not services.texts.matches_any(_NOT_TYPED, text)


# ---- keyboards ----


def location_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    """The phone's own location, one tap away; it stays until the check-in is done."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("visits.btn.send_location"), request_location=True)],
            [KeyboardButton(text=t("visits.btn.not_now"))],
        ],
        resize_keyboard=True,
    )


def on_site_keyboard(t: Translator, role: Role | None) -> ReplyKeyboardMarkup:
    """The main menu with "🚪 Check out" on top, while the cadre is at the point."""
    menu = main_menu(t, role)
    rows = menu.keyboard if isinstance(menu, ReplyKeyboardMarkup) else []
    check_in = t("menu.check_in")
    rest = [[b for b in row if b.text != check_in] for row in rows]
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=t("visits.btn.check_out"))], *[r for r in rest if r]],
        resize_keyboard=True,
        is_persistent=True,
    )


def day_buttons(t: Translator, days: list[date], action: str) -> list[list[Button]]:
    labels = [day_label(t, d, days[0]) for d in days]
    cells = [Button(label, action, d.toordinal()) for label, d in zip(labels, days, strict=True)]
    return [cells[i : i + 2] for i in range(0, len(cells), 2)]


def day_label(t: Translator, day: date, today: date) -> str:
    if day == today:
        return t("visits.today")
    return day_text(t.texts, t.locale, day)


async def only_point(
    query: CallbackQuery,
    actor: Actor,
    t: Translator,
    services: Services,
    question: str,
    action: str,
    *,
    edit: bool,
) -> PointRef | None:
    """The cadre's point if they serve one; with several, ``question`` with a button for each
    (``action``), as a new message or in place of the one pressed, and None."""
    points = await services.visits.my_points(actor.uid)
    if not points:
        raise Invalid("visits.no_points")
    await query.answer()
    if len(points) == 1:
        return points[0]
    rows = [[Button(p.name[:60], action, p.id)] for p in points]
    markup = buttons(*rows, [cancel_button(t)])
    if edit:
        await shown(query).edit_text(question, reply_markup=markup)
    else:
        await shown(query).answer(question, reply_markup=markup)
    return None


async def my_point(actor: Actor, services: Services, point_id: int) -> PointRef:
    for point in await services.visits.my_points(actor.uid):
        if point.id == point_id:
            return point
    raise NotFound("visits.not_your_point")


def reception_line(t: Translator, r: ReceptionView) -> str:
    return t(
        "visits.card.reception",
        day=day_text(t.texts, t.locale, r.day),
        hours=hours_text(r.starts_at, r.ends_at, r.point.tz),
        point=esc(r.point.name),
    )
