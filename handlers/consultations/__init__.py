"""Consultations and surveys: residents answer (answer.py); cadres and administrators compose,
follow the results and close with the outcome (author.py), or compose one step by step with
buttons (wizard.py)."""

from __future__ import annotations

import importlib
import sys

from aiogram import Router

_PARTS = ("answer", "author", "wizard", "polls")


def _load() -> Router:
    """Import the parts (or reload them for a new dispatcher) under one router."""
    parts = []
    for name in _PARTS:
        full = f"{__name__}.{name}"
        loaded = sys.modules.get(full)
        parts.append(importlib.reload(loaded) if loaded else importlib.import_module(full))
    fresh = Router(name="consultations")
    fresh.include_routers(*(part.router for part in parts))
    return fresh


router = _load()
