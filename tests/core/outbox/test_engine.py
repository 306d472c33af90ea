"""The outbox engine's own parts: the channel registry, the backoff, the sweep over channels (a
channel without an endpoint is left alone). The delivery itself (HTTP, locking, retries) is tested
through the 上报 channel against a real HTTP server in
``tests/crisis/reporting/test_services.py``."""

import datetime

import pytest

from crisis.reporting.services import CASE_REPORT_CHANNEL, CHANNEL
from mhcare.core.outbox import services, tasks
from mhcare.core.outbox.services import Outcome


def test_the_backoff_doubles_from_the_base_and_is_capped():
    waits = [services.retry_delay(n, base=10, cap=100).total_seconds() for n in (0, 1, 2, 3, 4, 5)]
    assert waits == [10, 10, 20, 40, 80, 100]
    # a cap below the base is the base; a huge attempt count does not overflow
    assert services.retry_delay(3, base=30, cap=5) == datetime.timedelta(seconds=30)
    assert services.retry_delay(10**6, base=1, cap=3600) == datetime.timedelta(seconds=3600)


def test_the_channel_reads_its_settings(settings):
    settings.REPORT_RETRY_BASE_SECONDS = 7
    settings.REPORT_RETRY_MAX_SECONDS = 20
    settings.PROVINCIAL_REPORT_URL = "http://platform.example/reports"
    settings.PROVINCIAL_REPORT_TOKEN = "t"
    settings.PROVINCIAL_REPORT_TIMEOUT = 3
    channel = services.channel_get(CHANNEL)
    assert channel is CASE_REPORT_CHANNEL
    assert (channel.url, channel.token, channel.timeout) == (
        "http://platform.example/reports",
        "t",
        3.0,
    )
    delays = [services.channel_retry_delay(channel, n).total_seconds() for n in (1, 2, 3)]
    assert delays == [7, 14, 20]


def test_an_unknown_channel_is_refused(db):
    with pytest.raises(ValueError, match="Unknown outbox channel"):
        services.outbox_deliver("nonsense", row_id=1)
    with pytest.raises(ValueError, match="Unknown outbox channel"):
        services.outbox_due_ids("nonsense")


def test_a_taken_channel_name_is_refused_and_the_same_channel_again_is_a_no_op():
    assert services.register_channel(CASE_REPORT_CHANNEL) is CASE_REPORT_CHANNEL
    other = services.Channel(
        name=CHANNEL,
        pending=CASE_REPORT_CHANNEL.pending,
        key=lambda row: "other",
        body=CASE_REPORT_CHANNEL.body,
        mark_sent=CASE_REPORT_CHANNEL.mark_sent,
        mark_failed=CASE_REPORT_CHANNEL.mark_failed,
        update_fields=(),
        url_setting="PROVINCIAL_REPORT_URL",
    )
    with pytest.raises(ValueError, match="Another outbox channel"):
        services.register_channel(other)
    assert services.channel_get(CHANNEL) is CASE_REPORT_CHANNEL


def test_without_an_endpoint_nothing_is_delivered_or_swept(db, settings):
    settings.PROVINCIAL_REPORT_URL = ""
    assert services.outbox_deliver(CHANNEL, row_id=1) == Outcome.DISABLED
    assert tasks.outbox_sweep_task.delay().get() == 0
