"""Slack: customers in DMs and the support channel, agents in the staff channel.

The Slack app needs the bot scopes chat:write, im:history, app_mentions:read,
channels:history and groups:history (the staff channel's threads), channels:read and
groups:read (its member list), users:read; the bot events message.im, app_mention,
message.channels and message.groups; interactivity on; and, for Socket Mode, an app
token with connections:write. Invite the app to the staff and support channels.

The history scopes (im:history, channels:history, groups:history) also let the adapter
read back its own recent messages: a message whose sending may have reached Slack (a
timeout, a crash mid-send) is looked up by the outbox key in its metadata before it is
posted again, so customers never get it twice.
"""

from adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]
