"""Telegram's answer envelope and the errors a method raises to produce it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """What the Bot API answers: an HTTP status and Telegram's JSON envelope.

    ``drop`` asks the HTTP layer to close the connection without answering (fault injection);
    the body is then never seen by the client.
    """

    status: int
    body: dict[str, Any]
    drop: bool = False

    @classmethod
    def success(cls, result: Any) -> ApiResponse:
        return cls(200, {"ok": True, "result": result})

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class ApiError(Exception):
    """A failed call, raised anywhere inside a method and turned into the envelope once."""

    code: int
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    def response(self) -> ApiResponse:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return ApiResponse(self.code, body)


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


def conflict(reason: str) -> ApiError:
    return ApiError(409, f"Conflict: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
    )


UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")
BAD_GATEWAY = ApiError(502, "Bad Gateway")


class ControlError(Exception):
    """A control-API request that cannot be carried out (unknown user, message, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
