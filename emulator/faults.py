"""Injected failures: server errors, slow answers and dropped connections, per method or all."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any, Literal

from emulator.errors import ApiError

FaultKind = Literal["error", "delay", "drop"]
KINDS: tuple[FaultKind, ...] = ("error", "delay", "drop")


@dataclass
class Fault:
    id: int
    method: str  # lower-case method name, or "*" for every method
    kind: FaultKind
    count: int | None = None  # how many times it fires; None: until removed
    every: int = 1  # fire on every Nth matching call only
    delay: float = 0.0  # seconds, for "delay"
    status: int = 502  # HTTP status, for "error"
    # For "drop": close the connection after the method took effect (the client cannot tell
    # whether its message was sent) rather than before.
    after: bool = False
    seen: int = 0
    fired: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def error(self) -> ApiError:
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Internal Server Error"
        return ApiError(self.status, phrase)

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count


class FaultInjector:
    def __init__(self) -> None:
        self._faults: dict[int, Fault] = {}
        self._next_id = 1

    def add(
        self,
        method: str,
        kind: FaultKind,
        *,
        count: int | None = None,
        every: int = 1,
        delay: float = 0.0,
        status: int = 502,
        after: bool = False,
    ) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}")
        if every < 1 or (count is not None and count < 1):
            raise ValueError("count and every must be positive")
        if kind == "error" and not 500 <= status <= 599:
            raise ValueError("an injected error is a 5xx status")
        fault = Fault(
            self._next_id,
            "*" if method == "*" else method.lower(),
            kind,
            count=count,
            every=every,
            delay=delay,
            status=status,
            after=after,
        )
        self._faults[fault.id] = fault
        self._next_id += 1
        return fault

    def remove(self, fault_id: int) -> bool:
        return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        self._faults.clear()

    def active(self) -> list[Fault]:
        return list(self._faults.values())

    def fire(self, method: str) -> list[Fault]:
        """The faults that apply to this call of ``method``, counting it for each matching one."""
        if not self._faults:
            return []
        lowered = method.lower()
        firing = []
        for fault in list(self._faults.values()):
            if fault.method not in ("*", lowered):
                continue
            fault.seen += 1
            if fault.seen % fault.every:
                continue
            fault.fired += 1
            firing.append(fault)
            if fault.exhausted:
                del self._faults[fault.id]
        return firing
