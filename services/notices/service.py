"""The notices use cases as one object for handlers, jobs and the CLI."""

from __future__ import annotations

from services.notices.composing import Composing
from services.notices.groups import Groups
from services.notices.reading import Reading


class Notices(Composing, Reading, Groups):
    """Compose (composing.py), send and follow (sending.py), read (reading.py), groups
    (groups.py); the fan-out itself is services/fanout."""
