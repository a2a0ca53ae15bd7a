"""Which Discord servers the library talks to.

discord.py keeps both addresses in class attributes (`Route.BASE` for REST,
`DiscordWebSocket.DEFAULT_GATEWAY` for the gateway), so they are process-wide: one
Discord adapter per process. Both are set on every start, so an adapter without
`api_base_url` goes back to discord.com even after one that had it.
"""

from __future__ import annotations

import discord
import discord.gateway
import discord.http
import yarl

from bot.config import DiscordSection

DISCORD_API = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"


def use_api(section: DiscordSection) -> None:
    """Point REST calls at `api_base_url` (e.g. "http://127.0.0.1:8080/api/v10")."""
    discord.http.Route.BASE = (section.api_base_url or DISCORD_API).rstrip("/")


async def use_gateway(section: DiscordSection, client: discord.Client) -> None:
    """Point the gateway at `gateway_url`; without it, at the gateway that a custom API
    names in `GET /gateway/bot` (how Discord tells clients where to connect); else at
    Discord's. Call after login (the lookup needs the token)."""
    if section.gateway_url:
        url = section.gateway_url
    elif section.api_base_url:
        _shards, url, _limits = await client.http.get_bot_gateway()
    else:
        url = DISCORD_GATEWAY
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
