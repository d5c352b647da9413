"""Shared pieces of the guide walks (tests/integration/test_guide_walk_*.py): the people and
points the guides' examples name, and a ``Walk`` that files what the bot says under the guide
section being walked, then checks each section's quotes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.guide_quotes import DOCS, Recorder, missing, report, sections
from tests.harness import Person, World, t


@dataclass(frozen=True)
class Cast:
    """The names a guide's examples use, so its quotes can be matched word for word."""

    loc: str  # the bot's locale: "en" or "zh_Hans"
    lang: str  # the Telegram language the people have
    point: str  # XH01's name
    other_point: str  # JH02's name
    resident: tuple[str, str | None]
    cadre: tuple[str, str | None]
    title: str
    colleague: tuple[str, str | None]


CASTS = {
    "en": Cast(
        "en",
        "en",
        "Xinhua Street Contact Point",
        "Jinghu Lake Contact Point",
        ("Emma", "Wilson"),
        ("Li", "Wei"),
        "Deputy head, Xinhua Street",
        ("Wang", "Fang"),
    ),
    "zh": Cast(
        "zh_Hans",
        "zh",
        "新华街道联系点",
        "镜湖社区联系点",
        ("张秀英", None),
        ("李伟", None),
        "新华街道党工委副书记",
        ("王芳", None),
    ),
}

XH_NEAR = (31.3535, 118.3764)  # about 100 m from XH01, inside its radius
XH_FAR = (31.3626, 118.3764)  # about 1.1 km away


def points_csv(cast: Cast) -> str:
    return (
        "code,name,region,address,lat,lon,tz\n"
        f"XH01,{cast.point},Jinghu,新华路12号,31.3526,118.3764,Asia/Shanghai\n"
        f"JH02,{cast.other_point},Jinghu,湖滨路1号,31.3400,118.3700,Asia/Shanghai\n"
        "YJ03,弋江村联系点 Yijiang Village,Yijiang,村委会,31.3000,118.4000,Asia/Shanghai\n"
    )


def person(world: World, cast: Cast, who: tuple[str, str | None]) -> Person:
    return world.person(who[0], cast.lang, who[1])


def labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def callback(message: dict[str, Any], label: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if label in button["text"]:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {labels(message)}")


def case_no(text: str) -> str:
    found = re.search(r"\d{4}-\d{4}", text)
    assert found, text
    return found.group(0)


@dataclass
class Walk:
    """Files what the bot sends under the guide sections being walked."""

    path: Path
    recorder: Recorder
    said: dict[str, list[str]] = field(default_factory=dict)
    _current: tuple[str, ...] = ()
    _mark: int = 0

    @classmethod
    def of(cls, world: World, guide: str) -> Walk:
        recorder = Recorder()
        recorder.attach(world.app.bot)
        return cls(DOCS / guide, recorder)

    def section(self, *headings: str) -> None:
        """From now on, what the bot sends belongs to these sections (until the next call)."""
        known = sections(self.path)
        for heading in headings:
            assert heading in known, f"{self.path.name} has no section {heading!r}"
        self._flush()
        self._current = headings

    def add(self, texts: Iterable[str]) -> None:
        """Something the person sees that is not a new message (the menu keyboard)."""
        for heading in self._current:
            self.said.setdefault(heading, []).extend(texts)

    def _flush(self) -> None:
        self.add(self.recorder.since(self._mark))
        self._mark = self.recorder.mark()

    def check(self, skips: dict[str, tuple[str, ...]]) -> dict[str, int]:
        """Every walked section's quotes, each said by the bot; returns the counts checked."""
        self._flush()
        failures, counts = [], {}
        for heading, texts in self.said.items():
            checked, absent = missing(self.path, heading, texts, skips.get(heading, ()))
            counts[heading] = len(checked)
            if absent:
                failures.append(report(self.path, heading, absent, texts))
        assert not failures, "\n\n".join(failures)
        return counts


async def start_admin(world: World, cast: Cast) -> Person:
    """The administrator named in the settings, speaking the walk's language."""
    admin = world.admin
    await admin.send("/start")
    await admin.press(t("en", "reg.accept"))
    if cast.loc != "en":
        await admin.send("/language")
        await admin.press("中文")
    return admin


def tr(cast: Cast, key: str, **params: Any) -> str:
    return t(cast.loc, key, **params)


# A consultation as a cadre pastes it after /consult (the format: docs/consultations.md);
# ``BAD_FORM`` has a third question of a kind that does not exist.
FORM = """
title = {{ en = "Street lamps", zh_Hans = "路灯征求意见" }}
intro = "Tell us where light is missing."
closes = "{closes}"

[[questions]]
kind = "single"
text = {{ en = "What first?", zh_Hans = "先做什么？" }}
options = {{ en = ["Lamps", "Benches"], zh_Hans = ["路灯", "长椅"] }}

[[questions]]
kind = "text"
required = false
text = {{ en = "Anything else?", zh_Hans = "其他意见？" }}
"""
BAD_FORM = FORM + '\n[[questions]]\nkind = "essay"\ntext = "Why?"\n'


def consult_form(now: datetime, bad: bool = False) -> str:
    closes = (now + timedelta(days=20)).strftime("%Y-%m-%d 18:00")
    return (BAD_FORM if bad else FORM).format(closes=closes)
