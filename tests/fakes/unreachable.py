"""A port on 127.0.0.1 that nothing listens on: a platform, or a server, that is not there."""

from __future__ import annotations

import socket

import aiohttp
import pytest


def free_port() -> int:
    """A port the OS just handed out and took back: free now, refusing connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def refused_connection(path: str) -> aiohttp.ClientConnectorError:
    """The error a POST to `path` on a free port fails with."""
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError) as refused:
            await session.post(f"http://127.0.0.1:{free_port()}{path}")
    return refused.value
