"""Agent commands in Slack threads: "!resolve" stands for "/resolve".

Slack's clients take any message that starts with "/" as a slash command, and refuse
slash commands inside threads ("/resolve is not supported in threads"), so agents
cannot type the core's commands where they work: in a ticket's thread. In the staff
channel a leading "!" before one of the core's command words is therefore read as "/".
Anything else that starts with "!" ("!important") stays as written.
"""

from __future__ import annotations

from bot.staff_flow import COMMANDS


def slash_command(text: str) -> str:
    """ "/resolve" for "!resolve" (and "!note hi" -> "/note hi"); other text unchanged."""
    if not text.startswith("!"):
        return text
    head = text[1:].partition(" ")[0]
    if head.split("@", 1)[0].lower() in COMMANDS:
        return "/" + text[1:]
    return text
