"""The matcher's settings as the configuration file spells them."""

from __future__ import annotations

from bot.config import FaqSection
from faq.calibrate import Overrides


def match_settings(section: FaqSection) -> Overrides:
    """The configured thresholds as overrides: the ones left out are calibrated from
    the FAQ whenever it loads (see faq.calibrate.resolve)."""
    thresholds = section.thresholds
    return Overrides(
        answer=thresholds.answer,
        suggest=thresholds.suggest,
        margin=thresholds.margin,
        max_suggestions=section.max_suggestions,
    )
