"""The directory of agents: who a ticket may be transferred to, by mention or by name.

It joins what the staff platform says (an adapter's `list_agents`: Slack staff channel
members, Discord members with the staff role, Telegram staff group administrators),
the config allowlist `staff.agents` and the agents seen acting in the staff room by
this process. With an allowlist, only the ids on it are agents, as in the router.

The platform is asked in the background (`refresh`, every `ttl` seconds): a lookup
reads the last answer and never waits on the network inside a database transaction.
When the platform cannot be asked, the last answer stands.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.config import StaffSection
from bot.contract import Agent, Event, ListsAgents, Sender

log = logging.getLogger("bot.agents")

REFRESH_SECONDS = 300.0
REFRESH_TIMEOUT = 20.0
# Longer than this, a transfer target is neither a mention nor a name; the columns that
# keep an agent hold 64 (id) and 200 (name) characters.
MAX_TARGET = 200
MAX_ID = 64
MAX_NAME = 200

# <@U123>, <@U123|name> (Slack), <@123>, <@!123> (Discord), @name (Telegram, anyone).
_MENTION = re.compile(r"<@!?(?P<id>[A-Za-z0-9_-]+)(?:\|[^>]*)?>")


def in_staff_room(staff: StaffSection, event: Event) -> bool:
    """Whether `event` happened in the configured staff room."""
    return event.platform == staff.platform and event.chat_id == staff.chat_id


def acts_as_agent(staff: StaffSection, event: Event) -> bool:
    """Whether `event` comes from an agent: a member of the staff room (as its adapter
    says), on the `staff.agents` allowlist (or an admin) when there is one. The router
    hands agents' events to the staff flow; an adapter may use it to foresee a refusal."""
    user_id = event.sender.user_id
    return (
        event.from_staff_room
        and in_staff_room(staff, event)
        and (not staff.agents or user_id in staff.agents or user_id in staff.admins)
    )


@dataclass(frozen=True)
class Found:
    """A lookup's answer: the one agent meant, or why there is none."""

    agent: Agent | None
    candidates: tuple[Agent, ...] = ()  # several agents share the name
    too_long: bool = False


@dataclass
class AgentDirectory:
    platform: str
    allowlist: frozenset[str] = frozenset()
    source: ListsAgents | None = None
    ttl: float = REFRESH_SECONDS
    _listed: dict[str, Agent] = field(default_factory=dict, init=False)
    _seen: dict[str, Agent] = field(default_factory=dict, init=False)

    def agents(self) -> list[Agent]:
        """Every agent known now, by display name."""
        known = {**self._seen, **self._listed}
        for user_id in self.allowlist:
            known.setdefault(user_id, Agent(user_id, user_id))
        if self.allowlist:
            known = {k: v for k, v in known.items() if k in self.allowlist}
        return sorted(known.values(), key=lambda a: (a.display_name.casefold(), a.user_id))

    def saw(self, platform: str, sender: Sender) -> None:
        """`sender` acted as an agent in the staff room (the router checked it)."""
        if platform == self.platform and len(sender.user_id) <= MAX_ID:
            self._seen[sender.user_id] = Agent(sender.user_id, sender.display_name[:MAX_NAME])

    def find(self, target: str) -> Found:
        """The agent `target` names: a mention, a user id, an @handle or a display name
        (case-insensitive); nothing else."""
        target = " ".join(target.split())
        if len(target) > MAX_TARGET:
            return Found(None, too_long=True)
        if not target:
            return Found(None)
        agents = self.agents()
        mention = _MENTION.fullmatch(target)
        wanted = {mention.group("id")} if mention else {target, target.removeprefix("@")}
        by_id = [a for a in agents if a.user_id in wanted]
        if by_id:
            return Found(by_id[0])
        name = target.removeprefix("@").casefold()
        by_handle = [a for a in agents if name in (h.casefold() for h in a.handles)]
        if len(by_handle) == 1:
            return Found(by_handle[0])
        by_name = [a for a in agents if a.display_name.casefold() in (name, target.casefold())]
        if len(by_name) == 1:
            return Found(by_name[0])
        return Found(None, candidates=tuple(by_name))

    async def refresh(self) -> None:
        """Ask the platform again; keep the last answer when it cannot say."""
        if self.source is None:
            return
        try:
            async with asyncio.timeout(REFRESH_TIMEOUT):
                listed = await self.source.list_agents()
        except Exception as exc:  # the platform's errors vary; the last list stands
            log.warning("listing the %s agents failed: %s", self.platform, type(exc).__name__)
            return
        self._listed = {a.user_id: _fit(a) for a in _valid(listed)}

    async def keep_fresh(self) -> None:
        """Refresh every `ttl` seconds, for as long as the bot runs."""
        while True:
            await self.refresh()
            await asyncio.sleep(self.ttl)


def lister_of(adapters: Iterable[object], platform: str) -> ListsAgents | None:
    """The adapter of `platform`, when it can list its agents."""
    for adapter in adapters:
        if isinstance(adapter, ListsAgents) and adapter.platform == platform:
            return adapter
    return None


def _valid(agents: Iterable[Agent]) -> Iterable[Agent]:
    return (a for a in agents if a.user_id and len(a.user_id) <= MAX_ID)


def _fit(agent: Agent) -> Agent:
    name = " ".join(agent.display_name.split())[:MAX_NAME] or agent.user_id
    return Agent(agent.user_id, name, agent.handles)
