"""Slack Web API failures -> `DeliveryError`, the one failure type the core's outbox knows.

A 429 reaching here has already been retried by the SDK's rate-limit handler; it
carries Slack's `Retry-After`. Errors that no retry can fix (the channel is gone, the
app was removed, the message is unacceptable) are permanent; everything else, such as
5xx answers, timeouts and lost connections, is transient. A call that timed out or lost
its connection once it was made may have been carried out by Slack (`maybe_sent`); one
that never connected, or got an answer (even a 429 or a 5xx), was not.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.contract import DeliveryError

# What a Web API call can raise: Slack's answer, the SDK itself, or the network.
CALL_ERRORS: tuple[type[Exception], ...] = (SlackClientError, aiohttp.ClientError, TimeoutError)

PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "cannot_dm_bot",
        "cant_update_message",
        "channel_not_found",
        "edit_window_closed",
        "invalid_auth",
        "invalid_blocks",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_text",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "team_access_not_granted",
        "token_revoked",
        "too_many_attachments",
        "user_not_found",
    }
)


def delivery_error(exc: Exception, method: str) -> DeliveryError:
    if not isinstance(exc, SlackApiError):
        maybe_sent = isinstance(exc, TimeoutError | aiohttp.ClientError) and not isinstance(
            exc, aiohttp.ClientConnectorError
        )
        return DeliveryError(f"slack {method}: {type(exc).__name__}", maybe_sent=maybe_sent)
    status = exc.response.status_code
    error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
    reason = f"slack {method}: HTTP {status} {error or ''}".rstrip()
    if status == 429:
        return DeliveryError(reason, retry_after=_retry_after(exc))
    return DeliveryError(reason, permanent=status < 500 and error in PERMANENT_ERRORS)


def _retry_after(exc: SlackApiError) -> float:
    for name, value in exc.response.headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                break
    return 1.0
