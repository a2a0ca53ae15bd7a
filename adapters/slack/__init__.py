"""Slack: customers in DMs and the support channel, agents in the staff channel."""

from adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]
