"""Telegram: private chats with customers, a staff group (forum topics or reply chains)."""

from adapters.telegram.adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]
