"""Configuration of the emulator: which bots exist, flood limits, webhook behaviour, clocks."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from emulator.page import PageSettings


@dataclass(frozen=True)
class BotConfig:
    """One bot the emulator answers for; its id is the number before the colon, as on Telegram."""

    token: str
    username: str = "contact_point_bot"
    first_name: str = "Contact Point"
    # Telegram's group privacy: without admin rights a bot sees only commands, replies to it
    # and mentions of it in groups.
    privacy_mode: bool = True

    def __post_init__(self) -> None:
        prefix, sep, secret = self.token.partition(":")
        if not (sep and prefix.isdigit() and secret):
            raise ValueError("a bot token looks like '123456:secret'")

    @property
    def id(self) -> int:
        return int(self.token.partition(":")[0])


@dataclass
class LimitsConfig:
    """Telegram's published flood limits; mutable so the control API can change them live."""

    enabled: bool = True
    global_per_second: int = 30
    per_chat_per_second: int = 1
    per_group_per_minute: int = 20


@dataclass
class WebhookConfig:
    """How pushed updates are retried. Tests shorten the back-off; the defaults suit a demo."""

    # Extra target URLs stand in for a load balancer in front of replicas: when set, deliveries
    # go round-robin to these instead of the URL given to setWebhook.
    targets: list[str] = field(default_factory=list)
    retry_initial: float = 0.5
    retry_cap: float = 10.0
    timeout: float = 30.0
    # Deliver every Nth update a second time even though the bot answered it, as Telegram
    # does when an answer is lost on the way back (0: never).
    duplicate_every: int = 0


@dataclass
class EmulatorConfig:
    bots: Sequence[BotConfig] = (BotConfig(token="123456:TEST-TOKEN"),)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    # Monotonic seconds for flood limits; injectable so tests move time instead of sleeping.
    clock: Callable[[], float] = time.monotonic
    # Unix seconds for message dates.
    wall_clock: Callable[[], float] = time.time
    # The Bot API description to conform to; None finds the copy shipped with the package.
    spec_path: Path | None = None
    # Check every result against the spec and record mismatches as violations (tests; slower).
    check_results: bool = False
    # What the chat page opens with: its time zone, the panes per page language.
    page: PageSettings = field(default_factory=PageSettings)

    def __post_init__(self) -> None:
        if not self.bots:
            raise ValueError("configure at least one bot")
        tokens = [bot.token for bot in self.bots]
        if len(set(tokens)) != len(tokens):
            raise ValueError("bot tokens must be unique")
