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


class ConsultWizard(StatesGroup):
    """/consult → New: a consultation composed with buttons, one step at a time. The draft is
    in data["w"] (a consultation file's shape), the question being written in data["cur"]."""

    title = State()
    intro = State()
    document = State()
    kind = State()  # the questions so far; the next one's kind, or Done
    q_text = State()
    q_options = State()
    q_required = State()
    audience = State()
    regions = State()
    points = State()
    opens = State()
    opens_at = State()
    closes = State()
    privacy = State()
    variants = State()
    slot = State()  # a field of another language's variant, data["vloc"], data["slot"]
