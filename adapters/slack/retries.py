"""What the Slack SDK may retry on its own.

The SDK's default handler repeats a call whose connection dropped. For
`chat.postMessage` that can post a message twice: the connection may drop after Slack
has posted it. That call is left to the outbox, which resends it only after looking
for it (`resend.py`); every other call the adapter makes is safe to repeat.
"""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

NOT_REPEATABLE = ("chat.postMessage",)


class RepeatableConnectionErrorRetryHandler(AsyncConnectionErrorRetryHandler):
    """The SDK's connection-error retry, for every method but the ones that post."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").rsplit("/", 1)[-1] in NOT_REPEATABLE:
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )
