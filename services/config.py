"""What the services need to know about the deployment, free of any transport."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from models.enums import Tier


@dataclass(frozen=True)
class DeadlinePolicy:
    """How long each priority tier may take, and the first-response deadline.

    ``resolve`` maps a tier to ("hours", n) counted on the clock or ("workdays", n) counted on
    the working-day calendar of the contact point's time zone; ("minutes", n) is for trials and
    rehearsals, so an office can watch the whole clock run in an afternoon.
    """

    resolve: dict[str, tuple[str, int]] = field(
        default_factory=lambda: {
            Tier.URGENT: ("hours", 2),
            Tier.UTILITIES: ("hours", 24),
            Tier.GENERAL: ("workdays", 7),
            Tier.COMPLEX: ("workdays", 15),
        }
    )
    ack_hours: float = 24
    urgent_ack_hours: float = 2
    holidays: frozenset[date] = frozenset()
    # Weekend days made working days by the official calendar (调休).
    extra_workdays: frozenset[date] = frozenset()
    # Past a deadline, the point's other cadres hear at once; administrators this much later.
    escalate_after_hours: float = 24
    urgent_escalate_after_hours: float = 2
    # A resolved case the resident never confirms or disputes closes after this many days.
    verdict_days: int = 7


def parse_tiers(spec: str) -> dict[str, tuple[str, int]]:
    """``"urgent=2h,utilities=24h,general=7d,complex=15d"``: h clock hours, d working days,
    m minutes (for trials: ``urgent=10m``)."""
    tiers: dict[str, tuple[str, int]] = {}
    wanted = "expected tier=<n>h, tier=<n>d or tier=<n>m"
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = item.partition("=")
        name, value = name.strip(), value.strip().lower()
        if name not in set(Tier) or len(value) < 2 or not value[:-1].isdigit():
            raise ValueError(f"{item!r}: {wanted}")
        unit = {"h": "hours", "d": "workdays", "m": "minutes"}.get(value[-1])
        if unit is None or int(value[:-1]) < 1:
            raise ValueError(f"{item!r}: {wanted}")
        tiers[name] = (unit, int(value[:-1]))
    missing = set(Tier) - set(tiers)
    if missing:
        raise ValueError(f"missing tiers: {', '.join(sorted(missing))}")
    return tiers


def parse_hours(value: object) -> float:
    """A ``*_HOURS`` setting in hours: ``24``, ``24h``, or minutes for trials, ``10m``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().lower()
    factor = 1.0
    if text.endswith("m"):
        text, factor = text[:-1], 1 / 60
    elif text.endswith("h"):
        text = text[:-1]
    try:
        hours = float(text.strip()) * factor
    except ValueError:
        raise ValueError(f"{value!r}: expected hours (24, 24h) or minutes (10m)") from None
    if hours <= 0:
        raise ValueError(f"{value!r}: must be more than zero")
    return hours


@dataclass(frozen=True)
class ServiceConfig:
    default_locale: str = "zh_Hans"
    admin_tg_ids: frozenset[int] = frozenset()
    bot_username: str = "contact_point_bot"
    invite_ttl_hours: float = 72
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    # A draft case holds at most this many messages; a resident with more can add them later.
    max_parts: int = 30
    # Longest text a resident may send in one message: Telegram's 4096 less room for the
    # label the relay adds (case number and name).
    max_text: int = 3800
    outbox_max_attempts: int = 8
    # Encrypts anonymous reporters' chats (Fernet); None switches anonymous tip-offs off.
    tipoff_key: str | None = None
    # Named tip-offs must be acknowledged within this many working days.
    tipoff_ack_workdays: int = 15
    # Closed cases older than this lose their personal data.
    retention_days: int = 1095
    # The monthly report to administrators and the weekly digest (services/reports, digest).
    monthly_reports: bool = True
    weekly_digest: bool = True
    # A report made in the chat lists at most this many cases in its cases sheet (its time
    # grows with the rows); ``cpbot report`` lists them all.
    report_case_rows: int = 10_000
    # The bot-wide sending rate (messages a second): a fan-out's first window is sized on it
    # before its own delivery rate has been measured.
    send_rate: int = 25
