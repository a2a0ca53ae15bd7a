"""The configuration file: one YAML document, validated at start-up.

Errors name the line and the key (`config.yaml:23: hours.weekly.mon[1]: ...`), all
of a file's at once, an unknown key with the closest known one. Secrets are never
written in the file: a value `${SLACK_BOT_TOKEN}` is read from the environment, and
a missing variable is an error naming both the key and the variable, unless nothing
needs it (a platform that is not enabled, a key of another mode). The file is read
with `faq.safe_yaml`'s limits, so a hostile one cannot crash or stall the bot.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal, get_args

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
from sqlalchemy.engine import make_url
from yaml.nodes import MappingNode, Node, SequenceNode

from faq import e5
from faq.safe_yaml import CONFIG_LIMITS, LimitExceeded, compose, construct, unknown_key

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
    "did you mean"; `margin`: how far the best must lead the runner-up to answer.
    Each is optional: left out (None), it is calibrated from the FAQ when it loads
    (see faq.calibrate); given, it overrides the calibrated value."""

    answer: float | None = Field(default=None, ge=0, le=100)
    suggest: float | None = Field(default=None, ge=0, le=100)
    margin: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.suggest is not None and self.answer is not None and self.suggest > self.answer:
            raise ValueError("suggest must not be above answer")
        return self


class FaqSection(_Section):
    path: Path = Path("examples/faq")
    reload_seconds: float = Field(default=2.0, gt=0)
    thresholds: Thresholds = Thresholds()
    max_suggestions: int = Field(default=3, ge=1, le=5)
    misses_before_handoff: int = Field(default=2, ge=1)
    # Semantic matching (faq/semantic.py); needs `pip install supportbot[semantic]`.
    semantic: bool = False

    @field_validator("semantic")
    @classmethod
    def _semantic_installed(cls, value: bool) -> bool:
        if value and not e5.installed():
            raise ValueError(e5.MISSING)
        return value


class SnippetsSection(_Section):
    """Canned responses agents send with `!s NAME` (faq/snippets.py). `path`: the YAML
    file; unset, `snippets.yaml` next to the FAQ (beside its file or folder). Reloaded
    like the FAQ, every `faq.reload_seconds`."""

    path: Path | None = None


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
    top of the adapter's own staff check (room membership, staff role). `admins`
    (platform user ids, agents too) may take or release any ticket (`!take`,
    `!release` on a ticket someone else holds)."""

    platform: str = "console"
    chat_id: str = "staff"
    agents: list[str] = Field(default_factory=list)
    admins: list[str] = Field(default_factory=list)
    minutes_per_ticket: float = Field(default=5.0, gt=0)


class TicketsSection(_Section):
    """The life of a ticket, looked at every `check_seconds`.

    `remind_unclaimed_minutes`: a ticket still waiting for an agent after this long gets
    a reminder in the staff room, again every `remind_every_minutes` while it waits
    (unset: no reminders). The wait counts support hours only (`hours`), so nobody is
    reminded at night of a ticket from the evening; `remind_outside_hours` counts every
    minute instead. `auto_close_hours`: a claimed ticket whose customer has not answered
    the agent's last reply for this long (every hour counts) is resolved, the customer
    told and asked for a rating (unset: tickets stay open)."""

    remind_unclaimed_minutes: float | None = Field(default=None, gt=0)
    remind_every_minutes: float = Field(default=30.0, gt=0)
    remind_outside_hours: bool = False
    auto_close_hours: float | None = Field(default=None, gt=0)
    check_seconds: float = Field(default=60.0, gt=0)


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


class PrivacySection(_Section):
    """`retention_days`: transcript texts older than this are emptied (except while their
    conversation has an open ticket), delivered messages deleted and handled events'
    payloads emptied, every hour while the bot runs and by `supportbot privacy purge`;
    ticket times, ratings and question outcomes stay (anonymous metrics). Unset: kept."""

    retention_days: float | None = Field(default=None, gt=0)


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
    snippets: SnippetsSection = SnippetsSection()
    hours: HoursSection = HoursSection()
    staff: StaffSection = StaffSection()
    tickets: TicketsSection = TicketsSection()
    database: DatabaseSection = DatabaseSection()
    delivery: DeliverySection = DeliverySection()
    limits: LimitsSection = LimitsSection()
    slack: SlackSection = SlackSection()
    discord: DiscordSection = DiscordSection()
    telegram: TelegramSection = TelegramSection()
    privacy: PrivacySection = PrivacySection()
    health: HealthSection = HealthSection()
    logging: LoggingSection = LoggingSection()

    @property
    def snippets_path(self) -> Path:
        return self.snippets.path or self.faq.path.parent / "snippets.yaml"

    def secrets(self) -> list[str]:
        """Every secret value in the configuration, so logs can be scrubbed of them."""
        found: list[str] = []
        for section in (self.slack, self.discord, self.telegram):
            for value in section.__dict__.values():
                if isinstance(value, SecretStr) and value.get_secret_value():
                    found.append(value.get_secret_value())
        return found


_PLATFORMS = ("slack", "discord", "telegram")
_STAFF_PLATFORMS = ("console", *_PLATFORMS)
# What an enabled platform needs, by mode ("" for every mode). What only another mode
# needs may name a variable that is not set (polling needs no webhook secret).
_REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "telegram": {"": ("token",), "webhook": ("webhook_url", "webhook_secret")},
    "slack": {"": ("bot_token",), "socket": ("app_token",), "http": ("signing_secret",)},
    "discord": {"": ("token",)},
}

Location = tuple[int | str, ...]


class _MissingVariable(Exception):
    pass


def _lenient_keys(key: str, section: Any) -> frozenset[str] | None:
    """The keys of platform section `key` whose missing variables are left out: all of
    them (None) when the platform is not enabled, else those its mode does not use."""
    if not isinstance(section, dict) or section.get("enabled") is not True:
        return None
    mode = section.get("mode", getattr(Config.model_fields[key].default, "mode", None))
    return frozenset(
        name
        for used_by, names in _REQUIRED.get(key, {}).items()
        if used_by not in ("", mode)
        for name in names
    )


def _expand_env(
    node: Any,
    at: Location,
    env: dict[str, str],
    problems: list[tuple[Location, str]],
    *,
    lenient: frozenset[str] | None = frozenset(),
) -> Any:
    """Fill in ${VAR}s. A missing variable is a problem, except where `lenient` allows
    it (a platform that is not enabled, a key another mode uses): there the value is
    left out. `lenient` None: every key below; a set: those keys of this mapping."""
    if isinstance(node, dict):
        expanded = {}
        for k, v in node.items():
            below: frozenset[str] | None = frozenset()
            if lenient is None or k in lenient:
                below = None
            elif not at and k in _PLATFORMS:
                below = _lenient_keys(k, v)
            try:
                expanded[k] = _expand_env(v, (*at, k), env, problems, lenient=below)
            except _MissingVariable:
                continue
        return expanded
    if isinstance(node, list):
        return [
            _expand_env(v, (*at, i), env, problems, lenient=lenient) for i, v in enumerate(node)
        ]
    if isinstance(node, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in env:
                return env[name]
            if lenient is None:
                raise _MissingVariable(name)
            problems.append((at, f"environment variable {name} is not set"))
            return ""

        return _ENV_REF.sub(substitute, node)
    return node


def _key_of(location: Location) -> str:
    key = ""
    for part in location:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "(top level)"


def _model_at(location: Location) -> type[BaseModel] | None:
    """The section model whose keys are valid at `location`, when there is one."""
    model: type[BaseModel] = Config
    for part in location:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
        candidates = [field.annotation, *get_args(field.annotation)]
        found = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not found:
            return None
        model = found[0]
    return model


def _message(location: Location, error: Any) -> str:
    model = _model_at(location[:-1]) if error["type"] == "extra_forbidden" else None
    if model is not None:
        return unknown_key(str(location[-1]), tuple(model.model_fields))
    return str(error["msg"])


def _validate_sections(
    data: dict[Any, Any], problems: list[tuple[Location, str]]
) -> tuple[dict[str, _Section], set[str]]:
    """Each section validated on its own, so one's errors do not hide another's; the
    valid ones by name, and the names of the broken ones."""
    sections: dict[str, _Section] = {}
    broken: set[str] = set()
    for key in data:
        if key not in Config.model_fields:
            problems.append(((str(key),), unknown_key(str(key), tuple(Config.model_fields))))
    for name in Config.model_fields:
        if name not in data:
            continue
        model = _model_at((name,))
        assert model is not None
        try:
            sections[name] = model.model_validate(data[name])  # type: ignore[assignment]
        except ValidationError as exc:
            broken.add(name)
            for error in exc.errors():
                at = (name, *error["loc"])
                problems.append((at, _message(at, error)))
    return sections, broken


def _deployment_problems(
    sections: dict[str, _Section], broken: set[str], *, for_shell: bool
) -> list[tuple[Location, str]]:
    """What a valid-looking file still gets wrong as a whole: an enabled platform
    without the secrets its mode needs, a staff room on a platform that is not running."""
    found: list[tuple[Location, str]] = []
    section: Any
    enabled = []
    for platform in _PLATFORMS:
        section = sections.get(platform, Config.model_fields[platform].default)
        if platform in broken or not section.enabled:
            continue
        enabled.append(platform)
        mode = getattr(section, "mode", "")
        for used_by, keys in _REQUIRED[platform].items():
            for key in keys if used_by in ("", mode) else ():
                if getattr(section, key) is None:
                    needed = f"in {mode} mode" if used_by else "to run"
                    found.append(((platform, key), f"required {needed}"))
    staff = sections.get("staff", StaffSection())
    assert isinstance(staff, StaffSection)
    if for_shell or "staff" in broken:
        return found
    where = ("staff", "platform")
    if staff.platform not in _STAFF_PLATFORMS:
        found.append((where, unknown_key(staff.platform, _STAFF_PLATFORMS, what="platform")))
    elif staff.platform == "console" and enabled:
        found.append(
            (
                where,
                f'"console" is only for `supportbot shell`: handoffs would reach nobody; '
                f"set it to {' or '.join(enabled)} and staff.chat_id to the staff room's id",
            )
        )
    elif staff.platform != "console" and staff.platform not in (*enabled, *broken):
        found.append(
            (
                where,
                f"{staff.platform} is not enabled: set {staff.platform}.enabled to true,"
                " or put the staff room on an enabled platform",
            )
        )
    return found


def _validate(
    data: Any,
    source: str,
    env: dict[str, str] | None,
    *,
    root: Node | None = None,
    for_shell: bool = False,
    deployment: bool = False,
) -> Config:
    """Every problem of the file at once, each as `source[:line]: key: message`."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    problems: list[tuple[Location, str]] = []
    expanded = _expand_env(data, (), dict(os.environ) if env is None else env, problems)
    sections, broken = _validate_sections(expanded, problems)
    if deployment:
        problems.extend(_deployment_problems(sections, broken, for_shell=for_shell))
    if not problems:
        try:
            return Config(**sections)
        except ValidationError as exc:  # a rule across sections
            problems = [(tuple(e["loc"]), _message(tuple(e["loc"]), e)) for e in exc.errors()]
    raise ConfigError("\n".join(_report(source, root, problems)))


def _report(source: str, root: Node | None, problems: list[tuple[Location, str]]) -> list[str]:
    """The problems as lines, in the order of the file when it is known."""
    placed = [(_line_of(root, at), at, message) for at, message in problems]
    placed.sort(key=lambda item: (item[0] is None, item[0] or 0))
    return [
        f"{source}{f':{line}' if line else ''}: {_key_of(at)}: {message}"
        for line, at, message in placed
    ]


def _line_of(root: Node | None, location: Location) -> int | None:
    """The line (1-based) of the deepest key or item of `location` found in the file;
    None when not even its first key is there (a section left out)."""
    if root is None:
        return None
    node, line = root, None
    for part in location:
        if isinstance(node, MappingNode):
            pair = next((p for p in node.value if getattr(p[0], "value", None) == part), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line, pair[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return None if line is None else line + 1


def parse_config(data: Any, source: str, env: dict[str, str] | None = None) -> Config:
    """Validate configuration values (each section and key); `load_config` checks more."""
    return _validate(data, source, env)


def load_config(
    path: Path, env: dict[str, str] | None = None, *, for_shell: bool = False
) -> Config:
    """Read and validate a config file, reporting every problem at once with its line.

    Beyond the values, the file must make sense as a whole: each enabled platform has
    the secrets its mode needs, and the staff room is on an enabled platform (on the
    console only `for_shell`). Relative paths inside it (the FAQ, the SQLite file, the
    Discord spool) resolve from the file's folder, wherever the bot is started from.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        root = compose(text, CONFIG_LIMITS)
    except LimitExceeded as exc:
        raise ConfigError(f"{path}:{exc.line}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    data = construct(root)
    if data is None:
        raise ConfigError(f"{path}: the file is empty; start from a copy of config.example.yaml")
    config = _validate(data, str(path), env, root=root, for_shell=for_shell, deployment=True)
    return _relative_to(config, path.parent)


def _relative_to(config: Config, folder: Path) -> Config:
    """`config` with its relative paths made absolute from `folder`."""
    faq = config.faq
    if not faq.path.is_absolute():
        faq = faq.model_copy(update={"path": (folder / faq.path).resolve()})
    snippets = config.snippets
    if snippets.path is not None and not snippets.path.is_absolute():
        snippets = snippets.model_copy(update={"path": (folder / snippets.path).resolve()})
    discord = config.discord
    if not discord.spool_dir.is_absolute():
        discord = discord.model_copy(update={"spool_dir": (folder / discord.spool_dir).resolve()})
    database = config.database.model_copy(
        update={"url": sqlite_url_from(config.database.url, folder)}
    )
    return config.model_copy(
        update={"faq": faq, "snippets": snippets, "discord": discord, "database": database}
    )


def sqlite_url_from(url: str, folder: Path) -> str:
    """A SQLite URL whose file is relative (`sqlite+aiosqlite:///bot.db`) with the file
    made absolute from `folder`; any other URL as it is."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    if database.startswith("file:") or Path(database).is_absolute():
        return url
    absolute = parsed.set(database=str((folder / database).resolve()))
    return absolute.render_as_string(hide_password=False)
