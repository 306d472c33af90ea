import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mhcare.audit.models import Action, AuditEvent
from mhcare.orgs.models import EnrolmentStatus
from screening.models import Instrument, ResultSource, ScreeningResult, SelfScreeningCode
from screening.selfscreen import services
from screening.selfscreen.services import CodeRejectedError
from screening.services import result_create
from tests import factories

PHQ9_LOW = [0, 1, 0, 1, 0, 0, 0, 0, 0]


def issue(world, campaign, klass=None, actor="psych_a"):
    return services.selfscreen_codes_issue(
        actor=world.users[actor], campaign=campaign, klass=klass or world.class_a
    )


def test_codes_use_the_unambiguous_alphabet():
    codes = {services.new_code() for _ in range(300)}
    assert len(codes) == 300
    for code in codes:
        assert len(code) == 8
        assert not set(code) & set("0O1IL")
        assert set(code) <= set(services.ALPHABET)


def test_a_code_is_typed_forgivingly_and_hashed_with_a_pepper(settings):
    assert services.normalize_code(" abcd-efgh ") == "ABCDEFGH"
    digest = services.code_hash("ABCD-EFGH")
    assert digest == services.code_hash("abcdefgh")
    assert len(digest) == 64
    settings.SECRET_KEY = "another-server"  # noqa: S105 - test value
    assert services.code_hash("ABCDEFGH") != digest


def test_codes_go_to_students_without_a_result_and_only_hashes_are_stored(
    world, campaign, classmate
):
    # given: 张小明 already has a result in the campaign; a suspended student is not enrolled
    result_create(
        actor=world.users["psych_a"],
        student=world.students["a"],
        instrument=Instrument.objects.get(code="PHQ-9"),
        answers=PHQ9_LOW,
        administered_on=timezone.localdate(),
        campaign=campaign,
    )
    factories.StudentFactory(klass=world.class_a, status=EnrolmentStatus.SUSPENDED)

    # when
    issued = issue(world, campaign)

    # then: one code, for the classmate, stored as a hash only
    assert [item.student for item in issued] == [classmate]
    stored = SelfScreeningCode.objects.get()
    assert stored.student == classmate
    assert stored.code_hash == services.code_hash(issued[0].code)
    assert issued[0].code not in stored.code_hash
    assert stored.expires_on == campaign.window_end
    assert stored.instrument.code == "PHQ-9"
    assert stored.created_by == world.users["psych_a"]
    event = AuditEvent.objects.get(action=Action.EXPORT)
    assert event.actor_username == "psych_a"
    assert event.detail["student_ids"] == [classmate.pk]
    assert event.detail["count"] == 1


def test_regenerating_replaces_unused_codes_and_the_old_ones_stop_working(
    world, campaign, classmate
):
    first = {item.student.pk: item.code for item in issue(world, campaign)}
    used = services.selfscreen_code_check(code=first[classmate.pk])
    services.selfscreen_submit(code_id=used.pk, answers=PHQ9_LOW)

    second = {item.student.pk: item.code for item in issue(world, campaign)}

    # the classmate answered: no new code for her; 张小明 gets a new one, the old one is dead
    assert set(second) == {world.students["a"].pk}
    with pytest.raises(CodeRejectedError) as rejected:
        services.selfscreen_code_check(code=first[world.students["a"].pk])
    assert rejected.value.reason == CodeRejectedError.INVALID
    assert services.selfscreen_code_check(code=second[world.students["a"].pk])
    assert SelfScreeningCode.objects.count() == 2  # the used one is kept
    assert AuditEvent.objects.filter(action=Action.EXPORT).count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"allow_self_screening": False}, services.SELF_SCREENING_OFF),
        (
            {"window_end": datetime.date(2026, 1, 1), "window_start": datetime.date(2025, 12, 1)},
            services.CAMPAIGN_CLOSED,
        ),
        ({"target_grades": [4, 5, 6]}, services.GRADE_NOT_TARGETED),
    ],
)
def test_codes_are_refused_for_a_campaign_that_does_not_allow_them(
    world, campaign, change, message
):
    for field, value in change.items():
        setattr(campaign, field, value)
    campaign.save()
    with pytest.raises(ValidationError) as error:
        issue(world, campaign)
    assert str(message) in str(error.value)
    assert not SelfScreeningCode.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_a_class_outside_the_campaign_gets_no_codes(world, campaign):
    with pytest.raises(ValidationError) as error:
        issue(world, campaign, klass=world.class_b, actor="psych_b")
    assert str(services.CLASS_NOT_IN_CAMPAIGN) in str(error.value)


@pytest.mark.parametrize("who", ["homeroom_a", "leader_a", "center_a", "psych_b"])
def test_only_the_schools_psych_teacher_issues_codes(world, campaign, who):
    with pytest.raises(PermissionDenied):
        issue(world, campaign, actor=who)
    assert not SelfScreeningCode.objects.exists()


def test_submitting_stores_a_self_result_and_uses_the_code(world, campaign):
    [item] = issue(world, campaign)
    code = services.selfscreen_code_check(code=item.display.lower())

    result = services.selfscreen_submit(code_id=code.pk, answers=[2, 2, 2, 2, 2, 2, 2, 2, 1])

    result.refresh_from_db()
    assert (result.source, result.total, result.is_critical) == (ResultSource.SELF, 17, True)
    assert result.campaign == campaign
    assert result.entered_by == world.users["psych_a"]
    assert result.proposals.get().level == "2"
    code.refresh_from_db()
    assert code.used_at is not None
    event = AuditEvent.objects.get(object_type="screening.selfscreeningcode")
    assert event.detail["self_administered"] is True
    assert event.detail["code_id"] == code.pk
    assert event.detail["result_id"] == result.pk
    assert event.student_id == world.students["a"].pk

    with pytest.raises(CodeRejectedError) as rejected:
        services.selfscreen_submit(code_id=code.pk, answers=[0] * 9)
    assert rejected.value.reason == CodeRejectedError.USED
    assert ScreeningResult.objects.get().total == 17


def test_a_code_expires_with_the_campaign(world, campaign):
    [item] = issue(world, campaign)
    after = campaign.window_end + datetime.timedelta(days=1)
    with pytest.raises(CodeRejectedError) as rejected:
        services.selfscreen_code_check(code=item.code, today=after)
    assert rejected.value.reason == CodeRejectedError.EXPIRED
    code = SelfScreeningCode.objects.get()
    with pytest.raises(CodeRejectedError):
        services.selfscreen_submit(code_id=code.pk, answers=PHQ9_LOW, today=after)
    assert not ScreeningResult.objects.exists()


def test_a_code_whose_student_was_entered_by_the_teacher_counts_as_used(world, campaign):
    [item] = issue(world, campaign)
    result_create(
        actor=world.users["psych_a"],
        student=world.students["a"],
        instrument=Instrument.objects.get(code="PHQ-9"),
        answers=PHQ9_LOW,
        administered_on=timezone.localdate(),
        campaign=campaign,
    )
    with pytest.raises(CodeRejectedError) as rejected:
        services.selfscreen_code_check(code=item.code)
    assert rejected.value.reason == CodeRejectedError.USED


def test_a_code_of_a_teacher_who_left_cannot_be_used(world, campaign):
    [item] = issue(world, campaign)
    world.users["psych_a"].assignments.update(is_active=False)
    code = services.selfscreen_code_check(code=item.code)
    with pytest.raises(CodeRejectedError) as rejected:
        services.selfscreen_submit(code_id=code.pk, answers=PHQ9_LOW)
    assert rejected.value.reason == CodeRejectedError.UNAVAILABLE
    assert not ScreeningResult.objects.exists()
    code.refresh_from_db()
    assert code.used_at is None
