"""Decode a method's parameters by the types the spec declares for them.

Clients send parameters three ways: query strings and forms carry strings (objects and arrays
JSON-encoded, as aiogram does), a JSON body carries native values, and multipart forms add
uploaded files. Methods see one typed view whatever the transport was.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.errors import bad_request
from emulator.spec import FieldSpec, MethodSpec

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})
ATTACH = "attach://"

# Telegram's own wording for some missing parameters; others read "<name> is empty".
_MISSING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "message_id": "message identifier is not specified",
    "callback_query_id": "query is too old and response timeout expired or query ID is invalid",
    "user_id": "user not found",
    "file_id": "invalid file_id",
    "media": "media is empty",
}
_MEDIA_PARAMS = ("photo", "video", "voice", "audio", "document", "sticker")


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None


def missing_description(name: str) -> str:
    if name in _MEDIA_PARAMS:
        return f"there is no {name} in the request"
    return _MISSING.get(name, f"{name} is empty")


class Params:
    """Typed access to one call's decoded parameters."""

    __slots__ = ("files", "values")

    def __init__(self, values: dict[str, Any], files: Mapping[str, UploadedFile]) -> None:
        self.values = values
        self.files = files

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        return default if value is None else str(value)

    def text(self, name: str) -> str:
        """A required string; the spec check already ensured presence for required ones."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(missing_description(name))
        return str(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def required_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(missing_description(name))
        return value

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None

    def flag(self, name: str) -> bool:
        return self.values.get(name) is True

    def mapping(self, name: str) -> dict[str, Any] | None:
        value = self.values.get(name)
        return value if isinstance(value, dict) else None

    def array(self, name: str) -> list[Any] | None:
        value = self.values.get(name)
        return value if isinstance(value, list) else None

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(missing_description(name))
        if isinstance(value, int | str):
            return value
        raise bad_request("chat not found")

    def attachment(self, reference: str) -> UploadedFile | None:
        """The uploaded file an ``attach://name`` reference points to, if it is one."""
        if reference.startswith(ATTACH):
            upload = self.files.get(reference[len(ATTACH) :])
            if upload is None:
                raise bad_request(f"file {reference} not found in the request")
            return upload
        return None


def decode(
    method: MethodSpec, raw: Mapping[str, Any], files: Mapping[str, UploadedFile]
) -> tuple[Params, list[str]]:
    """Typed parameters, and the names the spec does not know for this method."""
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for name, value in raw.items():
        field = method.fields.get(name)
        if field is None:
            unknown.append(name)
            values[name] = value
        elif value is not None:
            values[name] = _decode_value(field, value)
    for name, upload in files.items():
        # A file part named after a parameter is that parameter (curl -F photo=@x.jpg);
        # any other part is the target of an attach:// reference.
        field = method.fields.get(name)
        if field is not None and field.is_file and name not in values:
            values[name] = upload
    return Params(values, files), unknown


def require(method: MethodSpec, params: Params) -> None:
    """400 for the first required parameter that is missing or empty, as Telegram answers."""
    for field in method.fields.values():
        if field.required and params.values.get(field.name) in (None, ""):
            raise bad_request(missing_description(field.name))


def _decode_value(field: FieldSpec, value: Any) -> Any:
    if not isinstance(value, str):
        if isinstance(value, int | float) and "String" in field.types and len(field.types) == 1:
            return str(value)
        return value
    types = field.types
    if field.is_file and (value.startswith(ATTACH) or "String" in types):
        return value
    if types == ("Integer", "String"):
        return _int_or_none(value) if _looks_int(value) else value
    if "Integer" in types and len(types) == 1:
        number = _int_or_none(value)
        if number is None:
            raise bad_request(f'field "{field.name}" must be of type Integer')
        return number
    if "Float" in types and len(types) == 1:
        try:
            return float(value)
        except ValueError:
            raise bad_request(f'field "{field.name}" must be of type Float') from None
    if "Boolean" in types and len(types) == 1:
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise bad_request(f'field "{field.name}" must be of type Boolean')
    if field.is_structured and "String" not in types:
        try:
            return json.loads(value)
        except ValueError:
            what = "reply keyboard markup" if field.name == "reply_markup" else field.name
            raise bad_request(f"can't parse {what} JSON object") from None
    return value


def _looks_int(value: str) -> bool:
    return value.lstrip("-").isdigit()


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None
