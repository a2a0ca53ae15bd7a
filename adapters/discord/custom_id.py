"""A button's `custom_id`: the core's action id and value, readable after a restart.

Discord sends back only the `custom_id` of a pressed button, so everything the core
needs to rebuild the `Action` lives in it: `sb:<action_id>:<value>`.
"""

from __future__ import annotations

import re

TEMPLATE = re.compile(r"sb:(?P<action>[a-z_]+):(?P<value>[^:]*)")
MAX_LENGTH = 100  # Discord's limit for a component custom_id


def encode(action_id: str, value: str) -> str:
    custom_id = f"sb:{action_id}:{value}"
    if len(custom_id) > MAX_LENGTH or TEMPLATE.fullmatch(custom_id) is None:
        raise ValueError(f"button {action_id!r} cannot be encoded as a Discord custom_id")
    return custom_id


def decode(custom_id: str) -> tuple[str, str] | None:
    """(action_id, value), or None when `custom_id` is not one of ours."""
    match = TEMPLATE.fullmatch(custom_id)
    if match is None:
        return None
    return match["action"], match["value"]
