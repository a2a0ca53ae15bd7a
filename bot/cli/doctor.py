"""`supportbot doctor`: ask each enabled platform and the database whether the bot can
work as configured, and say what is wrong and how to fix it.

The platforms' checks live with their adapters (`adapters/<platform>/doctor.py`,
found through adapters/registry.py); the database check is here: can it be reached,
is its schema at the newest migration. Exit status 1 when anything is a problem
(warnings alone: 0), 2 when the configuration itself does not load.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError

from adapters.registry import Finding, Severity, enabled_checkups, ok, problem
from bot import logs
from bot.cli.common import add_config_option, load_or_exit
from bot.config import Config
from handoff.storage import MIGRATIONS, StorageError, make_engine

DATABASE = "database"
UPGRADE_FIX = "run `supportbot db upgrade` (with the same --config)"
_LABELS = {Severity.OK: "ok", Severity.WARNING: "WARNING", Severity.PROBLEM: "PROBLEM"}


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "doctor", help="check the platforms and the database with the real configuration"
    )
    add_config_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    logs.use_secrets(config.secrets())
    findings = asyncio.run(diagnose(config))
    print(report(args.config, findings))
    return 1 if any(f.severity == Severity.PROBLEM for f in findings) else 0


async def diagnose(config: Config) -> list[Finding]:
    """Every finding: the database's first, then each enabled platform's, in order."""
    checkups = enabled_checkups(config)
    if not checkups:
        nothing = problem(
            "platforms",
            "no platform is enabled (slack, discord or telegram: enabled: true)",
            "enable the platforms you use; docs/telegram.md, docs/slack.md and "
            "docs/discord.md say how to set each one up",
        )
        return [*await check_database(config.database.url), nothing]
    results = await asyncio.gather(
        check_database(config.database.url),
        *(checkup.run() for checkup in checkups),
        return_exceptions=True,
    )
    areas = [DATABASE, *(checkup.platform for checkup in checkups)]
    found: list[Finding] = []
    for area, result in zip(areas, results, strict=True):
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result
            failed = f"the check itself failed ({type(result).__name__}: {result})"
            found.append(problem(area, failed, "please report this, with the output above"))
        else:
            found += result
    return found


async def check_database(url: str) -> list[Finding]:
    """Can the database be reached, and is its schema at the newest migration?"""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
        database = make_url(url).database
    except ArgumentError:
        return [problem(DATABASE, "database.url is not a URL", _URL_FIX)]
    missing = _missing_sqlite_file(url, database)
    if missing is not None:
        return [problem(DATABASE, f"no database file at {missing}", UPGRADE_FIX)]
    try:
        engine = make_engine(url)
    except StorageError as exc:
        return [problem(DATABASE, str(exc), _URL_FIX)]
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(_current_revision)
    except Exception as exc:  # each driver has its own: OSError, asyncpg's, sqlite3's
        cause = getattr(exc, "orig", None) or exc
        return [
            problem(
                DATABASE,
                f"cannot connect to {shown} ({type(cause).__name__}: {cause})",
                "check that the server runs and accepts this user, and database.url",
            )
        ]
    finally:
        await engine.dispose()
    return [ok(DATABASE, f"connected to {shown}"), _schema(current)]


_URL_FIX = (
    "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST/DATABASE "
    "(docs/deployment.md)"
)


def _missing_sqlite_file(url: str, database: str | None) -> Path | None:
    """The SQLite file the URL names, when it does not exist (connecting would create
    an empty one, which is not what a check should do)."""
    if not url.startswith("sqlite") or not database or database == ":memory:":
        return None
    path = Path(database)
    return None if path.exists() else path.resolve()


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _schema(current: str | None) -> Finding:
    scripts = ScriptDirectory(str(MIGRATIONS))
    head = scripts.get_current_head()
    if current == head:
        return ok(DATABASE, f"the schema is up to date ({head})")
    if current is None:
        return problem(DATABASE, "the database has no schema yet", UPGRADE_FIX)
    known = {script.revision for script in scripts.walk_revisions()}
    if current not in known:
        return problem(
            DATABASE,
            f"the schema ({current}) is newer than this supportbot knows (newest: {head})",
            "run the supportbot version that migrated it, or a newer one",
        )
    return problem(DATABASE, f"the schema is at {current}, the newest is {head}", UPGRADE_FIX)


def report(config_path: Path, findings: Sequence[Finding]) -> str:
    """The findings grouped by area, each problem and warning with its fix; scrubbed."""
    lines = [f"supportbot doctor ({config_path})"]
    area = ""
    for finding in findings:
        if finding.area != area:
            area = finding.area
            lines += ["", area]
        lines.append(f"  {_LABELS[finding.severity]:<8} {finding.what}")
        if finding.fix:
            lines.append(f"  {'':<8} fix: {finding.fix}")
    problems = sum(f.severity == Severity.PROBLEM for f in findings)
    warnings = sum(f.severity == Severity.WARNING for f in findings)
    lines.append("")
    if problems:
        lines.append(f"{problems} problem(s), {warnings} warning(s): fix them and run doctor again")
    else:
        lines.append(f"no problems ({warnings} warning(s))")
    return logs.scrub("\n".join(lines))
