"""The adapters a configuration enables, built from their sections, and their checkups.

Each platform module is imported only when its platform is enabled, so a
deployment on one platform never loads the others' libraries.

A checkup (each platform's `doctor.py`) asks the platform, with the configured
credentials, whether the bot can work there: token accepted, permissions granted,
staff room reachable. Its answers are `Finding`s, each saying what is wrong and how
to fix it. The same module turns an exception from its adapter's start-up into one
line a person can act on (`start_failure`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.config import Config
from bot.contract import Adapter


class Severity(StrEnum):
    OK = "ok"
    WARNING = "warning"  # works, but not as well as it could
    PROBLEM = "problem"  # the bot will not work as configured


@dataclass(frozen=True)
class Finding:
    """One thing a checkup found: `what` it is, and for a warning or a problem, the `fix`."""

    area: str  # "telegram", "slack", "discord", "database"
    severity: Severity
    what: str
    fix: str = ""


def ok(area: str, what: str) -> Finding:
    return Finding(area, Severity.OK, what)


def warning(area: str, what: str, fix: str) -> Finding:
    return Finding(area, Severity.WARNING, what, fix)


def problem(area: str, what: str, fix: str) -> Finding:
    return Finding(area, Severity.PROBLEM, what, fix)


class Checkup(Protocol):
    platform: str

    async def run(self) -> list[Finding]:
        """Ask the platform; a failed step is a Finding, never an exception."""
        ...

    def start_failure(self, exc: BaseException) -> str | None:
        """One line saying why the adapter could not start, when `exc` is a failure this
        platform explains (a rejected token, a missing intent); else None."""
        ...


def enabled_adapters(config: Config) -> list[Adapter]:
    adapters: list[Adapter] = []
    if config.telegram.enabled:
        from adapters.telegram import TelegramAdapter

        adapters.append(TelegramAdapter(config.telegram, config.staff))
    if config.slack.enabled:
        from adapters.slack import SlackAdapter

        adapters.append(SlackAdapter(config.slack, config.staff))
    if config.discord.enabled:
        from adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter(config.discord, config.staff))
    return adapters


def enabled_checkups(config: Config) -> list[Checkup]:
    checkups: list[Checkup] = []
    if config.telegram.enabled:
        from adapters.telegram.doctor import TelegramCheckup

        checkups.append(TelegramCheckup(config.telegram, config.staff))
    if config.slack.enabled:
        from adapters.slack.doctor import SlackCheckup

        checkups.append(SlackCheckup(config.slack, config.staff))
    if config.discord.enabled:
        from adapters.discord.doctor import DiscordCheckup

        checkups.append(DiscordCheckup(config.discord, config.staff))
    return checkups


def start_failure(config: Config, exc: BaseException) -> str | None:
    """Why an enabled adapter could not start, in one line, if a platform knows `exc`."""
    for checkup in enabled_checkups(config):
        reason = checkup.start_failure(exc)
        if reason is not None:
            return reason
    return None
