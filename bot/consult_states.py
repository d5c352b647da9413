"""The steps of consultations: a resident answering, an author composing and closing one
(handlers/consultations/)."""

from aiogram.fsm.state import State, StatesGroup


class ConsultAnswer(StatesGroup):
    question = State()  # on question data["i"]; answers so far in data["answers"]
    summary = State()  # every question seen; Submit or start again


class ConsultCompose(StatesGroup):
    file = State()  # waiting for the consultation file (a .toml document or pasted text)
    preview = State()  # shown as residents will read it; waiting for Send


class ConsultClose(StatesGroup):
    outcome = State()  # waiting for the outcome's words
    adopted = State()  # waiting for how many opinions were adopted
