"""What every bench section is given: where the data is and whether to run small."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BenchOptions:
    """`quick` asks for smaller sizes (the smoke test and a fast look); `data` is the
    CLINC150 data_full.json file."""

    data: Path
    quick: bool = False
