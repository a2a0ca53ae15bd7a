"""Telegram cannot tell whether a timed-out send arrived: in doubt, and resent anyway.

The Bot API has no idempotency key and a bot cannot read chat history, so delivery on
Telegram is at least once: a timeout is reported as `maybe_sent`, and the resend goes
out whatever happened to the first attempt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from adapters.telegram import TelegramAdapter
from bot.contract import Address, DeliveryError, Outbound, plain
from tests.adapters.telegram.conftest import CUSTOMER, RecordingCore, staff_section
from tests.adapters.telegram.conftest import telegram_section as section_for
from tests.fakes.telegram_api import ApiCall, FakeTelegramApi

TIMEOUT = 0.3
TO_CUSTOMER = Address("telegram", str(CUSTOMER.id))


@pytest.fixture
async def impatient(fake: FakeTelegramApi, core: RecordingCore) -> AsyncIterator[TelegramAdapter]:
    """An adapter that gives up on a call after TIMEOUT seconds and leaves 429s to the outbox."""
    fake.add_private_chat(CUSTOMER)
    running = TelegramAdapter(
        section_for(fake, request_timeout=TIMEOUT, rate_limit_retries=0), staff_section()
    )
    await running.start(core)
    yield running
    await running.stop()


def _answered(call: ApiCall) -> bool:
    return call.status == 200


async def test_a_timeout_is_in_doubt_and_the_resend_goes_out_regardless(
    fake: FakeTelegramApi, impatient: TelegramAdapter
) -> None:
    out = Outbound(TO_CUSTOMER, plain("Your parcel left today"), key="sb3")
    fake.stall_next("sendMessage", TIMEOUT * 2)

    with pytest.raises(DeliveryError) as failure:
        await impatient.send(out)
    assert failure.value.maybe_sent is True
    assert failure.value.permanent is False

    ref = await impatient.send(replace(out, maybe_sent=True))

    first = await fake.wait_for_call("sendMessage", _answered)
    second = await fake.wait_for_call("sendMessage", _answered)
    assert first.result["text"] == second.result["text"] == "Your parcel left today"
    assert ref.message_id in {str(first.result["message_id"]), str(second.result["message_id"])}


@pytest.mark.parametrize(("status", "permanent"), [(429, False), (500, False), (400, True)])
async def test_an_answered_failure_is_not_in_doubt(
    fake: FakeTelegramApi, impatient: TelegramAdapter, status: int, permanent: bool
) -> None:
    fake.fail_next("sendMessage", status=status)

    with pytest.raises(DeliveryError) as failure:
        await impatient.send(Outbound(TO_CUSTOMER, plain("hello"), key="sb4"))

    assert failure.value.maybe_sent is False
    assert failure.value.permanent is permanent
