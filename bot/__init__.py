"""Composition root and the Telegram adapter."""
