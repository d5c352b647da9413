"""Settings from the environment (prefix ``CPBOT_``) and a ``.env`` file.

A missing or malformed setting stops start-up with one line naming it (:func:`load_settings`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.config import DeadlinePolicy, parse_hours, parse_tiers
from services.sealing import Sealer

# Hours, or minutes for trials and rehearsals ("10m").
Hours = Annotated[float, BeforeValidator(parse_hours)]


class SettingsError(Exception):
    """One clear line naming the setting that is wrong."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPBOT_", env_file=".env", extra="ignore")

    token: SecretStr | None = Field(None, description="the bot's token from @BotFather")
    api_base: str = Field("https://api.telegram.org", description="Bot API server base URL")
    database_url: str = Field(
        "sqlite+aiosqlite:///cpbot.sqlite3",
        description="SQLAlchemy URL; SQLite file in the working folder",
    )
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram user ids that are administrators from the start"
    )
    default_locale: Literal["zh_Hans", "en"] = "zh_Hans"
    redis_url: str | None = Field(None, description="Redis URL; required for several processes")
    bot_username: str | None = Field(
        None, description="for deep links; asked from Telegram if unset"
    )
    webhook_url: str | None = Field(None, description="public HTTPS URL Telegram posts updates to")
    webhook_secret: SecretStr | None = Field(None, description="X-Telegram-Bot-Api-Secret-Token")
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(8080, ge=1, le=65535)
    webhook_path: str = "/telegram"
    health_port: int | None = Field(None, ge=1, le=65535, description="worker's /healthz")
    rate_per_second: int = Field(25, ge=1, le=1000, description="bot-wide messages per second")
    group_per_minute: int = Field(20, ge=1, le=60)
    invite_ttl_hours: Hours = Field(72, gt=0, le=24 * 90)
    outbox_poll_seconds: float = Field(5.0, gt=0, le=300)
    sender_in_flight: int | None = Field(
        None,
        ge=1,
        le=100,
        description="outbox rows claimed and not yet recorded at once per sender (default: "
        "rate / 4 between 8 and 100); also the most messages a crash can send twice",
    )
    intake_concurrency: int = Field(
        16, ge=1, le=500, description="updates handled at once per process (pool sized to it)"
    )
    deadlines: str = Field(
        "urgent=2h,utilities=24h,general=7d,complex=15d",
        description="resolution deadline per tier: h clock hours, d working days, m minutes",
    )
    ack_hours: Hours = Field(24, gt=0, le=24 * 30, description="first-response deadline")
    urgent_ack_hours: Hours = Field(2, gt=0, le=72)
    holidays: Annotated[list[date], NoDecode] = Field(default_factory=list)
    makeup_workdays: Annotated[list[date], NoDecode] = Field(default_factory=list)
    escalate_after_hours: Hours = Field(24, gt=0, le=24 * 30)
    verdict_days: int = Field(7, ge=1, le=90)
    tipoff_key: SecretStr | None = Field(
        None, description="Fernet key sealing anonymous reporters (cpbot keygen makes one)"
    )
    tipoff_ack_workdays: int = Field(15, ge=1, le=90)
    retention_days: int = Field(1095, ge=30, le=36500)
    monthly_reports: bool = True
    weekly_digest: bool = True
    report_case_rows: int = Field(10_000, ge=0, le=1_000_000)
    poster_font: str | None = Field(None, description="a CJK font file for posters")
    wechat_app_id: str | None = Field(None, description="WeChat Official Account's AppID")
    wechat_app_secret: SecretStr | None = Field(None, description="its AppSecret")
    wechat_token: SecretStr | None = Field(None, description="the callback's Token (令牌)")
    wechat_aes_key: SecretStr | None = Field(
        None, description="EncodingAESKey (消息加解密密钥), 43 characters"
    )
    wechat_api_base: str = Field("https://api.weixin.qq.com", description="WeChat API base URL")
    wechat_path: str = Field("/wechat", description="path of the callback URL (服务器地址)")
    wechat_template_id: str | None = Field(
        None, description="subscription notice template: 'a reply waits' outside the window"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("holidays", "makeup_workdays", mode="before")
    @classmethod
    def _split_dates(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("deadlines")
    @classmethod
    def _tiers(cls, value: str) -> str:
        parse_tiers(value)  # raises ValueError naming what is wrong
        return value

    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(
            resolve=parse_tiers(self.deadlines),
            ack_hours=self.ack_hours,
            urgent_ack_hours=self.urgent_ack_hours,
            holidays=frozenset(self.holidays),
            extra_workdays=frozenset(self.makeup_workdays),
            escalate_after_hours=self.escalate_after_hours,
            # Urgent cases escalate after 2 h, or sooner when a trial sets minutes.
            urgent_escalate_after_hours=min(2.0, self.escalate_after_hours),
            verdict_days=self.verdict_days,
        )

    @field_validator("tipoff_key")
    @classmethod
    def _fernet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                Sealer(value.get_secret_value())
            except ValueError:
                raise ValueError("not a key made by cpbot keygen") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept the plain URLs people paste and pick the async driver for them."""
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if value.startswith(plain):
                return driver + value[len(plain) :]
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("use a postgresql:// or sqlite:// URL")
        return value

    @field_validator("wechat_aes_key")
    @classmethod
    def _aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) != 43:
            raise ValueError("EncodingAESKey is 43 characters")
        return value

    @property
    def wechat_enabled(self) -> bool:
        """The WeChat channel runs only when all four of its settings are given."""
        return None not in (
            self.wechat_app_id,
            self.wechat_app_secret,
            self.wechat_token,
            self.wechat_aes_key,
        )

    @field_validator("api_base", "wechat_api_base")
    @classmethod
    def _base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value()
        head, _, tail = raw.partition(":")
        if not head.isdigit() or not tail:
            raise ValueError("expected the form 123456:ABC... given by @BotFather")
        return value

    def bot_token(self) -> str:
        """The token, for the commands that talk to Telegram; missing is a clear error."""
        if self.token is None:
            raise SettingsError("setting CPBOT_TOKEN is missing")
        return self.token.get_secret_value()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, or raise :class:`SettingsError` with one line naming the bad one."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "CPBOT_" + str(err["loc"][0]).upper() if err["loc"] else "CPBOT_?"
        if err["type"] == "missing":
            raise SettingsError(f"setting {name} is missing") from None
        reason = str(err["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"setting {name} is malformed: {reason}") from None
