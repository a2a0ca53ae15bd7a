"""The set-up guides: their links lead somewhere, their config snippets load, the
Discord invite asks for exactly the permissions the table lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from adapters.discord.doctor import INVITE_PERMISSIONS, STAFF_NEEDS
from bot.config import parse_config
from tests.conftest import REPO

PAGES = [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md"]
GUIDES = ["telegram.md", "slack.md", "discord.md"]
ENV = {
    "TELEGRAM_BOT_TOKEN": "1:x",
    "SLACK_BOT_TOKEN": "xoxb-1",
    "SLACK_APP_TOKEN": "xapp-1",
    "DISCORD_BOT_TOKEN": "d",
}


def _yaml_blocks(page: Path) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_lead_to_files(page: Path) -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8"))
    local = [link for link in links if "://" not in link]

    assert [link for link in local if not (page.parent / link).exists()] == []


@pytest.mark.parametrize("guide", GUIDES)
def test_the_guides_config_loads(guide: str) -> None:
    [block] = [b for b in _yaml_blocks(REPO / "docs" / guide) if "enabled: true" in b]

    config = parse_config(yaml.safe_load(block), guide, ENV)

    assert getattr(config, config.staff.platform).enabled


def test_the_discord_invite_asks_for_the_listed_permissions() -> None:
    text = (REPO / "docs" / "discord.md").read_text(encoding="utf-8")
    [asked] = set(re.findall(r"permissions=(\d+)", text))
    listed = INVITE_PERMISSIONS

    assert int(asked) == listed.value
    assert f"`{listed.value}` is exactly these permissions" in text
    assert all(f"| {shown} |" in text for shown in STAFF_NEEDS.values())
