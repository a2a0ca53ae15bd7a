"""The Slack adapter tells /healthz while its Socket Mode connection is down."""

from __future__ import annotations

import asyncio

from adapters.slack import SlackAdapter
from tests.adapters.slack.conftest import STAFF, RecordingCore, slack_section
from tests.fakes.slack_api import FakeSlack


async def test_socket_mode_without_a_connection_is_down(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    assert await adapter.down_reason() is None

    fake.fail_next("apps.connections.open", times=1000, status=500, error="internal_error")
    await fake.drop_connections()
    async with asyncio.timeout(5):
        while (reason := await adapter.down_reason()) is None:
            await asyncio.sleep(0.01)

    assert reason == "the Socket Mode connection is down"


async def test_http_mode_has_no_connection_to_lose(fake: FakeSlack, core: RecordingCore) -> None:
    adapter = SlackAdapter(slack_section(fake, mode="http", http_port=0), STAFF)
    await adapter.start(core)
    try:
        assert await adapter.down_reason() is None
    finally:
        await adapter.stop()
