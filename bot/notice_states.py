"""The steps of composing a notice (handlers/notices/)."""

from aiogram.fsm.state import State, StatesGroup


class NoticeCompose(StatesGroup):
    text = State()  # waiting for the notice: text, or a photo or document with a caption
    variants = State()  # offered to add the notice in another language
    variant = State()  # waiting for the text in that language
    audience = State()  # everyone, regions or contact points (administrators)
    regions = State()  # ticking regions
    points = State()  # ticking contact points
    when = State()  # now or at a set time
    when_at = State()  # waiting for the date and time
    preview = State()  # shown as residents will see it; waiting for the confirmation
