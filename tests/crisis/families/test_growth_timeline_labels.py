"""The growth file's timeline titles: the choice labels (case event kind, level, follow-up way,
proposal level and status, family contact way) in the reader's language, and each event's time in
the local time zone. The providers build these labels once per page rather than per event
(``mhcare.core.fields.choice_labels``), so a label that fell back to its stored value ("phone",
"2") or stayed in English on a Chinese page would show here."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crisis import services as crisis_services
from crisis.families import services as family_services
from crisis.models import CaseEvent
from mhcare.core import registry
from mhcare.core.fields import choice_labels
from screening.models import Instrument, RiskProposal
from screening.services import result_create

ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # proposes level 2


@pytest.fixture
def history(world, semester):
    student = world.students["a"]
    psych = world.users["psych_a"]
    instrument = Instrument.objects.latest_of("PHQ-9")
    assert instrument is not None
    result_create(
        actor=psych,
        student=student,
        instrument=instrument,
        answers=ITEM9,
        administered_on=timezone.localdate(),
    )
    case = crisis_services.evaluation_confirm(
        actor=psych, student=student, level="2", reason="面谈确认有消极想法"
    ).case
    assert case is not None
    crisis_services.follow_up_record(
        actor=psych,
        case=case,
        done_on=timezone.localdate(),
        way="phone",
        state_observed="情绪平稳",
    )
    family_services.family_contact_log(
        actor=world.users["homeroom_a"],
        student=student,
        contacted_on=timezone.localdate(),
        way="visit",
        with_whom="母亲",
    )
    return student


def _page(client, world, student, language):
    client.force_login(world.users["psych_a"])
    response = client.get(
        reverse("orgs:student_detail", args=[student.pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "zh-hans",
            [
                "个案：开案 — 二级（橙）",
                "{today} 回访（电话）",
                "预警二级（橙） — 已确认",
                "家校联系：家访，联系对象：母亲",
            ],
        ),
        (
            "en",
            [
                "Case: Opened — Level 2 (orange)",
                "Follow-up (Phone) on {today}",
                "Proposed Level 2 (orange) — Confirmed",
                "Family contact: Home visit with 母亲",
            ],
        ),
    ],
)
def test_the_timeline_titles_carry_the_labels_in_the_readers_language(
    client, world, history, language, expected
):
    body = _page(client, world, history, language)

    today = timezone.localdate().isoformat()
    for title in expected:
        assert title.format(today=today) in body


def test_an_event_is_shown_at_its_local_time(client, world):
    # 01:30 UTC is 09:30 in Asia/Shanghai (TIME_ZONE), the next day for 23:30 UTC.
    def timeline(actor, student):
        return [
            registry.TimelineEvent(
                at=datetime.datetime(2026, 10, 1, 1, 30, tzinfo=datetime.UTC),
                kind="test",
                title="Morning event",
            ),
            registry.TimelineEvent(
                at=datetime.datetime(2026, 10, 1, 23, 30, tzinfo=datetime.UTC),
                kind="test",
                title="Night event",
            ),
        ]

    registry.register_timeline(timeline)
    try:
        body = _page(client, world, world.students["a"], "en")
    finally:
        registry._timeline.remove(timeline)
    assert '<span class="muted">2026-10-01 09:30</span>' in body
    assert '<span class="muted">2026-10-02 07:30</span>' in body


def test_choice_labels_are_what_get_display_returns(world, history):
    """The helper against Django's own ``get_FOO_display`` for every stored value, and the
    stored value itself where it is not a choice (as Django does)."""
    for event in CaseEvent.objects.all():
        kinds = choice_labels(CaseEvent, "kind")
        levels = choice_labels(CaseEvent, "to_level")
        assert kinds.get(event.kind, event.kind) == event.get_kind_display()
        assert levels.get(event.to_level, event.to_level) == event.get_to_level_display()
    proposal = RiskProposal.objects.get()
    assert choice_labels(RiskProposal, "status")[proposal.status] == proposal.get_status_display()
    assert choice_labels(RiskProposal, "level").get("9", "9") == "9"
