"""`supportbot faq check|try`: validate the FAQ files, and see how questions would match."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.cli import faq_learning
from bot.cli.common import add_config_option, load_or_exit
from bot.faq_settings import match_settings
from bot.text import clean_text
from faq.calibrate import MIN_HELD_OUT, Calibration, Overrides, calibrated
from faq.lint import available_cpus, lint_loaded
from faq.loader import FaqError, load_faq
from faq.matcher import Match, Scored


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "faq",
        help="check the FAQ files or try questions against them",
        description="Validate the FAQ files, and see how questions would match.",
    )
    actions = parser.add_subparsers(dest="faq_command", required=True, metavar="ACTION")

    check = actions.add_parser(
        "check",
        help="report every problem of the FAQ as file:line: message",
        description="Load and lint the FAQ: exit 1 and list the problems, or exit 0 and "
        "print the thresholds in use (calibrated from the FAQ unless the config sets "
        "them) with how they decide the FAQ's own phrasings, each held out in turn.",
    )
    check.add_argument(
        "path", nargs="?", type=Path, help="FAQ file or folder (default: the config's faq.path)"
    )
    cpus = available_cpus()
    check.add_argument(
        "--jobs",
        type=_jobs,
        default=cpus,
        help="processes that lint a large FAQ (default: the CPUs this process may use, "
        f"{cpus} here; 1 lints in this process)",
    )
    add_config_option(check)
    check.set_defaults(run=run_check)

    try_ = actions.add_parser(
        "try",
        help="show how the bot would answer questions",
        description="Match each TEXT (or each line of stdin) against the FAQ with the "
        "thresholds in use (calibrated unless configured): decision, entry, score and "
        "runners-up.",
    )
    try_.add_argument("--faq", type=Path, help="FAQ file or folder (default: the config's)")
    try_.add_argument("--json", action="store_true", help="print one JSON object per question")
    try_.add_argument("text", nargs="*", metavar="TEXT", help="questions (default: stdin lines)")
    add_config_option(try_)
    try_.set_defaults(run=run_try)
    faq_learning.register_actions(actions)


def run_check(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    path: Path = args.path or config.faq.path
    overrides = match_settings(config.faq)
    try:
        faq = load_faq(path, config.bot.default_locale)
    except FaqError as exc:
        problems = exc.problems
    else:
        matcher, calibration = calibrated(faq, overrides)
        problems = lint_loaded(faq, calibration.settings, matcher.index, args.jobs)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"{len(faq.entries)} entries OK")
    print(_thresholds(calibration, overrides))
    return 0


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of processes, 1 or more: {text!r}"
        )
    return jobs


def _thresholds(calibration: Calibration, overrides: Overrides) -> str:
    """The settings in use, which of them the config sets, and the expected shares."""
    settings = calibration.settings

    def shown(name: str, value: float) -> str:
        source = "configured" if getattr(overrides, name) is not None else "calibrated"
        return f"{name} {value:.1f} ({source})"

    lines = [
        "thresholds: "
        + ", ".join(
            shown(name, getattr(settings, name)) for name in ("answer", "suggest", "margin")
        )
    ]
    if calibration.samples >= MIN_HELD_OUT:
        lines.append(
            f"own phrasings, each held out ({calibration.samples}): "
            f"answered {calibration.answered:.0%} (right entry {calibration.right:.0%}), "
            f"suggested {calibration.suggested:.0%}, none {calibration.none:.0%}"
        )
    else:
        lines.append(
            f"own phrasings: {calibration.samples} to hold out, too few to calibrate on;"
            " add questions to the entries (answer and margin keep their defaults)"
        )
    return "\n".join(lines)


def run_try(args: argparse.Namespace) -> int:
    config = load_or_exit(args.config)
    path: Path = args.faq or config.faq.path
    try:
        faq = load_faq(path, config.bot.default_locale)
    except FaqError as exc:
        print(f"supportbot: the FAQ does not load:\n{exc}", file=sys.stderr)
        return 1
    matcher, _calibration = calibrated(faq, match_settings(config.faq))
    settings = matcher.settings
    for text in _questions(args.text or sys.stdin):
        match = matcher.match(text)
        if args.json:
            print(json.dumps(_as_json(text, match), ensure_ascii=False), flush=True)
        else:
            ranked = matcher.rank(text, settings.max_suggestions + 1)
            runners = [s for s in ranked if s.entry is not match.entry]
            print(_as_text(text, match, runners[: settings.max_suggestions]), flush=True)
    return 0


def _questions(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        text = clean_text(line)
        if text:
            yield text


def _as_json(text: str, match: Match) -> dict[str, Any]:
    return {
        "text": text,
        "decision": match.decision,
        "entry": match.entry.id if match.entry else None,
        "score": round(match.score, 1),
        "suggestions": [
            {"entry": s.entry.id, "score": round(s.score, 1)} for s in match.suggestions
        ],
    }


def _as_text(text: str, match: Match, runners: list[Scored]) -> str:
    """A readable block: the question, the decision, and the best other entries."""
    chosen = match.entry.id if match.entry else "(no entry)"
    lines = [
        json.dumps(text, ensure_ascii=False),
        f"  {match.decision}: {chosen} (score {match.score:.1f})",
    ]
    if runners:
        lines.append("  runners-up: " + ", ".join(f"{s.entry.id} {s.score:.1f}" for s in runners))
    return "\n".join(lines)
