"""The consultation use cases as one object for handlers, jobs and the CLI."""

from __future__ import annotations

from services.consultations.answering import Residents
from services.consultations.composing import Composing
from services.consultations.lifecycle import Lifecycle


class Consultations(Composing, Lifecycle, Residents):
    """Compose (composing.py), open, remind, close and report (lifecycle.py), answer
    (answering.py); the invitations, reminders and outcome go through services/fanout."""
