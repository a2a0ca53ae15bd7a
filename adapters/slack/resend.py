"""Posting each piece of a message once, even when an attempt's outcome is unknown.

Every `chat.postMessage` carries message metadata naming the outbox key and the piece.
When the outbox says an earlier attempt may have reached Slack (a timeout, a dropped
connection, a worker killed mid-send), the recent messages of the channel (or of the
thread) are searched for that key first, and each piece found is not posted again.
Reading them needs the history scopes (im:history, channels:history, groups:history).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import CALL_ERRORS, delivery_error
from bot.contract import Address

EVENT_TYPE = "supportbot_outbox"
PAGE_SIZE = 50
# A thread lists oldest first, so a long one takes pages to reach its newest replies.
MAX_THREAD_PAGES = 10


def outbox_metadata(key: str, piece: int) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key, "piece": piece}}


async def posted_pieces(client: AsyncWebClient, to: Address, key: str) -> dict[int, str]:
    """piece index -> ts of the pieces of `key` already posted at `to`.

    A channel is searched in its newest `PAGE_SIZE` messages; a thread in up to
    `MAX_THREAD_PAGES` pages of replies."""
    found: dict[int, str] = {}
    method = "conversations.history" if to.thread_id is None else "conversations.replies"
    cursor: str | None = None
    try:
        for _ in range(1 if to.thread_id is None else MAX_THREAD_PAGES):
            if to.thread_id is None:
                page = await client.conversations_history(
                    channel=to.chat_id, limit=PAGE_SIZE, include_all_metadata=True
                )
            else:
                page = await client.conversations_replies(
                    channel=to.chat_id,
                    ts=to.thread_id,
                    limit=PAGE_SIZE,
                    include_all_metadata=True,
                    cursor=cursor,
                )
            for message in page.get("messages") or []:
                _collect(message, key, found)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except CALL_ERRORS as exc:
        raise delivery_error(exc, method) from exc
    return found


def _collect(message: Mapping[str, Any], key: str, found: dict[int, str]) -> None:
    metadata = message.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != EVENT_TYPE:
        return
    payload = metadata.get("event_payload")
    if not isinstance(payload, Mapping) or payload.get("key") != key:
        return
    piece, ts = payload.get("piece"), message.get("ts")
    if isinstance(piece, int) and isinstance(ts, str):
        found.setdefault(piece, ts)
