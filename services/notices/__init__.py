"""Policy notices (政策通知 / 公告): composed once, fanned out to every resident through the
shared fan-out (services/fanout), paced, resumable, cancellable, acknowledged.

composing.py stores a notice; sending.py starts and follows it; reading.py is the residents'
side; groups.py links a point's Telegram group; wording.py is how all of it reads."""

from services.fanout.audience import Audience
from services.fanout.ledger import CANCELLED, SCHEDULED, SENDING, SENT, Progress, Tally
from services.fanout.wording import bar
from services.notices.data import (
    ComposeScope,
    Created,
    Estimate,
    LinkedGroup,
    NoticeDraft,
    NoticeLine,
    NoticeMedia,
    ResidentNotice,
)
from services.notices.service import Notices
from services.notices.text import (
    first_line,
    markdown_to_html,
    parse_notice_file,
    parse_when,
    plain_length,
)
from services.outbox import edit_message

__all__ = [
    "CANCELLED",
    "SCHEDULED",
    "SENDING",
    "SENT",
    "Audience",
    "ComposeScope",
    "Created",
    "Estimate",
    "LinkedGroup",
    "NoticeDraft",
    "NoticeLine",
    "NoticeMedia",
    "Notices",
    "Progress",
    "ResidentNotice",
    "Tally",
    "bar",
    "edit_message",
    "first_line",
    "markdown_to_html",
    "parse_notice_file",
    "parse_when",
    "plain_length",
]
