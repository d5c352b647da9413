"""Counts read right in both languages: gettext plural forms from the catalogs."""

from __future__ import annotations

from locales import load_catalog
from services.texts import Texts, Translator


def test_english_takes_the_form_of_the_count() -> None:
    texts = Texts()
    assert texts.plural("en", "filing.received", 1).startswith("Received 1 message.")
    assert texts.plural("en", "filing.received", 3).startswith("Received 3 messages.")
    assert texts.plural("en", "filing.received", 0).startswith("Received 0 messages.")


def test_chinese_has_one_form() -> None:
    t = Translator(Texts(), "zh_Hans")
    assert t.plural("filing.received", 1).startswith("已收到 1 条内容")
    assert t.plural("filing.received", 5).startswith("已收到 5 条内容")


def test_plural_rule_comes_from_the_catalog_header() -> None:
    catalog = load_catalog("bot")
    assert catalog.rules["en"](1) == 0 and catalog.rules["en"](2) == 1
    assert catalog.rules["zh_Hans"](1) == 0 and catalog.rules["zh_Hans"](2) == 0


def test_other_params_are_filled_in() -> None:
    text = Texts().plural(
        "en", "stats.line", 1, name="Li", response="50%", resolution="—", satisfaction="—"
    )
    assert text.startswith("• Li: 1 case ·")


def test_a_plain_message_looked_up_as_plural_still_reads() -> None:
    assert Texts().plural("en", "stats.this_month", 2) == "This month"
