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


class Verdict(StatesGroup):
    """After the resident's answer to "is it resolved?": an optional word for the cadre."""

    rating_comment = State()
    still_wrong = State()


class StaffFlow(StatesGroup):
    title = State()
    resolve_note = State()
    transfer_pick = State()
    transfer_note = State()
    close_note = State()
    internal_note = State()


class TipOffFlow(StatesGroup):
    """A resident reporting misconduct, or following a report with its receipt code."""

    mode = State()
    concerns = State()
    content = State()
    confirm = State()
    receipt = State()
    follow_up = State()


class InspectorFlow(StatesGroup):
    reply = State()
    close_note = State()


class PrivacyFlow(StatesGroup):
    forget = State()
