"""The Bot API as Telegram documents it: method parameters, result types, and a shape checker.

The emulator conforms to this description rather than to its own idea of the API: parameters are
decoded by their declared types, and anything a client sends or the emulator answers outside the
description can be recorded as a violation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_FILE = "telegram-bot-api.json"
_PACKAGE_COPY = Path(__file__).resolve().parent / "reference" / SPEC_FILE
_ARRAY = "Array of "
_PRIMITIVES = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    is_file: bool = False
    # Objects and arrays: sent JSON-encoded in form data.
    is_structured: bool = False

    @classmethod
    def of(cls, name: str, types: tuple[str, ...], required: bool) -> FieldSpec:
        structured = any(t not in _PRIMITIVES for t in types)
        return cls(name, types, required, "InputFile" in types, structured)


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    returns: tuple[str, ...]


# Fields the client library (aiogram) already requires but the shipped description (Bot API 10.1)
# does not have yet. Kept here, few and named, so an answer aiogram can parse still passes the
# checker; each entry goes once the reference file is updated to a version that has it.
NEWER_THAN_REFERENCE: Mapping[str, tuple[tuple[str, str], ...]] = {
    # Required by aiogram 3 for Bot API 10.3: administrators may send welcome messages.
    "ChatMemberAdministrator": (("can_send_welcome_messages", "Boolean"),),
}


@dataclass(frozen=True, slots=True)
class TypeSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    subtypes: tuple[str, ...]


class Spec:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.version: str = str(raw.get("version", ""))
        self.methods: dict[str, MethodSpec] = {
            name: MethodSpec(name, _fields(body), tuple(body.get("returns", ())))
            for name, body in raw["methods"].items()
        }
        self.types: dict[str, TypeSpec] = {
            name: TypeSpec(name, _fields(body), tuple(body.get("subtypes", ())))
            for name, body in raw["types"].items()
        }
        for type_name, extra in NEWER_THAN_REFERENCE.items():
            known = self.types.get(type_name)
            if known is not None:
                added = {n: FieldSpec.of(n, (t,), False) for n, t in extra if n not in known.fields}
                self.types[type_name] = TypeSpec(
                    type_name, {**known.fields, **added}, known.subtypes
                )
        self._by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    def load(cls, path: Path | None = None) -> Spec:
        return _load(path or default_spec_path())

    def method(self, name: str) -> MethodSpec | None:
        """Method names are case-insensitive on Telegram."""
        canonical = self._by_lower.get(name.lower())
        return self.methods[canonical] if canonical else None

    def check(self, types: tuple[str, ...] | str, value: Any, path: str = "") -> list[str]:
        """Problems of ``value`` as any of ``types`` (empty when it fits one of them)."""
        alternatives = (types,) if isinstance(types, str) else types
        if len(alternatives) > 1 and all(t.startswith(_ARRAY) for t in alternatives):
            # "Array of A|Array of B" is how the description spells an array whose items may be
            # A or B (an album mixing photos and videos), so each item may be either.
            if not isinstance(value, list):
                return [f"{path}: expected an array"]
            inner = tuple(t[len(_ARRAY) :] for t in alternatives)
            return [
                p for i, item in enumerate(value) for p in self.check(inner, item, f"{path}[{i}]")
            ]
        best: list[str] | None = None
        for type_expr in alternatives:
            problems = list(self._check_one(type_expr, value, path))
            if not problems:
                return []
            if best is None or len(problems) < len(best):
                best = problems
        return best or []

    def _check_one(self, type_expr: str, value: Any, path: str) -> Iterator[str]:
        if type_expr.startswith(_ARRAY):
            if not isinstance(value, list):
                yield f"{path}: expected {type_expr}"
                return
            for index, item in enumerate(value):
                yield from self.check(type_expr[len(_ARRAY) :], item, f"{path}[{index}]")
            return
        if type_expr in _PRIMITIVES:
            if not _primitive_fits(type_expr, value):
                yield f"{path}: expected {type_expr}, got {type(value).__name__}"
            return
        spec = self.types.get(type_expr)
        if spec is None:
            yield f"{path}: unknown type {type_expr}"
            return
        if spec.subtypes:
            yield from self.check(spec.subtypes, value, path)
            return
        yield from self._check_fields(spec, value, path or type_expr)

    def _check_fields(self, spec: TypeSpec, value: Any, path: str) -> Iterator[str]:
        if not isinstance(value, dict):
            yield f"{path}: expected {spec.name} object"
            return
        for name, item in value.items():
            field = spec.fields.get(name)
            if field is None:
                yield f"{path}.{name}: not a field of {spec.name}"
            else:
                yield from self.check(field.types, item, f"{path}.{name}")
        for field in spec.fields.values():
            if field.required and field.name not in value:
                yield f"{path}.{field.name}: required field of {spec.name} missing"

    def unknown_fields(self, types: tuple[str, ...], value: Any) -> list[str]:
        """Field names in a client's structured parameter that the spec does not define."""
        return [p for p in self.check(types, value) if "not a field of" in p]


def _primitive_fits(type_name: str, value: Any) -> bool:
    if type_name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "Boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def _fields(body: Mapping[str, Any]) -> dict[str, FieldSpec]:
    return {
        f["name"]: FieldSpec.of(f["name"], tuple(f["types"]), bool(f["required"]))
        for f in body.get("fields", ())
    }


@cache
def _load(path: Path) -> Spec:
    with path.open(encoding="utf-8") as fh:
        return Spec(json.load(fh))


def default_spec_path() -> Path:
    """The copy shipped in the package, else ``shared/reference`` found walking up the tree."""
    if _PACKAGE_COPY.is_file():
        return _PACKAGE_COPY
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "reference" / SPEC_FILE
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{SPEC_FILE} not found next to the emulator or in shared/reference")
