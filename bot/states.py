"""The steps of each conversation."""

from aiogram.fsm.state import State, StatesGroup


class Registration(StatesGroup):
    privacy = State()
    point = State()
    phone = State()


class Filing(StatesGroup):
    kind = State()
    category = State()
    content = State()
    confirm = State()


class CaseChat(StatesGroup):
    """A resident adding messages to one case, or staff replying to one."""

    resident = State()
    staff = State()


class StaffFlow(StatesGroup):
    title = State()
    resolve_note = State()
    transfer_note = State()
