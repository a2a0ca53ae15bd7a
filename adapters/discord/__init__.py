"""Discord: customers in DMs or a support channel, agents in a staff channel's threads."""

from adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
