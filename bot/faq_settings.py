"""The matcher's settings as the configuration file spells them."""

from __future__ import annotations

from bot.config import FaqSection
from faq.matcher import MatchSettings


def match_settings(section: FaqSection) -> MatchSettings:
    thresholds = section.thresholds
    return MatchSettings(
        answer=thresholds.answer,
        suggest=thresholds.suggest,
        margin=thresholds.margin,
        max_suggestions=section.max_suggestions,
    )
