"""`python -m bench`: run every section (or `--only` some) and print their tables.

A section is a function from BenchOptions to a Table; add yours to SECTIONS.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import (
    burst_bench,
    engine_bench,
    faq_accuracy,
    faq_check_bench,
    faq_latency,
    faq_semantic,
    handoff_bench,
    lease_bench,
    memory_bench,
)
from bench.clinc import ENV_VAR, data_path
from bench.options import BenchOptions
from bench.table import Table, render

Section = Callable[[BenchOptions], Table]

SECTIONS: dict[str, Section] = {
    "faq_accuracy": faq_accuracy.run,
    "faq_latency": faq_latency.run,
    "faq_check": faq_check_bench.run,
    "faq_semantic": faq_semantic.run,
    "handoff_claims": handoff_bench.run,
    "engine_throughput": engine_bench.run,
    "burst": burst_bench.run,
    "memory": memory_bench.run,
    "outbox_lease": lease_bench.run,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(SECTIONS),
        help="run only this section (repeatable)",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a fast look")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help=f"CLINC150 data_full.json (default: ${ENV_VAR} or ../shared/benchdata/...)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    options = BenchOptions(data=args.data or data_path(), quick=args.quick)
    names = args.only or list(SECTIONS)
    for position, name in enumerate(names):
        if position:
            print()
        print(render(SECTIONS[name](options)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
