"""Telegram: private chats with customers, a staff group (forum topics or reply chains).

python-telegram-bot 22 reports time periods (a 429's `retry_after`) as plain seconds
with a PTBDeprecationWarning unless PTB_TIMEDELTA is set; this adapter reads them as
timedeltas, so it opts in before any of them is built (an explicit setting is kept).
"""

import os

os.environ.setdefault("PTB_TIMEDELTA", "true")

from adapters.telegram.adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]
