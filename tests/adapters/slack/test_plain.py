"""Slack's delivered text -> the words a person typed."""

from __future__ import annotations

import pytest

from adapters.slack.plain import to_plain


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
        ("&amp;lt; stays literal", "&lt; stays literal"),
        ("hi <@U123>", "hi @U123"),
        ("hi <@U123|bob>", "hi @bob"),
        ("see <#C1|general>", "see #general"),
        ("<!here> <!channel> <!subteam^S1|@ops>", "@here @channel @ops"),
        ("<https://example.com>", "https://example.com"),
        ("<https://example.com|example.com>", "example.com"),
        ("<https://evil.example|your bank>", "your bank (https://evil.example)"),
        ("<mailto:a@b.io|a@b.io>", "a@b.io"),
        ("  padded  ", "padded"),
    ],
)
def test_to_plain(slack: str, plain: str) -> None:
    assert to_plain(slack) == plain


def test_mentions_of_the_bot_are_dropped() -> None:
    assert to_plain("<@UBOT> reset password", drop_user="UBOT") == "reset password"
