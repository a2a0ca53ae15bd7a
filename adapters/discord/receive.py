"""Listening: Discord messages, button presses and slash commands -> the core, with
nothing lost on the way in.

Each event is parsed (inbound.py) and handed over with `adapters.common.hand_over`.
Discord never sends an event again, so one the core cannot store now (the database
does not answer within PATIENCE seconds, or the adapter is stopping) goes to the local
spool (spool.py), which a background task hands over in order, with backoff, as soon
as the core takes events again; while the spool is not empty, new events queue behind
it. The events of one channel are taken one at a time in arrival order, so the
channel's cursor (cursors.py) always names a message that, with every earlier one, is
stored or spooled.

On READY (start-up, or a new gateway session) each channel with a cursor is read from
there (`GET /channels/{id}/messages?after=`) and the messages the bot missed while it
was away are handed over, oldest first; the core recognises those it already has.

A button press is acknowledged (deferred) before anything else, within Discord's 3 s.
Nothing raised here may reach discord.py's loop: an unreadable event or a failing core
is logged (ids only, never customer text or tokens) and the next event is served.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum
from typing import Any

import aiohttp
import discord

from adapters.common import hand_over
from adapters.discord.cursors import Cursors
from adapters.discord.inbound import EventReader
from adapters.discord.spool import Spool
from adapters.discord.staff import Pressed
from bot.contract import Core, Event, NotStored

log = logging.getLogger("adapters.discord")

PATIENCE = 1.0  # seconds the core may take to store an event before it is spooled
FIRST_RETRY = 0.2  # seconds before the spool is offered to the core again, doubling...
MAX_RETRY = 5.0  # ...up to this
CATCH_UP_CONCURRENCY = 4  # channels read at once after READY

NOT_HERE = "Agent commands work only for staff, inside a ticket thread of the staff channel."
DONE = "done"
QUEUED = "Noted; the bot carries it out as soon as it can."
FAILED = "That did not work; the bot's log has the details."
_FETCH_FAILURES = (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError)


class Taken(Enum):
    STORED = "stored"
    SPOOLED = "spooled"
    FAILED = "failed"  # the core failed on it: logged, not retried
    REFUSED = "refused"  # neither stored nor spooled: lost, logged


_ANSWERS = {Taken.STORED: DONE, Taken.SPOOLED: QUEUED, Taken.FAILED: FAILED}


class _Probe:
    """The core as `hand_over` sees it, noting a failure other than NotStored (a fault
    in the core, which a retry would only repeat, so the event is not spooled)."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self.failed = False

    async def receive(self, event: Event, *, patience: float | None = None) -> None:
        try:
            await self._core.receive(event, patience=patience)
        except NotStored:
            raise
        except Exception:
            self.failed = True
            raise


class Receiver:
    def __init__(
        self,
        core: Core,
        client: discord.Client,
        reader: EventReader,
        spool: Spool,
        cursors: Cursors,
        pressed: Pressed | None = None,
    ) -> None:
        self._core: Core | None = core
        self._pressed = pressed
        self._client = client
        self._reader = reader
        self._spool = spool
        self._cursors = cursors
        self._lanes: dict[int, asyncio.Lock] = {}
        self._lane_users: Counter[int] = Counter()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._refused = 0

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        """Open the spool (raises SpoolInUse) and hand over what a previous run left."""
        self._spool.open()
        self._cursors.load()
        self._run("discord-cursors", self._cursors.keep_saving())
        self._drain_soon()

    async def stop(self) -> None:
        self._core = None
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._cursors.save()
        self._spool.close()

    def _run(self, name: str, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work, name=name)
        self._tasks[name] = task
        task.add_done_callback(_report_failure)

    def _running(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    # -- one channel at a time -----------------------------------------------------

    @asynccontextmanager
    async def _lane(self, channel_id: int) -> AsyncIterator[None]:
        lock = self._lanes.setdefault(channel_id, asyncio.Lock())
        self._lane_users[channel_id] += 1
        try:
            async with lock:
                yield
        finally:
            self._lane_users[channel_id] -= 1
            if not self._lane_users[channel_id]:
                del self._lane_users[channel_id], self._lanes[channel_id]

    # -- taking events -------------------------------------------------------------

    async def _take(self, event: Event) -> Taken:
        """Hand `event` to the core, or keep it in the spool when the spool is not empty
        (it goes behind) or the core cannot store it now."""
        if not self._spool:
            probe = None if self._core is None else _Probe(self._core)
            if await hand_over(probe, event, log, patience=PATIENCE):
                return Taken.STORED
            if probe is not None and probe.failed:
                return Taken.FAILED
        return self._keep(event)

    def _keep(self, event: Event) -> Taken:
        kind = type(event).__name__.lower()
        try:
            kept = self._spool.append(event)
        except OSError as exc:
            log.error("could not spool %s %s in %s: %s", kind, event.message_id, event.chat_id, exc)
            return Taken.REFUSED
        if not kept:
            self._refused += 1
            log.error(
                "spool full (%d events): %s %s in %s refused (%d refused since start)",
                len(self._spool),
                kind,
                event.message_id,
                event.chat_id,
                self._refused,
            )
            return Taken.REFUSED
        self._drain_soon()
        return Taken.SPOOLED

    def _drain_soon(self) -> None:
        if self._spool and self._core is not None and not self._running("discord-drain"):
            self._run("discord-drain", self._drain())

    async def _drain(self) -> None:
        log.warning("%d events in the spool; handing them over", len(self._spool))
        delay = FIRST_RETRY
        while (event := self._spool.head()) is not None and self._core is not None:
            probe = _Probe(self._core)
            if await hand_over(probe, event, log, patience=PATIENCE) or probe.failed:
                self._spool.pop()
                delay = FIRST_RETRY
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY)
        if not self._spool:
            log.info("the spool is empty again")

    async def _take_message(self, message: discord.Message) -> None:
        try:
            inbound = await self._reader.inbound(message)
        except Exception as exc:
            log.warning("dropped message %s: %s", message.id, type(exc).__name__)
            return
        if inbound is None:
            return
        if await self._take(inbound) is not Taken.REFUSED:
            self._cursors.advance(message.channel.id, message.id)

    # -- what the client passes on -------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        async with self._lane(message.channel.id):
            await self._take_message(message)

    async def on_button(
        self, interaction: discord.Interaction[Any], action_id: str, value: str
    ) -> None:
        try:
            await interaction.response.defer()
        except discord.HTTPException as exc:
            log.warning(
                "could not acknowledge button press %s: HTTP %s", interaction.id, exc.status
            )
        if self._pressed is not None:
            self._pressed.put(str(interaction.id), interaction)
        try:
            action = await self._reader.action(interaction, action_id, value)
        except Exception as exc:
            log.warning("dropped button press %s: %s", interaction.id, type(exc).__name__)
            return
        if action is not None:
            await self._take(action)

    async def on_command(self, interaction: discord.Interaction[Any], text: str) -> None:
        try:
            inbound = await self._reader.command(interaction, text)
        except Exception as exc:
            log.warning("dropped slash command %s: %s", interaction.id, type(exc).__name__)
            inbound = None
        if inbound is None:
            await interaction.response.send_message(NOT_HERE, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        taken = await self._take(inbound)
        await interaction.followup.send(_ANSWERS.get(taken, FAILED), ephemeral=True)

    async def on_ready(self) -> None:
        if not self._running("discord-catch-up"):
            self._run("discord-catch-up", self._catch_up())

    # -- catching up after READY ---------------------------------------------------

    async def _catch_up(self) -> None:
        channels = self._cursors.snapshot()
        if not channels:
            return
        slots = asyncio.Semaphore(CATCH_UP_CONCURRENCY)

        async def one(channel_id: int, after: int) -> int:
            async with slots, self._lane(channel_id):
                return await self._catch_up_channel(channel_id, after)

        missed = await asyncio.gather(*(one(c, m) for c, m in channels))
        log.info("caught up on %d channels: %d messages read", len(channels), sum(missed))

    async def _catch_up_channel(self, channel_id: int, after: int) -> int:
        """Hand over the messages of `channel_id` after `after`, oldest first."""
        read = 0
        try:
            channel = self._client.get_channel(channel_id)
            if channel is None:
                channel = await self._client.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                self._cursors.forget(channel_id)
                return 0
            history = channel.history(limit=None, after=discord.Object(after), oldest_first=True)
            async for message in history:
                await self._take_message(message)
                read += 1
        except (discord.NotFound, discord.Forbidden) as exc:
            log.info("channel %s is gone or closed to the bot (HTTP %s)", channel_id, exc.status)
            self._cursors.forget(channel_id)
        except _FETCH_FAILURES as exc:
            log.warning("could not catch up on channel %s: %s", channel_id, type(exc).__name__)
        return read


def _report_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s ended: %r", task.get_name(), task.exception())
