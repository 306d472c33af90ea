import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mhcare.audit.models import Action, AuditEvent
from mhcare.core.risk import RiskLevel
from screening.models import Instrument, ProposalStatus, RiskProposal, ScreeningResult
from screening.services import result_create


@pytest.fixture
def phq9(db):
    return Instrument.objects.latest_of("PHQ-9")


def enter(world, user_key, student_key, answers, phq9, **kwargs):
    return result_create(
        actor=world.users[user_key],
        student=world.students[student_key],
        instrument=phq9,
        answers=answers,
        administered_on=kwargs.get("administered_on", timezone.localdate()),
    )


def test_item_9_positive_proposes_level_2_and_is_audited(world, phq9):
    # when
    result = enter(world, "psych_a", "a", [0, 0, 0, 0, 0, 0, 0, 0, 1], phq9)
    # then
    result.refresh_from_db()
    student = world.students["a"]
    assert (result.total, result.band, result.is_critical) == (1, "minimal", True)
    assert result.school_id == student.school_id
    assert result.county_id == student.county_id
    assert result.entered_by == world.users["psych_a"]
    proposal = RiskProposal.objects.get(source_result=result)
    assert proposal.level == RiskLevel.LEVEL_2
    assert proposal.reasons == ["phq9_item9"]
    assert proposal.status == ProposalStatus.PENDING
    assert (proposal.school_id, proposal.county_id) == (student.school_id, student.county_id)
    event = AuditEvent.objects.get(action=Action.CREATE, object_id=str(result.pk))
    assert event.student_id == student.pk
    assert event.actor_username == "psych_a"
    assert event.detail["proposal"]["level"] == "2"


def test_a_low_score_proposes_nothing(world, phq9):
    result = enter(world, "psych_a", "a", [1, 1, 1, 1, 1, 1, 1, 2, 0], phq9)
    assert result.total == 9
    assert not RiskProposal.objects.exists()


def test_moderate_score_proposes_level_3(world, phq9):
    enter(world, "center_a", "a2", [2, 2, 2, 2, 1, 1, 0, 0, 0], phq9)
    assert RiskProposal.objects.get().level == RiskLevel.LEVEL_3


@pytest.mark.parametrize(
    ("user_key", "student_key"),
    [
        ("homeroom_a", "a"),  # wrong role, own class
        ("leader_a", "a"),  # wrong role, own school
        ("official_a", "a"),
        ("psych_b", "a"),  # another county
        ("psych_a", "a2"),  # another school
        ("center_b", "a"),  # another county's center
    ],
)
def test_only_psych_teachers_and_county_center_in_scope_enter_results(
    world, phq9, user_key, student_key
):
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        enter(world, user_key, student_key, [3] * 9, phq9)
    assert not ScreeningResult.objects.exists()
    assert not RiskProposal.objects.exists()
    assert AuditEvent.objects.count() == before


def test_invalid_answers_store_nothing(world, phq9):
    with pytest.raises(ValidationError):
        enter(world, "psych_a", "a", [0] * 8 + [7], phq9)
    assert not ScreeningResult.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.CREATE).exists()


def test_a_future_date_is_refused(world, phq9):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as info:
        enter(world, "psych_a", "a", [0] * 9, phq9, administered_on=tomorrow)
    assert "administered_on" in info.value.error_dict
    assert not ScreeningResult.objects.exists()
