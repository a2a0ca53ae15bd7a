"""`supportbot faq check` on large FAQs: wall time and peak memory of the real command.

The FAQs are synthetic (bench.clinc.synthetic_faq: CLINC150 phrasings about made-up
products), written as YAML files of 1,000 entries each; the command runs in a child
process, which reports its peak RSS (VmHWM, so Linux only) as it exits.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.clinc import BenchDataMissing, load, synthetic_faq
from bench.options import BenchOptions
from bench.table import Table
from faq.lint import PARALLEL_FROM, available_cpus
from faq.model import Faq

TITLE = "FAQ check (supportbot faq check)"
SIZES = (1_000, 20_000)
QUICK_SIZES = (1_000,)
PER_ENTRY = 3
ENTRIES_PER_FILE = 1_000
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write_faq(faq: Faq, folder: Path) -> None:
    """The FAQ as YAML files of ENTRIES_PER_FILE entries, as an admin would keep it."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, start in enumerate(range(0, len(faq.entries), ENTRIES_PER_FILE)):
        entries = [
            {"id": e.id, "questions": list(e.questions["en"]), "answer": e.answer["en"]}
            for e in faq.entries[start : start + ENTRIES_PER_FILE]
        ]
        text = yaml.dump({"entries": entries}, Dumper=_DUMPER, allow_unicode=True)
        (folder / f"faq-{number:03d}.yaml").write_text(text, encoding="utf-8")


def check(folder: Path) -> tuple[float, float, int, int, int]:
    """Seconds (wall and CPU, its lint workers' included), peak RSS and peak PSS in MB
    (see _WRAPPER) and exit code of `supportbot faq check`.

    The command reports its own peak (VmHWM): the operating system's figure for a
    child would count the bench process it was forked from as well.
    """
    config = folder / "config.yaml"
    config.write_text("faq:\n  path: faq\n", encoding="utf-8")
    command = [sys.executable, "-c", _WRAPPER, "faq", "check", "--config", str(config)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read().decode(errors="replace")
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    # Reaped here, so that the Popen object does not wait for it again.
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    peaks = {
        line.split()[0]: int(line.split()[1]) // 1024
        for line in errors.splitlines()
        if line.startswith(("VmHWM:", "PssPeak:"))
    }
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, peaks.get("VmHWM:", 0), peaks.get("PssPeak:", 0), process.returncode


# `python -m bot.cli ARGS`, then the peak memory on stderr: the process's own peak
# resident set, and the peak of its and its lint workers' proportional set sizes
# (shared pages split among the processes that share them), sampled every 0.2 s.
_WRAPPER = """
import os, runpy, sys, threading, time

def pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            return next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0

def children():
    found = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as listed:
                found.extend(int(pid) for pid in listed.read().split())
        except OSError:
            pass
    return found

peak = 0

def sample():
    global peak
    while True:
        peak = max(peak, pss(os.getpid()) + sum(pss(pid) for pid in children()))
        time.sleep(0.2)

threading.Thread(target=sample, daemon=True).start()
sys.argv = ["supportbot", *sys.argv[1:]]
try:
    runpy.run_module("bot.cli", run_name="__main__")
finally:
    with open("/proc/self/status", encoding="ascii") as status:
        print(*(line for line in status if line.startswith("VmHWM:")), file=sys.stderr)
    print(f"PssPeak: {peak} kB", file=sys.stderr)
"""


def run(options: BenchOptions) -> Table:
    try:
        data = load(options.data)
    except BenchDataMissing as missing:
        return Table(TITLE, (), (), f"skipped: {missing}")
    rows = []
    for size in QUICK_SIZES if options.quick else SIZES:
        with tempfile.TemporaryDirectory(prefix="faq-check-bench-") as folder:
            write_faq(synthetic_faq(data.train, size, PER_ENTRY), Path(folder) / "faq")
            seconds, cpu, peak, pss, code = check(Path(folder))
        verdict = "OK" if code == 0 else "problems" if code == 1 else f"exit {code}"
        rows.append(
            (
                f"{size:,}",
                f"{size * PER_ENTRY:,}",
                f"{seconds:.1f}",
                f"{cpu:.1f}",
                str(peak),
                str(pss),
                verdict,
            )
        )
    header = (
        "entries",
        "questions",
        "seconds",
        "CPU seconds",
        "peak RSS MB",
        "peak PSS MB, workers too",
        "result",
    )
    note = (
        f"{PER_ENTRY} questions per entry, {ENTRIES_PER_FILE:,} entries per file; "
        f"lint workers: the default --jobs ({available_cpus()} CPUs here), forked from "
        f"{PARALLEL_FROM:,} questions up; CPU seconds and PSS count the workers too"
    )
    return Table(TITLE, header, tuple(rows), note)
