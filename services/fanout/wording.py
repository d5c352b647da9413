"""What the fan-out's progress reads like: the bar, the time left and the time it took — the one
place these words are put together (the features' own messages hold the rest)."""

from __future__ import annotations

from services.fanout.ledger import Progress
from services.texts import Texts


def bar(share: float, width: int = 10) -> str:
    full = max(0, min(width, round(share * width)))
    return "▓" * full + "░" * (width - full)


def duration_text(texts: Texts, locale: str, seconds: float) -> str:
    """How long a fan-out took: seconds under a minute, else whole minutes (never "1 min" for
    ten seconds)."""
    if seconds < 60:
        return texts(locale, "fanout.took_seconds", seconds=max(1, round(seconds)))
    return texts(locale, "fanout.took_minutes", minutes=max(1, round(seconds / 60)))


def eta_text(texts: Texts, locale: str, progress: Progress) -> str:
    if progress.rate > 0 and progress.remaining:
        seconds = progress.remaining / progress.rate
        if seconds >= 60:
            return texts(locale, "notices.eta_minutes", minutes=max(1, round(seconds / 60)))
        return texts(locale, "notices.eta_soon")
    return texts(locale, "notices.eta_unknown")


def progress_figures(texts: Texts, locale: str, progress: Progress) -> dict[str, object]:
    """The placeholders every progress message of a fan-out shares."""
    tally = progress.tally
    share = tally.done / progress.total if progress.total else 0.0
    return {
        "bar": bar(share),
        "percent": int(share * 100),
        "sent": tally.sent,
        "failed": tally.failed,
        "blocked": tally.blocked,
        "remaining": progress.remaining,
        "eta": eta_text(texts, locale, progress),
    }
