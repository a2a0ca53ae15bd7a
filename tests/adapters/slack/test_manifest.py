"""docs/slack-manifest.yaml, the app manifest users paste, asks Slack for exactly what
the adapter declares it needs."""

from __future__ import annotations

import re
from typing import Any

import yaml

import adapters.slack
from adapters.slack.doctor import BOT_EVENTS, BOT_SCOPES
from tests.conftest import REPO


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (REPO / "docs" / "slack-manifest.yaml").read_text(encoding="utf-8")
    )
    return data


def test_the_manifest_asks_for_exactly_the_declared_scopes_and_events() -> None:
    manifest = _manifest()

    assert manifest["oauth_config"]["scopes"]["bot"] == sorted(BOT_SCOPES)
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == sorted(BOT_EVENTS)


def test_the_manifest_lets_customers_write_and_press_buttons() -> None:
    manifest = _manifest()

    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_the_adapters_own_description_names_the_same_scopes_and_events() -> None:
    described = adapters.slack.__doc__ or ""
    named = set(re.findall(r"\b[a-z_]+:[a-z]+\b", described)) - {"connections:write"}

    assert named == set(BOT_SCOPES)
    assert all(event in described for event in BOT_EVENTS)
