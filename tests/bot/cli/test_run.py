"""`supportbot run` refuses to start with a clear message instead of a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture(autouse=True)
def _keep_logging() -> Iterator[None]:
    """`run` installs its JSON log handler on the root logger; put pytest's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_an_enabled_platform_without_its_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, "telegram: {enabled: true}\nstaff: {platform: telegram}\n")
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--config", config])
    assert exit_.value.code == 2
    assert "telegram.token: required" in capsys.readouterr().err


def test_a_missing_faq(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(
        tmp_path,
        f"faq: {{path: {tmp_path / 'nowhere'}}}\n"
        "telegram: {enabled: true, token: '123:abc', api_base_url: 'http://127.0.0.1:1'}\n"
        "staff: {platform: telegram, chat_id: '-100'}\n"
        f"database: {{url: 'sqlite+aiosqlite:///{tmp_path / 'x.db'}'}}\n",
    )
    assert main(["run", "--config", config]) == 1
    err = capsys.readouterr().err
    assert "cannot start" in err and "nowhere: no such file or folder" in err
