"""The README's settings table names every setting there is, and only those."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Settings") : text.index("## Running it for real")]
    named = set(re.findall(r"`(CPBOT_[A-Z_]+)`", table))
    # "`CPBOT_WEBHOOK_HOST` / `_PORT` / `_PATH`" style rows name the rest by suffix.
    named |= {f"CPBOT_WEBHOOK_{s}" for s in re.findall(r"`_([A-Z]+)`", table)}
    fields = {f"CPBOT_{name.upper()}" for name in Settings.model_fields}
    assert fields - named == set(), "settings missing from the README"
    assert named - fields == set(), "the README documents settings that don't exist"
