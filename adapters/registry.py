"""The adapters a configuration enables, built from their sections.

Each platform module is imported only when its platform is enabled, so a
deployment on one platform never loads the others' libraries.
"""

from __future__ import annotations

from bot.config import Config
from bot.contract import Adapter


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
