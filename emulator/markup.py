"""reply_markup: inline keyboards under a message, and the reply keyboard a chat shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from emulator.errors import bad_request
from emulator.formatting.links import check_link

MarkupKind = Literal["inline", "keyboard", "remove", "force_reply"]
CALLBACK_DATA_LIMIT = 64
_BUTTON_FIELDS = frozenset(
    {
        "text",
        "icon_custom_emoji_id",
        "style",
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


@dataclass(frozen=True, slots=True)
class Markup:
    kind: MarkupKind
    data: dict[str, Any]

    @property
    def inline(self) -> dict[str, Any] | None:
        """What Message.reply_markup carries: only inline keyboards, and only non-empty ones."""
        if self.kind == "inline" and any(self.data["inline_keyboard"]):
            return self.data
        return None


def parse_markup(value: Any, *, inline_only: bool = False) -> Markup | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in value:
        return Markup("inline", _inline(value))
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in value:
        return Markup("keyboard", _keyboard(value))
    if value.get("remove_keyboard"):
        return Markup("remove", value)
    if value.get("force_reply"):
        return Markup("force_reply", value)
    raise bad_request("can't parse reply keyboard markup JSON object")


def _rows(value: Any, field: str) -> list[list[Any]]:
    rows = value.get(field)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" of the {field.replace("_", " ")} must be an Array')
    return rows


def _inline(markup: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for row in _rows(markup, "inline_keyboard"):
        buttons = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text must be a String")
            if not any(action in button for action in _ACTIONS):
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and (
                not isinstance(data, str)
                or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT
            ):
                raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and (not isinstance(url, str) or check_link(url) is None):
                raise bad_request("BUTTON_URL_INVALID")
            # Telegram stores, and so echoes, only the fields it knows.
            buttons.append({k: v for k, v in button.items() if k in _BUTTON_FIELDS})
        rows.append(buttons)
    return {"inline_keyboard": rows}


def _keyboard(markup: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for row in _rows(markup, "keyboard"):
        buttons = []
        for button in row:
            # Telegram still accepts a bare string as a text-only button.
            normalized = {"text": button} if isinstance(button, str) else button
            if not isinstance(normalized, dict) or not isinstance(normalized.get("text"), str):
                raise bad_request("can't parse keyboard button: Text must be a String")
            buttons.append(normalized)
        rows.append(buttons)
    return {**markup, "keyboard": rows}
