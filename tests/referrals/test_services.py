"""Referral services: the whole transition table (every allowed step and every forbidden one),
the consent gate and the leader's override, the institution's shares (opened on sending, taken
back on closing or withdrawing, the student opened as the referral kind only), the case status,
the growth-file timeline, notifications, and the database refusing bad states written around the
services."""

from __future__ import annotations

import datetime
from itertools import product

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis.models import Case, CaseStatus
from mhcare.accounts import scope
from mhcare.accounts.models import Role
from mhcare.accounts.scope import RecordKind
from mhcare.audit.models import AuditEvent
from mhcare.core import registry
from mhcare.core.risk import cadence_days
from mhcare.notifications.models import Notification
from mhcare.orgs.models import Student
from referrals import services
from referrals.models import Referral, ReferralEvent, ReferralState
from tests import factories
from tests.crisis.reporting.helpers import make_case
from tests.referrals.conftest import bring_to, do

S = ReferralState
ALLOWED = services.allowed_pairs()
ACTIONS = sorted(services.TRANSITIONS)
PAIRS = sorted(product([s.value for s in S], ACTIONS))


def fresh(user):
    """The same user without cached grants and shares (as on the next request)."""
    return type(user).objects.get(pk=user.pk)


def _perform(world, referral, action):
    """Do ``action`` as the side the table names, with what it needs (an override before sending
    a draft, a certificate when the institution has not cleared, a plan before closing)."""
    if action == "send" and referral.state == S.DRAFT:
        referral = services.referral_override_consent(
            actor=world.users["leader_a"], referral=referral, reason="家长联系不上，学生有自伤计划"
        )
    if action == "return" and not referral.return_cleared:
        return services.referral_return(
            actor=world.users["psych_a"], referral=referral, certificate_note="市七医院诊断证明"
        )
    if action == "close" and referral.state == S.RETURNED:
        referral = do(world, referral, "school", "plan")
    side = "inst" if services.TRANSITIONS[action].side == services.INSTITUTION else "school"
    return do(world, referral, side, action)


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p in ALLOWED])
def test_every_allowed_transition(world, inst, state, action):
    referral = bring_to(world, state)
    moved = _perform(world, referral, action)
    moved.refresh_from_db()
    assert moved.state == services.TRANSITIONS[action].target
    last = ReferralEvent.objects.filter(referral=moved).order_by("-id").first()
    assert (last.action, last.from_state, last.to_state) == (action, state, moved.state)
    assert AuditEvent.objects.filter(
        object_type="referrals.referral", object_id=str(moved.pk), detail__action=action
    ).exists()


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p not in ALLOWED])
def test_every_forbidden_transition_is_refused_and_changes_nothing(world, inst, state, action):
    referral = bring_to(world, state)
    events = ReferralEvent.objects.filter(referral=referral).count()
    side = "inst" if services.TRANSITIONS[action].side == services.INSTITUTION else "school"
    with pytest.raises((ValidationError, PermissionDenied)) as caught, transaction.atomic():
        do(world, referral, side, action)
    referral.refresh_from_db()
    assert referral.state == state
    assert ReferralEvent.objects.filter(referral=referral).count() == events
    if isinstance(caught.value, ValidationError) and state in services.NON_FINAL:
        assert caught.value.code == "state"


def test_the_table_covers_the_path_and_withdraws_from_every_open_state():
    assert ("draft", "withdraw") in ALLOWED
    assert ("returned", "withdraw") in ALLOWED
    assert ("closed", "withdraw") not in ALLOWED
    assert ("withdrawn", "withdraw") not in ALLOWED
    assert ("sent", "return") not in ALLOWED  # never back to school before treatment / feedback
    assert ("accepted", "return") not in ALLOWED


def test_the_wrong_side_cannot_take_a_step(world, inst):
    sent = bring_to(world, S.SENT)
    with pytest.raises(PermissionDenied):
        services.referral_transition(actor=world.users["psych_a"], referral=sent, action="accept")
    with pytest.raises(PermissionDenied):
        services.referral_transition(
            actor=world.users["staff_h"], referral=sent, action="withdraw", reason="x"
        )
    with pytest.raises(PermissionDenied):  # the other institution never sees it
        services.referral_transition(actor=world.users["staff_k"], referral=sent, action="accept")


def test_school_staff_never_write_a_diagnosis(world, inst):
    accepted = bring_to(world, S.ACCEPTED)
    with pytest.raises(PermissionDenied):
        services.referral_feedback(
            actor=world.users["psych_a"], referral=accepted, assessment_summary="x", diagnosis="y"
        )
    with pytest.raises(TypeError):
        services.referral_create(  # no diagnosis parameter at all
            actor=world.users["psych_a"],
            student=world.students["a"],
            institution=world.inst_h,
            reason="r",
            urgency="routine",
            diagnosis="抑郁症",
        )


# --- consent gate ---


def test_a_draft_cannot_be_sent_without_consent_or_override(world, inst):
    draft = bring_to(world, S.DRAFT)
    with pytest.raises(ValidationError) as caught:
        services.referral_transition(actor=world.users["psych_a"], referral=draft, action="send")
    assert caught.value.messages == [str(services.CONSENT_REQUIRED)]
    draft.refresh_from_db()
    assert draft.state == S.DRAFT
    assert draft.sent_at is None


def test_consent_records_who_how_when_and_the_scan(world, inst):
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft = bring_to(world, S.DRAFT)
    scan = SimpleUploadedFile("同意书.pdf", b"%PDF-1.4 demo", content_type="application/pdf")
    at = timezone.now() - datetime.timedelta(minutes=5)
    done = services.referral_record_consent(
        actor=world.users["psych_a"],
        referral=draft,
        guardian="张父",
        way="in_person",
        at=at,
        scan=scan,
    )
    done.refresh_from_db()
    assert done.state == S.GUARDIAN_INFORMED
    assert (done.consent_guardian, done.consent_way, done.consent_at) == ("张父", "in_person", at)
    assert done.consent_recorded_by == world.users["psych_a"]
    assert done.consent_scan_type == "application/pdf"


def test_a_scan_that_is_not_a_pdf_or_image_is_refused(world, inst):
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft = bring_to(world, S.DRAFT)
    scan = SimpleUploadedFile("x.pdf", b"MZ\x90\x00", content_type="application/pdf")
    with pytest.raises(ValidationError) as caught:
        services.referral_record_consent(
            actor=world.users["psych_a"], referral=draft, guardian="张父", way="phone", scan=scan
        )
    assert caught.value.message_dict == {"scan": [str(services.SCAN_TYPE)]}
    draft.refresh_from_db()
    assert draft.state == S.DRAFT


@pytest.mark.parametrize("who", ["psych_a", "center_a", "homeroom_a", "staff_h", "official_a"])
def test_only_a_school_leader_overrides_the_consent(world, inst, who):
    draft = bring_to(world, S.DRAFT)
    with pytest.raises(PermissionDenied):
        services.referral_override_consent(actor=world.users[who], referral=draft, reason="急")
    draft.refresh_from_db()
    assert draft.override_at is None


def test_a_leader_of_another_school_cannot_override(world, inst):
    leader_b = factories.user_with_role(Role.SCHOOL_LEADER, world.school_b, username="leader_b")
    draft = bring_to(world, S.DRAFT)
    with pytest.raises(PermissionDenied):
        services.referral_override_consent(actor=leader_b, referral=draft, reason="急")


def test_the_leader_override_opens_the_gate_is_audited_and_needs_a_reason(world, inst):
    draft = bring_to(world, S.DRAFT)
    leader = world.users["leader_a"]
    with pytest.raises(ValidationError):
        services.referral_override_consent(actor=leader, referral=draft, reason="  ")
    services.referral_override_consent(actor=leader, referral=draft, reason="家长失联，学生有计划")
    sent = services.referral_transition(actor=world.users["psych_a"], referral=draft, action="send")
    assert sent.state == S.SENT
    assert sent.consent_at is None
    assert sent.override_by == leader
    assert AuditEvent.objects.filter(
        actor=leader, object_id=str(draft.pk), detail__action="override"
    ).exists()
    assert Notification.objects.filter(recipient=world.users["psych_a"], kind="referral").exists()


# --- sharing with the institution ---


def test_sending_shares_the_referral_and_the_student_only_as_the_referral(world, inst):
    student = world.students["a"]
    case = make_case(student)
    draft = bring_to(world, S.GUARDIAN_INFORMED, case=case)
    staff = fresh(world.users["staff_h"])
    assert not scope.scoped(staff, Referral).exists()  # nothing before sending
    services.referral_transition(actor=world.users["psych_a"], referral=draft, action="send")
    staff = fresh(staff)
    assert list(scope.scoped(staff, Referral)) == [draft]
    assert list(scope.scoped(staff, Student, kind=RecordKind.REFERRAL)) == [student]
    # not as a student, her scores, cases, notes, flags: nothing else of her, nor anyone else
    for kind in (
        RecordKind.STUDENT,
        RecordKind.SCORE,
        RecordKind.CASE,
        RecordKind.NOTE,
        RecordKind.FLAG,
        RecordKind.FAMILY,
    ):
        assert not scope.scoped(staff, Student, kind=kind).exists(), kind
    assert not scope.scoped(staff, Case, kind=RecordKind.CASE).exists()
    other = fresh(world.users["staff_k"])
    assert not scope.scoped(other, Referral).exists()
    assert not scope.scoped(other, Student, kind=RecordKind.REFERRAL).exists()
    assert Notification.objects.filter(recipient=staff, kind="referral").exists()


@pytest.mark.parametrize("end", ["close", "withdraw"])
def test_closing_or_withdrawing_takes_the_shares_back(world, inst, end):
    referral = bring_to(world, S.RETURNED if end == "close" else S.IN_TREATMENT)
    if end == "close":
        referral = do(world, referral, "school", "plan")
    do(world, referral, "school", end)
    staff = fresh(world.users["staff_h"])
    assert not scope.scoped(staff, Referral).exists()
    assert not scope.scoped(staff, Student, kind=RecordKind.REFERRAL).exists()


def test_the_student_stays_shared_while_another_referral_of_hers_is(world, inst):
    declined = bring_to(world, S.DECLINED)
    second = bring_to(world, S.SENT)  # a declined referral is no longer "in progress"
    do(world, declined, "school", "close")
    staff = fresh(world.users["staff_h"])
    assert list(scope.scoped(staff, Referral)) == [second]
    assert scope.scoped(staff, Student, kind=RecordKind.REFERRAL).exists()


# --- case, return, timeline ---


def test_sending_marks_the_case_referred_and_the_return_resumes_follow_ups(world, inst):
    case = make_case(world.students["a"], level="2")
    referral = bring_to(world, S.FEEDBACK_RECEIVED, case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED
    services.referral_return(actor=world.users["psych_a"], referral=referral)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.next_follow_up_due == timezone.localdate() + datetime.timedelta(
        days=cadence_days("2")
    )


def test_the_return_needs_clearance_or_a_certificate(world, inst):
    referral = bring_to(world, S.IN_TREATMENT)
    with pytest.raises(ValidationError) as caught:
        services.referral_return(actor=world.users["psych_a"], referral=referral)
    assert caught.value.message_dict == {"certificate_note": [str(services.CLEARANCE_REQUIRED)]}
    back = services.referral_return(
        actor=world.users["psych_a"], referral=referral, certificate_note="医院诊断证明 2026-12-01"
    )
    assert back.state == S.RETURNED
    assert back.certificate_at is not None


def test_closing_after_the_return_needs_the_plan(world, inst):
    referral = bring_to(world, S.RETURNED)
    with pytest.raises(ValidationError) as caught:
        services.referral_transition(
            actor=world.users["psych_a"], referral=referral, action="close"
        )
    assert caught.value.messages == [str(services.PLAN_REQUIRED)]


def test_feedback_reaches_the_growth_file_timeline(world, inst):
    referral = bring_to(world, S.FEEDBACK_RECEIVED)
    events = registry.timeline_for(world.users["psych_a"], world.students["a"])
    feedback = [e for e in events if e.kind == "referral" and "Feedback" in e.title]
    assert len(feedback) == 1
    assert feedback[0].detail == "评估摘要：适应困难"
    assert feedback[0].url.endswith(f"/referrals/{referral.pk}/")
    # a homeroom teacher sees no referral on the student's timeline
    assert not [
        e
        for e in registry.timeline_for(world.users["homeroom_a"], world.students["a"])
        if e.kind == "referral"
    ]


def test_one_referral_in_progress_per_student(world, inst):
    bring_to(world, S.SENT)
    with pytest.raises(ValidationError) as caught:
        bring_to(world, S.DRAFT)
    assert caught.value.message_dict == {"student": [str(services.ANOTHER_ACTIVE)]}


# --- the database refuses bad states written around the services ---


@pytest.mark.parametrize(
    ("start", "values"),
    [
        (S.DRAFT, {"state": S.GUARDIAN_INFORMED}),  # no consent
        (S.DRAFT, {"state": S.SENT, "sent_at": timezone.now()}),  # no consent, no override
        (S.GUARDIAN_INFORMED, {"state": S.SENT}),  # no sending time
        (S.DRAFT, {"override_at": timezone.now()}),  # an override without its leader
        (S.SENT, {"state": S.ACCEPTED}),  # no acceptance time
        (S.SENT, {"state": S.DECLINED}),
        (S.ACCEPTED, {"declined_at": timezone.now()}),  # accepted and declined
        (S.ACCEPTED, {"state": S.IN_TREATMENT}),
        (S.ACCEPTED, {"state": S.FEEDBACK_RECEIVED}),
        (S.IN_TREATMENT, {"state": S.RETURNED, "returned_at": timezone.now()}),  # not cleared
        (S.SENT, {"state": S.CLOSED, "closed_at": timezone.now()}),  # neither returned nor declined
        (S.DRAFT, {"state": S.WITHDRAWN}),
    ],
)
def test_the_database_refuses_a_bad_state(world, inst, start, values):
    referral = bring_to(world, start)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(**values)


def test_the_database_refuses_two_referrals_in_progress(world, inst):
    referral = bring_to(world, S.SENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            student=referral.student,
            school=referral.school,
            county=referral.county,
            institution=referral.institution,
            urgency="routine",
            reason="x",
            made_by=referral.made_by,
        )


def test_a_doctor_assigned_after_sending_gets_the_open_referrals(world, inst):
    sent = bring_to(world, S.SENT)
    bring_to(world, S.CLOSED, student_key="a_other_class")
    newcomer = factories.user_with_role(
        Role.INSTITUTION_STAFF, world.inst_h.unit, username="staff_h_new"
    )
    assert not scope.scoped(fresh(newcomer), Referral).exists()
    with pytest.raises(PermissionDenied):
        services.institution_shares_refresh(actor=world.users["psych_a"], institution=world.inst_h)
    count = services.institution_shares_refresh(
        actor=world.users["center_a"], institution=world.inst_h
    )
    assert count == 1
    assert list(scope.scoped(fresh(newcomer), Referral)) == [sent]


def test_the_feedback_indicator_counts_feedback_within_the_days(world, inst):
    from referrals.selectors import referral_feedback_figures

    bring_to(world, S.WITHDRAWN)  # withdrawn before sending: not counted
    quick = bring_to(world, S.FEEDBACK_RECEIVED)
    bring_to(world, S.ACCEPTED, student_key="a_other_class")
    now = timezone.now()
    window = {"sent_from": now - datetime.timedelta(days=1), "sent_before": now}
    figures = referral_feedback_figures(county_ids=[world.county_a.pk], **window)
    assert (figures.sent, figures.with_feedback) == (2, 1)
    Referral.objects.filter(pk=quick.pk).update(feedback_at=now + datetime.timedelta(days=40))
    figures = referral_feedback_figures(county_ids=[world.county_a.pk], **window)
    assert (figures.sent, figures.with_feedback) == (2, 0)
    assert referral_feedback_figures(county_ids=[world.county_b.pk], **window).sent == 0
