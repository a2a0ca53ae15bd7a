from __future__ import annotations

import time
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


def write(folder: Path, text: str, name: str = "config.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, env: dict[str, str] | None = None, *, for_shell: bool = False) -> str:
    with pytest.raises(ConfigError) as error:
        load_config(path, env={} if env is None else env, for_shell=for_shell)
    return str(error.value)


def test_every_problem_of_a_file_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bot:\n"
        "  name: Shop\n"
        "faq:\n"
        "  pth: faq\n"
        "  max_suggestions: 9\n"
        "staf:\n"
        "  chat_id: x\n"
        "slack:\n"
        "  enabled: true\n"
        "  bot_token: ${SLACK_BOT_TOKEN}\n",
    )

    assert problems(path).splitlines() == [
        f'{path}:4: faq.pth: unknown key "pth" (did you mean "path"?)',
        f"{path}:5: faq.max_suggestions: Input should be less than or equal to 5",
        f'{path}:6: staf: unknown key "staf" (did you mean "staff"?)',
        f"{path}:8: slack.app_token: required in socket mode",
        f"{path}:10: slack.bot_token: environment variable SLACK_BOT_TOKEN is not set",
        f'{path}: staff.platform: "console" is only for `supportbot shell`: handoffs would'
        " reach nobody; set it to slack and staff.chat_id to the staff room's id",
    ]


def test_an_unknown_key_far_from_any_known_one_lists_the_known_ones(tmp_path: Path) -> None:
    message = problems(write(tmp_path, "hours:\n  zzzz: 1\n"))
    assert (
        'unknown key "zzzz" (expected: timezone, weekly, holidays, closed, always_open)' in message
    )


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    for text in ("", "# only a comment\n", "---\n"):
        assert "the file is empty" in problems(write(tmp_path, text))


def test_the_staff_room_must_be_on_an_enabled_platform(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "1:a"}
    telegram = "telegram:\n  enabled: true\n  token: ${TELEGRAM_BOT_TOKEN}\n"

    on_console = write(tmp_path, telegram + "staff:\n  platform: console\n")
    assert 'staff.platform: "console" is only for `supportbot shell`' in problems(on_console, env)
    assert load_config(on_console, env=env, for_shell=True).telegram.enabled

    elsewhere = write(tmp_path, telegram + "staff:\n  platform: slack\n")
    assert "staff.platform: slack is not enabled" in problems(elsewhere, env)

    misspelled = write(tmp_path, telegram + "staff:\n  platform: telegarm\n")
    assert 'unknown platform "telegarm" (did you mean "telegram"?)' in problems(misspelled, env)

    right = write(tmp_path, telegram + "staff:\n  platform: telegram\n  chat_id: '-100'\n")
    assert load_config(right, env=env).staff.platform == "telegram"


def test_polling_needs_no_webhook_secret_and_webhook_mode_does(tmp_path: Path) -> None:
    section = (
        "staff:\n  platform: telegram\n"
        "telegram:\n  enabled: true\n  token: ${TELEGRAM_BOT_TOKEN}\n"
        "  webhook_secret: ${TELEGRAM_WEBHOOK_SECRET}\n  mode: "
    )
    env = {"TELEGRAM_BOT_TOKEN": "1:a"}

    polling = load_config(write(tmp_path, section + "polling\n"), env=env)
    assert polling.telegram.webhook_secret is None

    message = problems(write(tmp_path, section + "webhook\n"), env)
    assert "telegram.webhook_secret: environment variable TELEGRAM_WEBHOOK_SECRET" in message
    assert "telegram.webhook_url: required in webhook mode" in message


def test_slack_needs_the_secret_of_its_mode_only(tmp_path: Path) -> None:
    section = (
        "staff:\n  platform: slack\n"
        "slack:\n  enabled: true\n  bot_token: ${SLACK_BOT_TOKEN}\n"
        "  app_token: ${SLACK_APP_TOKEN}\n  signing_secret: ${SLACK_SIGNING_SECRET}\n  mode: "
    )
    socket = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
    http = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}

    assert load_config(write(tmp_path, section + "socket\n"), env=socket).slack.app_token
    assert load_config(write(tmp_path, section + "http\n"), env=http).slack.signing_secret
    assert "SLACK_APP_TOKEN is not set" in problems(write(tmp_path, section + "socket\n"), http)


def test_paths_are_relative_to_the_config_file_not_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "deploy"
    folder.mkdir()
    path = write(
        folder,
        "faq:\n  path: faq.yaml\n"
        "database:\n  url: sqlite+aiosqlite:///data/bot.db\n"
        "discord:\n  spool_dir: spool\n",
    )
    monkeypatch.chdir(tmp_path)

    config = load_config(path, env={})

    assert config.faq.path == folder.resolve() / "faq.yaml"
    assert config.database.url == f"sqlite+aiosqlite:///{folder.resolve() / 'data' / 'bot.db'}"
    assert config.discord.spool_dir == folder.resolve() / "spool"


def test_absolute_and_server_database_urls_are_kept(tmp_path: Path) -> None:
    absolute = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    server = "postgresql+asyncpg://bot:pw@db.internal:5432/support"
    for url in (absolute, server, "sqlite+aiosqlite:///:memory:"):
        config = load_config(write(tmp_path, f"database:\n  url: '{url}'\n"), env={})
        assert config.database.url == url


def test_hostile_config_files_fail_fast_with_their_line(tmp_path: Path) -> None:
    deep = write(tmp_path, "bot: " + "[" * 200_000 + "]" * 200_000 + "\n", "deep.yaml")
    assert problems(deep).startswith(f"{deep}:1: nested more than 32 levels deep")

    bomb = write(
        tmp_path,
        "a: &a ['${X}','${X}','${X}','${X}','${X}','${X}','${X}','${X}','${X}']\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
        "bomb.yaml",
    )
    started = time.perf_counter()
    message = problems(bomb)
    assert time.perf_counter() - started < 1
    assert message.startswith(f"{bomb}:5: aliases expand to more than 10,000 nodes")

    big = write(tmp_path, "bot:\n  name: x\n" + "# padding\n" * 200_000, "big.yaml")
    assert problems(big).startswith(f"{big}:100001: the file is too large")
