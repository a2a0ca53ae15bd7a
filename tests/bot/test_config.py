from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config
from tests.conftest import REPO


def test_example_config_loads_without_any_secret_set() -> None:
    config = load_config(REPO / "config.example.yaml", env={})
    assert config.staff.platform == "console"
    assert config.faq.path == (REPO / "examples" / "faq").resolve()
    assert config.telegram.enabled is False and config.telegram.token is None


def test_errors_name_the_file_and_the_key() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"faq": {"thresholds": {"answer": 150}}, "staff": {"chat": "x"}}, "c.yaml")
    message = str(error.value)
    assert "c.yaml: faq.thresholds.answer:" in message
    assert "c.yaml: staff.chat:" in message


def test_suggest_above_answer_is_refused() -> None:
    with pytest.raises(ConfigError, match="suggest must not be above answer"):
        parse_config({"faq": {"thresholds": {"answer": 50, "suggest": 70}}}, "c.yaml")


def test_secrets_come_from_the_environment() -> None:
    data = {"telegram": {"enabled": True, "token": "${TG_TOKEN}"}}
    config = parse_config(data, "c.yaml", env={"TG_TOKEN": "123:abc"})
    assert config.telegram.token is not None
    assert config.telegram.token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(config)
    assert config.secrets() == ["123:abc"]


def test_a_missing_variable_of_an_enabled_platform_is_an_error() -> None:
    data = {"slack": {"enabled": True, "bot_token": "${SLACK_BOT_TOKEN}"}}
    with pytest.raises(
        ConfigError, match=r"c\.yaml: slack\.bot_token: environment variable SLACK_BOT_TOKEN"
    ):
        parse_config(data, "c.yaml", env={})


def test_broken_yaml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "c.yaml"
    broken.write_text("faq: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(listing)
