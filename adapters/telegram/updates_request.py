"""The HTTP request object for getUpdates, tolerant of updates that do not parse.

PTB parses a whole getUpdates batch at once. When one update does not parse, the
batch is neither processed nor confirmed, so polling would fetch the same batch
again at once, forever. Here such an update is logged (its id only) and replaced by
an empty update with the same id: the adapter ignores it and the offset moves on.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger("adapters.telegram")


class TolerantUpdatesRequest(HTTPXRequest):
    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        data: dict[str, Any] = HTTPXRequest.parse_json_payload(payload)
        result = data.get("result")
        if data.get("ok") and isinstance(result, list):
            data["result"] = [kept for item in result if (kept := _parseable(item)) is not None]
        return data


def _parseable(item: object) -> dict[str, Any] | None:
    if not isinstance(item, dict) or not isinstance(item.get("update_id"), int):
        log.warning("dropping an update without an update_id")
        return None
    try:
        Update.de_json(item, None)
    except Exception as exc:
        log.warning("dropping malformed update %d (%s)", item["update_id"], type(exc).__name__)
        return {"update_id": item["update_id"]}
    return item
