"""The report as JSON: every figure, durations in seconds, shares 0-1, ISO dates."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

from bot.report.figures import Report


def _plain(value: Any) -> Any:
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def render(report: Report) -> str:
    return json.dumps(_plain(dataclasses.asdict(report)), indent=2, ensure_ascii=False) + "\n"
