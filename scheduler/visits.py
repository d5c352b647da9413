"""Scheduler jobs of the visits feature."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from services.app import Services


def add_jobs(scheduler: AsyncIOScheduler, services: Services) -> None:
    """Add this feature's ticks to the scheduler."""
