"""The configuration file: one YAML document, validated at start-up.

Errors name the key (`hours.weekly.mon[1]: ...`). Secrets are never written in
the file: a value `${SLACK_BOT_TOKEN}` is read from the environment, and a missing
variable is an error naming both the key and the variable.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(Exception):
    """The configuration is unusable; the message names the file and the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BotSection(_Section):
    name: str = "Support"
    default_locale: Literal["en", "de", "id"] = "en"


class Thresholds(_Section):
    """Scores are 0-100. `answer`: confident enough to reply; `suggest`: worth a
    "did you mean"; `margin`: how far the best must lead the runner-up to answer."""

    answer: float = Field(default=60.0, ge=0, le=100)
    suggest: float = Field(default=40.0, ge=0, le=100)
    margin: float = Field(default=4.0, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.suggest > self.answer:
            raise ValueError("suggest must not be above answer")
        return self


class FaqSection(_Section):
    path: Path = Path("examples/faq")
    reload_seconds: float = Field(default=2.0, gt=0)
    thresholds: Thresholds = Thresholds()
    max_suggestions: int = Field(default=3, ge=1, le=5)
    misses_before_handoff: int = Field(default=2, ge=1)


class HolidaySource(_Section):
    country: str
    subdiv: str | None = None


class HoursSection(_Section):
    """Support hours. `weekly` maps mon..sun to windows like "09:00-17:00"; a window
    whose end is before its start runs past midnight ("22:00-02:00")."""

    timezone: str = "UTC"
    weekly: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[str]] = Field(
        default_factory=dict
    )
    holidays: HolidaySource | None = None
    closed: list[str] = Field(default_factory=list)
    always_open: bool = False

    @field_validator("closed", mode="before")
    @classmethod
    def _dates_as_text(cls, value: Any) -> Any:
        """YAML reads an unquoted 2026-12-24 as a date; keep it as the text it was written as."""
        if isinstance(value, list):
            return [v.isoformat() if isinstance(v, date) else v for v in value]
        return value


class StaffSection(_Section):
    """Where agents work. `agents` (platform user ids), when given, is an allowlist on
    top of the adapter's own staff check (room membership, staff role)."""

    platform: str = "console"
    chat_id: str = "staff"
    agents: list[str] = Field(default_factory=list)
    minutes_per_ticket: float = Field(default=5.0, gt=0)


class DatabaseSection(_Section):
    """`workers`: how many conversations are handled at once (each one's messages always
    one at a time, in order); the PostgreSQL connection pool is sized to fit it.
    `keep_handled_days`: how long received event ids are remembered, so a platform's
    late redelivery is recognised (Slack retries for minutes, Telegram for a day)."""

    url: str = "sqlite+aiosqlite:///supportbot.db"
    workers: int = Field(default=8, ge=1, le=200)
    keep_handled_days: float = Field(default=7.0, gt=0)


class LimitsSection(_Section):
    """Flood control; customers are untrusted. Past `messages` messages within
    `window_seconds`, a customer is told once to slow down: further messages are kept
    but not answered, and relayed to their ticket's thread as one batch once they stop.
    `open_tickets`: how many tickets one customer may have open across their chats."""

    messages: int = Field(default=10, ge=1)
    window_seconds: float = Field(default=30.0, gt=0)
    open_tickets: int = Field(default=3, ge=1)


class DeliverySection(_Section):
    """The outbox worker. `lease_seconds`: how long a worker owns a message it is sending
    unless it renews the lease (it does, every third of it, for as long as the send
    takes); once a lease runs out (its worker died), any worker (of any process) takes
    the message over as "maybe sent", so this is how soon a crashed process's messages
    are retried. `retry_seconds`: the wait after a first failure, doubled on each
    further one (at most five minutes; a platform's longer retry_after wins)."""

    lease_seconds: float = Field(default=10.0, gt=0)
    retry_seconds: float = Field(default=0.5, gt=0)


class SlackSection(_Section):
    """`mode` "socket" needs `app_token`; "http" serves the Events API at
    http://`http_listen`:`http_port`/slack/events and needs `signing_secret`.
    `support_channel` is the ID of a channel where customers mention the app.
    `rate_limit_retries`: how often a 429 is retried (after its Retry-After) before the
    outbox takes over; `request_timeout`: seconds for one Web API call."""

    enabled: bool = False
    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    mode: Literal["socket", "http"] = "socket"
    http_listen: str = "127.0.0.1"
    http_port: int = 3000
    support_channel: str | None = None
    api_base_url: str | None = None
    rate_limit_retries: int = Field(default=2, ge=0, le=10)
    request_timeout: float = Field(default=15.0, gt=0)


class DiscordSection(_Section):
    """`api_base_url` points the library at another REST API ("http://host:port/api/v10");
    the gateway is then `gateway_url` when given, else the one that API names in its
    `GET /gateway/bot` answer. `sync_commands` registers the agent slash commands with
    Discord at start-up (needed once after they change). `guild_ready_timeout`: seconds to
    wait for the guild list after connecting. `request_timeout`: seconds for one REST call
    (including discord.py's own waits on a short 429). `spool_dir`: where events wait
    while the database cannot take them (Discord never sends an event twice), with the
    last message seen per channel for the catch-up after a restart; one folder per bot
    process. `spool_max_events`: the spool's bound; beyond it new events are refused."""

    enabled: bool = False
    token: SecretStr | None = None
    staff_role_id: str | None = None
    support_channel_id: str | None = None
    api_base_url: str | None = None
    gateway_url: str | None = None
    sync_commands: bool = False
    guild_ready_timeout: float = Field(default=2.0, gt=0)
    request_timeout: float = Field(default=40.0, gt=0)
    spool_dir: Path = Path("discord-spool")
    spool_max_events: int = Field(default=10_000, ge=1)


class TelegramSection(_Section):
    """`poll_timeout`: seconds one getUpdates long poll waits; `request_timeout`: seconds
    for any other Bot API call; `rate_limit_retries`: how often a 429 is retried (after its
    retry_after) before the outbox takes over."""

    enabled: bool = False
    token: SecretStr | None = None
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    api_base_url: str | None = None
    poll_timeout: int = Field(default=10, ge=0)
    request_timeout: float = Field(default=10.0, gt=0)
    rate_limit_retries: int = Field(default=3, ge=0)


class HealthSection(_Section):
    """`GET /healthz` for load balancers and orchestrators (`supportbot run` only)."""

    enabled: bool = True
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)


class LoggingSection(_Section):
    format: Literal["json", "text"] = "json"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Config(_Section):
    bot: BotSection = BotSection()
    faq: FaqSection = FaqSection()
    hours: HoursSection = HoursSection()
    staff: StaffSection = StaffSection()
    database: DatabaseSection = DatabaseSection()
    delivery: DeliverySection = DeliverySection()
    limits: LimitsSection = LimitsSection()
    slack: SlackSection = SlackSection()
    discord: DiscordSection = DiscordSection()
    telegram: TelegramSection = TelegramSection()
    health: HealthSection = HealthSection()
    logging: LoggingSection = LoggingSection()

    def secrets(self) -> list[str]:
        """Every secret value in the configuration, so logs can be scrubbed of them."""
        found: list[str] = []
        for section in (self.slack, self.discord, self.telegram):
            for value in section.__dict__.values():
                if isinstance(value, SecretStr) and value.get_secret_value():
                    found.append(value.get_secret_value())
        return found


_PLATFORMS = ("slack", "discord", "telegram")


class _MissingVariable(Exception):
    pass


def _expand_env(node: Any, key: str, env: dict[str, str], *, strict: bool = True) -> Any:
    """Fill in ${VAR}s. A missing variable is an error, except in a platform section
    that is not enabled: there the value is left out (its tokens are not needed)."""
    if isinstance(node, dict):
        expanded = {}
        for k, v in node.items():
            child = f"{key}.{k}" if key else str(k)
            lenient = not strict or (
                not key and k in _PLATFORMS and not (isinstance(v, dict) and v.get("enabled"))
            )
            try:
                expanded[k] = _expand_env(v, child, env, strict=not lenient)
            except _MissingVariable:
                continue
        return expanded
    if isinstance(node, list):
        return [_expand_env(v, f"{key}[{i}]", env, strict=strict) for i, v in enumerate(node)]
    if isinstance(node, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in env:
                return env[name]
            if strict:
                raise ConfigError(f"{key}: environment variable {name} is not set")
            raise _MissingVariable(name)

        return _ENV_REF.sub(substitute, node)
    return node


def _key_of(location: tuple[int | str, ...]) -> str:
    key = ""
    for part in location:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "(top level)"


def parse_config(data: Any, source: str, env: dict[str, str] | None = None) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    try:
        expanded = _expand_env(data, "", dict(os.environ) if env is None else env)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    try:
        return Config.model_validate(expanded)
    except ValidationError as exc:
        lines = [f"{source}: {_key_of(e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None


def load_config(path: Path, env: dict[str, str] | None = None) -> Config:
    """Read and validate a config file; relative paths inside it resolve from its folder."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    config = parse_config(data, str(path), env)
    faq_path = config.faq.path
    if not faq_path.is_absolute():
        faq = config.faq.model_copy(update={"path": (path.parent / faq_path).resolve()})
        config = config.model_copy(update={"faq": faq})
    spool_dir = config.discord.spool_dir
    if not spool_dir.is_absolute():
        discord = config.discord.model_copy(
            update={"spool_dir": (path.parent / spool_dir).resolve()}
        )
        config = config.model_copy(update={"discord": discord})
    return config
