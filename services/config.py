"""What the services need to know about the deployment, free of any transport."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from models.enums import Tier


@dataclass(frozen=True)
class DeadlinePolicy:
    """How long each priority tier may take, and the first-response deadline.

    ``resolve`` maps a tier to ("hours", n) counted on the clock or ("workdays", n) counted on
    the working-day calendar of the contact point's time zone.
    """

    resolve: dict[str, tuple[str, int]] = field(
        default_factory=lambda: {
            Tier.URGENT: ("hours", 2),
            Tier.UTILITIES: ("hours", 24),
            Tier.GENERAL: ("workdays", 7),
            Tier.COMPLEX: ("workdays", 15),
        }
    )
    ack_hours: int = 24
    urgent_ack_hours: int = 2
    holidays: frozenset[date] = frozenset()
    # Weekend days made working days by the official calendar (调休).
    extra_workdays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class ServiceConfig:
    default_locale: str = "zh_Hans"
    admin_tg_ids: frozenset[int] = frozenset()
    bot_username: str = "contact_point_bot"
    invite_ttl_hours: int = 72
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    # A draft case holds at most this many messages; a resident with more can add them later.
    max_parts: int = 30
    # Longest text a resident may send in one message: Telegram's 4096 less room for the
    # label the relay adds (case number and name).
    max_text: int = 3800
    outbox_max_attempts: int = 8
