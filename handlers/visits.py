"""Routers of the visits feature."""

from __future__ import annotations

from aiogram import Router

router = Router(name="visits")
