"""The services' configuration from the settings (no aiogram: the command line uses it too)."""

from __future__ import annotations

import os

from bot.settings import Settings
from services.config import ServiceConfig


def service_config(settings: Settings, bot_username: str) -> ServiceConfig:
    if settings.poster_font:
        # The poster renderer looks for this variable: a .env line must reach it too.
        os.environ.setdefault("CPBOT_POSTER_FONT", settings.poster_font)
    return ServiceConfig(
        default_locale=settings.default_locale,
        admin_tg_ids=frozenset(settings.admin_ids),
        bot_username=bot_username,
        invite_ttl_hours=settings.invite_ttl_hours,
        deadlines=settings.deadline_policy(),
        tipoff_key=settings.tipoff_key.get_secret_value() if settings.tipoff_key else None,
        tipoff_ack_workdays=settings.tipoff_ack_workdays,
        retention_days=settings.retention_days,
        monthly_reports=settings.monthly_reports,
        weekly_digest=settings.weekly_digest,
        report_case_rows=settings.report_case_rows,
        send_rate=settings.rate_per_second,
    )
