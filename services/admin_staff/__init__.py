"""Administrators manage staff: browsing (browse), invitations, who serves which point and who
is its primary cadre (points), and suspending, removing or reinstating someone with their open
cases re-routed (access); `AdminStaff` is all of them in one object."""

from services.admin_staff.access import Access
from services.admin_staff.browse import Browse
from services.admin_staff.invitations import Invitations
from services.admin_staff.lines import (
    ACTIVE,
    ASSIGNABLE,
    REMOVED,
    SUSPENDED,
    Rerouted,
    StaffLine,
    StaffPage,
    StaffPoint,
    status_of,
)
from services.admin_staff.points import PointAssignments

__all__ = [
    "ACTIVE",
    "ASSIGNABLE",
    "REMOVED",
    "SUSPENDED",
    "AdminStaff",
    "Rerouted",
    "StaffLine",
    "StaffPage",
    "StaffPoint",
    "status_of",
]


class AdminStaff(Browse, Invitations, PointAssignments, Access):
    """Every staff use case of an administrator, as one facade."""
