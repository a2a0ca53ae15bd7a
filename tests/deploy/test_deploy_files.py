"""The Dockerfile, compose.yaml and the systemd unit: every command they run is a real
`supportbot` command, every file they copy exists; the unit passes `systemd-analyze
verify`, and the image is built and run with PostgreSQL where Docker is usable."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import build_parser
from tests.conftest import REPO

UNIT = REPO / "deploy" / "supportbot@.service"
INSTALLED = "/opt/supportbot/.venv/bin/supportbot"


def _supportbot(argv: list[str]) -> str:
    """The subcommand `argv` (without the program name) runs; fails if it is not one."""
    args = build_parser().parse_args(argv)
    return " ".join(argv[: 2 if args.command == "db" else 1])


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) per instruction, continuation lines joined."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    found = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(parts[0].upper(), parts[1] if len(parts) > 1 else "") for parts in found]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    return data


def _unit() -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, value = line.split("=", 1)
            current.setdefault(key, []).append(value)
    return sections


def test_the_dockerfile_copies_what_exists_and_runs_supportbot() -> None:
    instructions = _dockerfile()
    copied = [args.split()[:-1] for kind, args in instructions if kind == "COPY"]

    assert all((REPO / source).exists() for sources in copied for source in sources)
    [entrypoint] = [json.loads(args) for kind, args in instructions if kind == "ENTRYPOINT"]
    [command] = [json.loads(args) for kind, args in instructions if kind == "CMD"]
    assert entrypoint == ["supportbot"] and _supportbot(command) == "run"
    assert ("USER", "supportbot") in instructions


def test_compose_migrates_postgresql_before_the_bot_starts() -> None:
    services = _compose()["services"]

    assert services["postgres"]["image"].startswith("postgres:")
    assert _supportbot(services["migrate"]["command"]) == "db upgrade"
    assert _supportbot(services["bot"]["command"]) == "run"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["bot"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    url = services["bot"]["environment"]["DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://supportbot:${POSTGRES_PASSWORD}@postgres/")


def test_the_unit_upgrades_then_runs_and_does_not_retry_a_bad_config() -> None:
    service = _unit()["Service"]
    [before] = service["ExecStartPre"]
    [start] = service["ExecStart"]

    assert shlex.split(before)[0] == shlex.split(start)[0] == INSTALLED
    assert _supportbot(shlex.split(before)[1:]) == "db upgrade"
    assert _supportbot(shlex.split(start)[1:]) == "run"
    assert service["RestartPreventExitStatus"] == ["2"]
    assert service["KillSignal"] == ["SIGTERM"]
    assert _unit()["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """Verified as an instance, with the program path pointing at this checkout's."""
    here = str(Path(sys.executable).parent / "supportbot")
    unit = tmp_path / "supportbot@verify.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALLED, here), encoding="utf-8")

    verified = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (verified.returncode, verified.stderr) == (0, "")


def _docker_usable() -> bool:
    if shutil.which("docker") is None:
        return False
    info = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    compose = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, timeout=30, check=False
    )
    return info.returncode == 0 and compose.returncode == 0


@pytest.mark.skipif(not _docker_usable(), reason="needs a running Docker with compose")
def test_the_image_runs_with_postgresql(tmp_path: Path) -> None:
    """Build, migrate PostgreSQL, and ask `doctor` about the database from the bot's
    container (no platform is enabled, so doctor exits 1 after the database's lines)."""
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump({"faq": {"path": "faq"}, "database": {"url": "${DATABASE_URL}"}}),
        encoding="utf-8",
    )
    env = os.environ | {
        "COMPOSE_PROJECT_NAME": f"sbtest{uuid.uuid4().hex[:8]}",
        "POSTGRES_PASSWORD": uuid.uuid4().hex,
        "SUPPORTBOT_CONFIG": str(config),
        "SUPPORTBOT_FAQ": str(REPO / "examples" / "faq"),
    }

    def compose(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", "compose", "-f", str(REPO / "compose.yaml"), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
            check=False,
        )

    try:
        built = compose("build")
        assert built.returncode == 0, built.stderr
        migrated = compose("run", "--rm", "migrate")
        assert migrated.returncode == 0, migrated.stderr
        doctor = compose(
            "run", "--rm", "--no-deps", "bot", "doctor", "--config", "/srv/supportbot/config.yaml"
        )
    finally:
        compose("down", "--volumes", "--remove-orphans")

    assert doctor.returncode == 1
    assert "connected to postgresql+asyncpg://supportbot:***@postgres/supportbot" in doctor.stdout
    assert "the schema is up to date" in doctor.stdout
    assert "no platform is enabled" in doctor.stdout
