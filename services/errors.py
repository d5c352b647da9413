"""Refusals: a use case says no, with the catalog message that tells the user why."""

from __future__ import annotations


class Refusal(Exception):
    """The action is not allowed or not possible; ``key`` names the message to show."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class NotFound(Refusal):
    pass


class NotAllowed(Refusal):
    pass


class Invalid(Refusal):
    pass


class Label(str):
    """A refusal parameter that is itself a catalog key, translated when the refusal is shown."""

    __slots__ = ()
