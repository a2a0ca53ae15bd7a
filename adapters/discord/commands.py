"""The agents' slash commands: each becomes the text command the core already parses.

`/reply text` in a ticket thread is the same as typing "/reply text" there; the
commands exist so Discord offers them with their arguments. They are registered with
Discord only when `discord.sync_commands` is set (a sync is rate limited and needed
only after the commands change).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

CommandRunner = Callable[[discord.Interaction[Any], str], Awaitable[None]]


def add_agent_commands(tree: app_commands.CommandTree[Any], run: CommandRunner) -> None:
    @tree.command(name="reply", description="Answer the customer of this ticket")
    @app_commands.guild_only()
    @app_commands.describe(text="What the customer reads, signed with your name")
    async def reply(interaction: discord.Interaction[Any], text: str) -> None:
        await run(interaction, f"/reply {text}")

    @tree.command(name="note", description="Add an internal note (never sent to the customer)")
    @app_commands.guild_only()
    @app_commands.describe(text="The note")
    async def note(interaction: discord.Interaction[Any], text: str) -> None:
        await run(interaction, f"/note {text}")

    @tree.command(name="release", description="Put this ticket back in the queue")
    @app_commands.guild_only()
    async def release(interaction: discord.Interaction[Any]) -> None:
        await run(interaction, "/release")

    @tree.command(name="transfer", description="Hand this ticket to another agent")
    @app_commands.guild_only()
    @app_commands.describe(agent="The agent who takes over")
    async def transfer(interaction: discord.Interaction[Any], agent: discord.User) -> None:
        await run(interaction, f"/transfer {agent.id}")

    @tree.command(name="resolve", description="Close this ticket and ask the customer for a rating")
    @app_commands.guild_only()
    async def resolve(interaction: discord.Interaction[Any]) -> None:
        await run(interaction, "/resolve")

    @tree.command(name="s", description="Send a snippet (canned response) to the customer")
    @app_commands.guild_only()
    @app_commands.describe(name="The snippet's name; leave it out to list the snippets")
    async def snippet(interaction: discord.Interaction[Any], name: str = "") -> None:
        await run(interaction, f"/s {name}".rstrip())

    @tree.command(name="faq", description="Send an FAQ entry's answer to the customer")
    @app_commands.guild_only()
    @app_commands.describe(entry="The FAQ entry's id")
    async def faq(interaction: discord.Interaction[Any], entry: str) -> None:
        await run(interaction, f"/faq {entry}")
