"""How visits read to people, in the reader's language: days, months, hours, distances, a cadre's
progress lines and the compliance lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

from services.cards import staff_name
from services.texts import Texts, esc
from services.visits.compliance import (
    Compliance,
)
from services.visits.progress import (
    PointProgress,
)
from services.visits.rules import (
    MESSAGE_LIMIT,
    Policy,
    month_first,
)
from services.visits.shared import (
    PointRef,
)


def babel_locale(locale: str) -> str:
    return "zh_Hans_CN" if locale == "zh_Hans" else "en_GB"


def day_text(texts: Texts, locale: str, day: date) -> str:
    """A day as people say it: "Thu 12 Mar" / "3月12日（周四）"."""
    pattern = texts(locale, "visits.fmt_day")
    return str(format_date(day, pattern, locale=babel_locale(locale)))


def month_text(texts: Texts, locale: str, year: int, month: int) -> str:
    pattern = texts(locale, "visits.fmt_month")
    return str(format_date(month_first(year, month), pattern, locale=babel_locale(locale)))


def clock_text(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def hours_text(starts_at: datetime, ends_at: datetime, tz: str) -> str:
    return f"{clock_text(starts_at, tz)}–{clock_text(ends_at, tz)}"


def distance_text(texts: Texts, locale: str, metres: int) -> str:
    if metres < 1000:
        return texts(locale, "visits.metres", n=metres)
    return texts(locale, "visits.km", km=f"{metres / 1000:.1f}")


def duration_text(texts: Texts, locale: str, minutes: int) -> str:
    if minutes < 60:
        return texts(locale, "visits.minutes", m=minutes)
    return texts(locale, "visits.hours_minutes", h=minutes // 60, m=minutes % 60)


def point_label(point: PointRef) -> str:
    return f"{esc(point.name)} ({esc(point.code)})"


def progress_lines(texts: Texts, locale: str, p: PointProgress) -> list[str]:
    """A cadre's month and year at one point (for /visits and confirmations): what is owed,
    and from when, before the first month of duty."""
    month = month_text(texts, locale, p.today.year, p.today.month)
    start = day_text(texts, locale, p.duty_from)
    if not p.obliged:
        line = texts(
            locale,
            "visits.progress.month_before_duty",
            month=month,
            start=start,
            done=p.month_done,
            verified=p.month.verified,
        )
    else:
        key = "visits.progress.month_met" if p.month_met else "visits.progress.month_open"
        line = texts(
            locale,
            key,
            month=month,
            done=p.month_done,
            required=p.policy.visits_per_month,
            verified=p.month.verified,
        )
    lines = [line]
    if p.year_target == 0:  # duty starts next year
        lines.append(
            texts(
                locale,
                "visits.progress.year_before_duty",
                year=p.today.year,
                start=start,
                days=p.policy.days_per_year,
                done=p.year_done,
            )
        )
    else:
        year_key = "visits.progress.year_behind" if p.behind else "visits.progress.year"
        lines.append(
            texts(
                locale,
                year_key,
                year=p.today.year,
                done=p.year_done,
                target=p.year_target,
                expected=p.year_expected,
            )
        )
    if not p.policy.count_unverified and p.month.days > p.month.verified:
        lines.append(texts(locale, "visits.progress.unverified_not_counted"))
    return lines


def compliance_lines(texts: Texts, locale: str, report: Compliance) -> list[str]:
    """The monthly compliance figures as text lines, per point and cadre (for /stats and the
    monthly summary to administrators). Cadres in their first, partial month are listed with
    the day their duty starts and counted apart from those who owe the month."""
    month = month_text(texts, locale, report.year, report.month)
    scope = esc(report.region) if report.region else texts(locale, "visits.summary.everywhere")
    lines = [texts(locale, "visits.summary.title", month=month, scope=scope)]
    if not report.rows:
        lines.append(texts(locale, "visits.summary.empty"))
        return lines
    if report.obliged_rows:
        lines.append(
            texts(locale, "visits.summary.met", met=report.met, total=len(report.obliged_rows))
        )
    if report.new_rows:
        lines.append(texts(locale, "visits.summary.new_count", count=len(report.new_rows)))
    current: int | None = None
    for row in report.rows:
        if row.point.id != current:
            current = row.point.id
            lines.append("")
            lines.append(f"<b>{point_label(row.point)}</b>")
        if row.cadre is None:
            lines.append(texts(locale, "visits.summary.no_cadre"))
            continue
        name = staff_name(texts, locale, row.cadre.name, row.cadre.title)
        if not row.obliged:
            assert row.duty_from is not None
            lines.append(
                texts(
                    locale,
                    "visits.summary.new_row",
                    name=name,
                    start=day_text(texts, locale, row.duty_from),
                    days=row.days,
                )
            )
            continue
        parts = [
            texts(
                locale,
                "visits.summary.month",
                icon="✅" if row.met else "❌",
                name=name,
                days=row.days,
                required=row.required,
                verified=row.verified_days,
            )
        ]
        year_key = "visits.summary.year_behind" if row.behind else "visits.summary.year"
        parts.append(
            texts(
                locale,
                year_key,
                done=row.year_days,
                target=row.year_target,
                expected=row.year_expected,
            )
        )
        if row.pairings:
            parts.append(
                texts(
                    locale,
                    "visits.summary.households",
                    contacted=row.pairings_contacted,
                    total=row.pairings,
                )
            )
        lines.append(" · ".join(parts))
    return lines


def policy_lines(texts: Texts, locale: str, p: Policy) -> list[str]:
    """A visit rule's values (for /admin → Visit rules and ``cpbot visits policy``)."""
    counts = "admin.vr.unverified_yes" if p.count_unverified else "admin.vr.unverified_no"
    return [
        texts(locale, "admin.vr.visits", n=p.visits_per_month),
        texts(locale, "admin.vr.days", n=p.days_per_year),
        texts(locale, counts),
        texts(locale, "admin.vr.notice", n=p.notice_days),
    ]


def split_messages(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join lines into as few messages as fit Telegram's length limit."""
    messages: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            messages.append(current)
            candidate = line
        current = candidate
    if current:
        messages.append(current)
    return messages


# ---- the use cases ----


def names_text(texts: Texts, locale: str, names: list[str], more: int) -> str:
    joined = ("、" if locale == "zh_Hans" else ", ").join(names)
    if more:
        joined += texts(locale, "visits.and_more", n=more)
    return joined
