"""Tip-offs (举报): reports of misconduct, seen only by the discipline inspectors of the contact
point's region — never by its cadres, never by anyone the reporter names.

Tip-offs live in their own tables, so no cadre's list, card, figure or export can touch them.
An anonymous reporter is known to the system only through an encrypted link to their chat and
the hash of a receipt code they keep; inspectors see an alias. Messages to and from an anonymous
reporter are relayed inside the bot, and their outbox rows are scrubbed once sent.

Here: routing.py (which inspector), anonymity.py (who may reach a report; sealing, receipt
codes), relaying.py (messages between the sides), acknowledgement.py (accepting, closing,
the deadline reminder), reporting.py and inspection.py (each side's use cases), views.py (what
they read), desk.py (all of them behind ``TipOffs``).
"""

from services.tipoffs.desk import TipOffs
from services.tipoffs.routing import choose_inspector
from services.tipoffs.views import OPEN, Filed, Official, TipMessage, TipView, tipoff_card

__all__ = [
    "OPEN",
    "Filed",
    "Official",
    "TipMessage",
    "TipOffs",
    "TipView",
    "choose_inspector",
    "tipoff_card",
]
