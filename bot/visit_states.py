"""The steps of the visits feature's conversations (check-in, logging, pairing, reception days)."""

from aiogram.fsm.state import State, StatesGroup


class VisitFlow(StatesGroup):
    location = State()  # waiting for the cadre's shared location
    unverified_note = State()  # a note for a check-in the location did not verify
    log_day = State()  # the day of a past visit (a button or a typed date)
    log_note = State()  # what was done on that visit
    contact_note = State()  # an optional note on a contact with a paired household
    reception_day = State()
    reception_hours = State()
    pair_search = State()  # an administrator looking up a household to pair
