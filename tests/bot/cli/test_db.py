"""`supportbot db upgrade`: in-process through bot.cli.main, and as the installed command."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.cli import main
from handoff.storage import make_engine

SUPPORTBOT = Path(sys.executable).parent / "supportbot"


def write_config(folder: Path, url: str) -> Path:
    path = folder / "supportbot.yaml"
    path.write_text(f"database:\n  url: {url}\n", encoding="utf-8")
    return path


def table_names(url: str) -> set[str]:
    def names(connection: Connection) -> set[str]:
        return set(inspect(connection).get_table_names())

    async def read() -> set[str]:
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(names)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_db_upgrade_creates_the_schema_and_can_run_again(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, database_url)

    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert main(["db", "upgrade", "--config", str(config)]) == 0

    first, again = capsys.readouterr().out.splitlines()
    created = re.fullmatch(r".+: created the schema \(revision (\w+)\)", first)
    assert created is not None
    assert again.endswith(f": the schema is up to date (revision {created.group(1)})")
    assert {"tickets", "outbox", "conversations", "alembic_version"} <= table_names(database_url)


def test_db_upgrade_reports_an_unreachable_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, "postgresql+asyncpg://bot:hunter2@127.0.0.1:1/support")

    assert main(["db", "upgrade", "--config", str(config)]) == 1

    err = capsys.readouterr().err
    assert err.startswith(
        "supportbot: database postgresql+asyncpg://bot:***@127.0.0.1:1/support: cannot connect"
    )
    assert "hunter2" not in err


def test_db_upgrade_reports_a_url_without_an_async_driver(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'bot.db'}")

    assert main(["db", "upgrade", "--config", str(config)]) == 1

    err = capsys.readouterr().err
    assert "unusable URL" in err and "sqlite+aiosqlite:///FILE" in err


def test_db_upgrade_names_the_bad_key_in_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "supportbot.yaml"
    config.write_text("database:\n  uri: sqlite+aiosqlite:///x.db\n", encoding="utf-8")

    with pytest.raises(SystemExit) as exit_:
        main(["db", "upgrade", "--config", str(config)])

    assert exit_.value.code == 2
    assert "database.uri" in capsys.readouterr().err


def installed_db_upgrade(config: Path) -> subprocess.CompletedProcess[str]:
    """`supportbot db upgrade` run as the installed command, in a process of its own."""
    return subprocess.run(
        [str(SUPPORTBOT), "db", "upgrade", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_installed_command_upgrades_a_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.db"
    database.parent.mkdir()
    url = f"sqlite+aiosqlite:///{database}"
    config = write_config(tmp_path, url)

    done = installed_db_upgrade(config)

    assert (done.returncode, done.stderr) == (0, "")
    assert re.fullmatch(
        rf"sqlite\+aiosqlite:///{re.escape(str(database))}: created the schema \(revision \w+\)\n",
        done.stdout,
    )
    assert "tickets" in table_names(url)


def test_the_installed_command_fails_with_one_line_not_a_traceback(tmp_path: Path) -> None:
    config = write_config(tmp_path, "postgresql+asyncpg://bot:hunter2@127.0.0.1:1/support")

    done = installed_db_upgrade(config)

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(
        "supportbot: database postgresql+asyncpg://bot:***@127.0.0.1:1/support: cannot connect: "
    )
    assert done.stderr.count("\n") == 1
    assert "hunter2" not in done.stderr
