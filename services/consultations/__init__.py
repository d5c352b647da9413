"""Consultations and surveys (征求意见 / 调研): a form of questions sent to the residents of some
points through the shared fan-out, answered one question at a time, results live, and the
outcome told back to everyone who answered. Anonymous answers are kept with no link to the
person (see models/consultations.py)."""

from services.consultations.answering import Answering, ResidentLine
from services.consultations.base import CLOSED, OPEN, SCHEDULED
from services.consultations.composing import Preview
from services.consultations.form import KINDS, Form, Question, check_answer, parse_form
from services.consultations.service import Consultations

__all__ = [
    "CLOSED",
    "KINDS",
    "OPEN",
    "SCHEDULED",
    "Answering",
    "Consultations",
    "Form",
    "Preview",
    "Question",
    "ResidentLine",
    "check_answer",
    "parse_form",
]
