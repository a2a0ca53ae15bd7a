"""The agent directory: platform list, allowlist, agents seen; lookups by mention or name."""

from __future__ import annotations

from bot.agents import MAX_TARGET, AgentDirectory
from bot.contract import Agent, Sender


class Lister:
    platform = "slack"

    def __init__(self, agents: list[Agent]) -> None:
        self.agents = agents
        self.fail = False

    async def list_agents(self) -> list[Agent]:
        if self.fail:
            raise ConnectionError("slack is away")
        return self.agents


async def test_lookups_by_mention_id_handle_and_name() -> None:
    lister = Lister(
        [Agent("U1", "Alex Kim", ("alex",)), Agent("U2", "Sam", ()), Agent("U3", "sam", ())]
    )
    directory = AgentDirectory("slack", source=lister)
    await directory.refresh()
    assert directory.find("<@U1>").agent == lister.agents[0]
    assert directory.find("<@U1|alex>").agent == lister.agents[0]
    assert directory.find("U1").agent == lister.agents[0]
    assert directory.find("@alex").agent == lister.agents[0]
    assert directory.find("alex  KIM").agent == lister.agents[0]
    ambiguous = directory.find("Sam")
    assert ambiguous.agent is None and len(ambiguous.candidates) == 2
    assert directory.find("Bob").agent is None
    too_long = directory.find("x" * (MAX_TARGET + 1))
    assert too_long.agent is None and too_long.too_long


async def test_the_last_list_stands_when_the_platform_cannot_say() -> None:
    lister = Lister([Agent("U1", "Alex")])
    directory = AgentDirectory("slack", source=lister)
    await directory.refresh()
    lister.fail = True
    await directory.refresh()
    assert [a.user_id for a in directory.agents()] == ["U1"]


async def test_allowlist_limits_and_completes_the_list() -> None:
    lister = Lister([Agent("U1", "Alex"), Agent("U9", "Not listed")])
    directory = AgentDirectory("slack", frozenset({"U1", "U2"}), lister)
    await directory.refresh()
    directory.saw("slack", Sender("U2", "Sam"))
    directory.saw("telegram", Sender("U1", "Wrong platform"))
    assert [(a.user_id, a.display_name) for a in directory.agents()] == [
        ("U1", "Alex"),
        ("U2", "Sam"),
    ]
    assert directory.find("U9").agent is None


async def test_a_mention_slack_already_turned_into_text_still_names_the_agent() -> None:
    directory = AgentDirectory("slack", source=Lister([Agent("U1", "Alex")]))
    await directory.refresh()
    assert directory.find("@U1").agent == Agent("U1", "Alex")
