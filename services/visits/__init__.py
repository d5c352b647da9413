"""Cadres keep their visit obligations: calendar rules, check-ins, pairings, reception days,
compliance figures and reminders — one module each; :class:`Visits` is what the app calls.

The rules (local regulations of the kind this product serves): a cadre visits each contact point
they are assigned to at least once a month and stays there at least ten days a year — both
configurable per point and globally (see :mod:`services.visits.rules` and ``policy``).
"""

from __future__ import annotations

from services.reminders import Handler
from services.visits.checkins import CheckIn, CheckIns, CheckOut, Progress
from services.visits.compliance import Compliance, ComplianceCases, ComplianceRow
from services.visits.pairing import Household, Paired, Pairings, PairingView
from services.visits.policy import PolicyCases
from services.visits.progress import PointProgress, VisitView
from services.visits.receptions import ReceptionPreview, Receptions, ReceptionView
from services.visits.reminders import ReminderPlanning, VisitReminders
from services.visits.rules import (
    LOG_BACK_DAYS,
    RECEPTION_SLOTS,
    DayCounts,
    Policy,
    at_local,
    expected_by,
    local_day,
    month_end_reminder_day,
    months_of_duty,
    obliged,
    parse_day,
    parse_hours,
    year_target,
)
from services.visits.shared import CadreRef, PointRef
from services.visits.wording import (
    clock_text,
    compliance_lines,
    day_text,
    distance_text,
    duration_text,
    hours_text,
    month_text,
    point_label,
    policy_lines,
    progress_lines,
    split_messages,
)

__all__ = [
    "LOG_BACK_DAYS",
    "RECEPTION_SLOTS",
    "CadreRef",
    "CheckIn",
    "CheckOut",
    "Compliance",
    "ComplianceRow",
    "DayCounts",
    "Household",
    "Paired",
    "PairingView",
    "PointProgress",
    "PointRef",
    "Policy",
    "Progress",
    "ReceptionPreview",
    "ReceptionView",
    "VisitView",
    "Visits",
    "at_local",
    "clock_text",
    "compliance_lines",
    "day_text",
    "distance_text",
    "duration_text",
    "expected_by",
    "hours_text",
    "local_day",
    "month_end_reminder_day",
    "month_text",
    "months_of_duty",
    "obliged",
    "parse_day",
    "parse_hours",
    "point_label",
    "policy_lines",
    "progress_lines",
    "split_messages",
    "year_target",
]


class Visits(
    PolicyCases,
    CheckIns,
    Pairings,
    Receptions,
    ComplianceCases,
    ReminderPlanning,
    VisitReminders,
):
    """The visits use cases bound to one context; each group lives next to its rules."""

    def reminder_handlers(self) -> dict[str, Handler]:
        return {**self.cadre_reminder_handlers(), **self.reception_reminder_handlers()}
