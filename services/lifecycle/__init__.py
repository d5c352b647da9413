"""Status changes of a case, checked against ``services/case_rules.py``: cadres handling it
(handling), handing it on (transfer), the resident's withdrawal and verdict (verdict) and
rating (rating); `Lifecycle` is all of them in one object."""

from services.lifecycle.desk import NOTE_LIMIT
from services.lifecycle.handling import Handling, verdict_buttons
from services.lifecycle.rating import STARS, Rating
from services.lifecycle.transfer import Transfer, TransferTarget
from services.lifecycle.verdict import Verdict

__all__ = ["NOTE_LIMIT", "STARS", "Lifecycle", "TransferTarget", "verdict_buttons"]


class Lifecycle(Handling, Transfer, Verdict, Rating):
    """Every status change of a case, as one facade."""
