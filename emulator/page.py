"""What the chat page opens with, set by whoever runs the emulator (the demo, a test).

The time zone its clocks show (the bot's deadlines are in the contact point's zone, so the
page's message times must be too), for each page language who sits side by side, and the
WeChat emulator's chat page to show beside them (the demo's WeChat resident).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emulator.errors import ControlError


@dataclass
class PageSettings:
    # An IANA zone name; None shows times on the browser's own clock.
    time_zone: str | None = None
    # Page locale ("zh_Hans", "en") -> user ids of the panes it opens with.
    panes: dict[str, list[int]] = field(default_factory=dict)
    # The WeChat emulator's chat page shown as a pane beside these ({"port": N}), if any:
    # the page builds its address from its own host name, so it works on any address.
    wechat: dict[str, Any] | None = None
    # Names this run of the emulator: what a browser kept from another run no longer applies.
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def update(self, body: dict[str, Any]) -> None:
        """Change what the body names; bad input changes nothing."""
        zone = body.get("time_zone", self.time_zone)
        if zone is not None:
            try:
                ZoneInfo(str(zone))
            except (ZoneInfoNotFoundError, ValueError):
                raise ControlError(400, f"unknown time zone {zone!r}") from None
        panes = body.get("panes", self.panes)
        if not isinstance(panes, dict) or not all(
            isinstance(ids, list) and all(isinstance(i, int) for i in ids) for ids in panes.values()
        ):
            raise ControlError(400, "panes maps a locale to a list of user ids")
        wechat = body.get("wechat", self.wechat)
        if wechat is not None and not (
            isinstance(wechat, dict) and isinstance(wechat.get("port"), int)
        ):
            raise ControlError(400, 'wechat is null or {"port": N}')
        self.time_zone = None if zone is None else str(zone)
        self.wechat = None if wechat is None else {"port": wechat["port"]}
        self.panes = {str(locale): list(ids) for locale, ids in panes.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_zone": self.time_zone,
            "panes": self.panes,
            "wechat": self.wechat,
            "run": self.run,
        }
