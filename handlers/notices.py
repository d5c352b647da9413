"""Routers of the notices feature."""

from __future__ import annotations

from aiogram import Router

router = Router(name="notices")
