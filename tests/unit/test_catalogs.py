"""Both catalogs complete: every key in both languages, same placeholders, none unused in code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from locales import LOCALES, load_catalog
from locales.catalog import placeholders
from models.enums import CaseKind, CaseStatus, EventType, Role, Tier
from services.audit import ACTIONS, action_label_key
from services.case_rules import TRANSITIONS, CloseReason
from services.commands import COMMANDS
from services.parts import SUPPORTED_KINDS

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("bot", "handlers", "services", "scheduler", "wechat")
# A string literal that looks like a message key, where the code uses keys.
CALL = re.compile(r"""(?:\bt|texts|\.plural)\((?:[\w.]+,\s*)?["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""")
KEY = re.compile(r"""["']((?:[a-z_]+\.)+[a-z_0-9]+)["']""")
# Literals whose first segment names a catalog section are message keys (actions on buttons
# use underscores, audit actions colons, so they never look like keys).
KEY_PREFIXES = tuple(sorted({k.split(".")[0] + "." for k in load_catalog("bot").keys("en")}))


@pytest.mark.parametrize("domain", ["bot", "demo"])
def test_every_message_in_both_languages(domain: str) -> None:
    catalog = load_catalog(domain)
    keys = {loc: catalog.keys(loc) for loc in LOCALES}
    assert keys["en"] == keys["zh_Hans"]
    for key in keys["en"]:
        for loc in LOCALES:
            assert catalog.messages[loc][key].strip(), f"{loc}: {key} is empty"
        assert placeholders(catalog.messages["en"][key]) == placeholders(
            catalog.messages["zh_Hans"][key]
        ), key


@pytest.mark.parametrize("domain", ["bot", "demo"])
def test_plural_forms_complete(domain: str) -> None:
    """A plural message has the number of forms its language's Plural-Forms header says
    (English two, Chinese one), and every form takes the same placeholders, {n} among them."""
    catalog = load_catalog(domain)
    wanted = {"en": 2, "zh_Hans": 1}
    assert set(catalog.plurals["en"]) == set(catalog.plurals["zh_Hans"])
    for key in catalog.plurals["en"]:
        fields = placeholders(catalog.plurals["en"][key][-1])
        assert "n" in fields, key
        for loc in LOCALES:
            forms = catalog.plurals[loc][key]
            assert len(forms) == wanted[loc], f"{loc}: {key}"
            for form in forms:
                assert form.strip() and placeholders(form) == fields, f"{loc}: {key}"


# Words that stay as they are in Chinese text: names, commands, file formats.
LATIN_OK = re.compile(
    r"\{[a-z_]+\}|/[a-z_]+|Telegram|English|Language|CSV|UTF-8|cpbot|FILE|"
    r"points import|[A-Z]{1,4}\b|<[^>]+>|\b[a-z]\b"
)


@pytest.mark.parametrize("domain", ["bot", "demo"])
def test_chinese_is_really_translated(domain: str) -> None:
    """A zh_Hans message with English words left in it was not translated."""
    han = re.compile(r"[\u4e00-\u9fff]")
    for key, text in load_catalog(domain).messages["zh_Hans"].items():
        if key.startswith("fmt."):
            continue  # date patterns
        rest = LATIN_OK.sub("", text)
        if re.search(r"[A-Za-z]{2,}", rest):
            assert han.search(text), f"zh_Hans {key} looks untranslated: {text}"


def _literal_keys() -> set[str]:
    found: set[str] = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            for key in KEY.findall(source):
                if key.startswith(KEY_PREFIXES):
                    found.add(key)
            # Whatever is looked up with t(...) or texts(locale, ...) is a key, any prefix.
            found.update(CALL.findall(source))
    return found


def _dynamic_keys() -> set[str]:
    keys = {f"status.{s.value}" for s in CaseStatus} | {f"kind.{k.value}" for k in CaseKind}
    keys |= {f"tier.{t.value}" for t in Tier} | {f"event.{e.value}" for e in EventType}
    keys |= {
        f"content.{k}"
        for k in SUPPORTED_KINDS | {"sticker", "poll", "dice", "contact", "game", "story", "other"}
    }
    keys |= {key for cmds in COMMANDS.values() for _, key in cmds}
    keys |= {f"help.{r.value}" for r in Role} | {"help.guest"}
    keys |= {f"staff.joined.{r}" for r in ("cadre", "inspector", "admin")}
    keys |= {f"transfer.to_{k}" for k in ("staff", "point")}
    keys |= {f"case.refused.{a}" for a in TRANSITIONS}
    keys |= {f"close.{r.value}" for r in CloseReason}
    keys |= {f"tipoff.status_{s}" for s in ("new", "accepted", "closed")}
    keys |= {action_label_key(a) for a in ACTIONS}
    return keys


def test_every_key_the_code_uses_exists() -> None:
    catalog = load_catalog("bot")
    missing = sorted(k for k in _literal_keys() | _dynamic_keys() if not catalog.has(k))
    assert missing == []


def test_no_message_is_left_unused() -> None:
    catalog = load_catalog("bot")
    used = _literal_keys() | _dynamic_keys()
    unused = sorted(catalog.keys("en") - used)
    assert unused == []


def test_a_menu_button_is_known_in_either_language_and_nothing_else_is() -> None:
    from bot.keyboards import MENU_KEYS
    from services.texts import Texts

    texts = Texts()
    for key in MENU_KEYS:
        for locale in LOCALES:
            assert texts.matches_any(MENU_KEYS, texts(locale, key)), (key, locale)
    assert not texts.matches_any(MENU_KEYS, None)
    assert not texts.matches_any(MENU_KEYS, "My water pipe is broken")
    # Each set of keys is its own: a visit's button is no main-menu button.
    visit_only = frozenset({"visits.btn.not_now"})
    label = texts("en", "visits.btn.not_now")
    assert texts.matches_any(visit_only, label) and not texts.matches_any(MENU_KEYS, label)
