import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from compliance import computations
from compliance import selectors as compliance_selectors
from compliance.periods import Period
from mhcare.audit.models import AuditEvent
from screening.consents import services
from screening.imports import parsing
from screening.imports import services as import_services
from screening.models import ImportJob, ImportStatus, ScreeningConsent
from screening.services import CONSENT_REFUSED, result_create
from tests.screening.imports.conftest import csv_bytes, row

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def refuse(world, key="a", user="psych_a"):
    return services.consent_record(
        actor=world.users[user],
        student=world.students[key],
        decision="refused",
        way="written",
        decided_on=TODAY,
        note="家长担心标签",
    )


def test_psych_teacher_records_a_refusal_audited(world):
    consent = refuse(world)
    assert consent.refused
    assert consent.school_id == world.school_a.pk
    event = AuditEvent.objects.get(object_id=str(consent.pk))
    assert event.student_id == world.students["a"].pk
    assert event.detail["decision"] == "refused"
    assert "家长" not in str(event.detail)


def test_same_decision_twice_changes_nothing_and_a_new_one_replaces(world):
    refuse(world)
    refuse(world)
    assert AuditEvent.objects.filter(object_type__icontains="consent").count() == 1
    services.consent_record(
        actor=world.users["homeroom_a"],
        student=world.students["a"],
        decision="consented",
        way="phone",
        decided_on=TODAY,
    )
    consent = ScreeningConsent.objects.get()
    assert (consent.decision, consent.way) == ("consented", "phone")
    assert AuditEvent.objects.filter(object_type__icontains="consent").count() == 2


@pytest.mark.parametrize(
    ("user", "student"),
    [
        ("homeroom_a", "a_other_class"),  # not their class
        ("psych_b", "a"),  # another school
        ("leader_a", "a"),  # wrong role
        ("center_a", "a"),
    ],
)
def test_who_may_not_record(world, user, student):
    with pytest.raises(PermissionDenied):
        refuse(world, student, user)
    assert not ScreeningConsent.objects.exists()


def test_future_date_is_refused(world):
    with pytest.raises(ValidationError):
        services.consent_record(
            actor=world.users["psych_a"],
            student=world.students["a"],
            decision="consented",
            way="online",
            decided_on=TODAY + datetime.timedelta(days=1),
        )


def test_a_refused_student_gets_no_result(world, phq9):
    refuse(world)
    with pytest.raises(ValidationError) as raised:
        result_create(
            actor=world.users["psych_a"],
            student=world.students["a"],
            instrument=phq9,
            answers=[0] * 9,
            administered_on=TODAY,
        )
    assert str(CONSENT_REFUSED) in str(raised.value)


def _import(world, campaign, phq9, content, user="psych_a", unit=None):
    job = import_services.import_job_create(
        actor=world.users[user],
        campaign=campaign,
        instrument=phq9,
        unit=unit or world.school_a,
        filename="r.csv",
        content=content,
        enqueue=False,
    )
    return import_services.import_run(job_id=job.pk)


def test_import_of_a_refused_student_fails_with_its_own_message(world, campaign, phq9):
    refuse(world)
    job = _import(world, campaign, phq9, csv_bytes([row(world.students["a"], [0] * 9)]))
    assert job.status == ImportStatus.FAILED
    with translation.override(world.users["psych_a"].language):
        expected = str(parsing.ERROR_CONSENT_REFUSED)
    assert [e["message"] for e in job.errors] == [expected]
    assert job.error_counts == {parsing.KIND_CONSENT_REFUSED: [1, 1]}


def test_another_schools_refused_student_still_reads_as_unknown(world, campaign, phq9):
    refuse(world)
    content = csv_bytes([row(world.students["a"], [0] * 9)])
    job = _import(world, campaign, phq9, content, user="psych_b", unit=world.school_b)
    assert job.error_counts == {parsing.KIND_UNKNOWN_STUDENT: [1, 1]}


def test_finished_import_keeps_errors_but_not_the_file(world, campaign, phq9):
    good = _import(world, campaign, phq9, csv_bytes([row(world.students["a"], [0] * 9)]))
    bad = _import(world, campaign, phq9, csv_bytes([["G000", "某某", *[0] * 9]]))
    assert good.status == ImportStatus.DONE
    assert bad.status == ImportStatus.FAILED
    for job in (good, bad):
        assert bytes(ImportJob.objects.get(pk=job.pk).content) == b""
    assert ImportJob.objects.get(pk=bad.pk).errors


def test_coverage_leaves_refusals_out_of_the_denominator(world, phq9):
    refuse(world, "a")
    result_create(
        actor=world.users["psych_a"],
        student=world.students["a_other_class"],
        instrument=phq9,
        answers=[0] * 9,
        administered_on=TODAY,
    )
    year = world.class_a.school_year
    coverage = compliance_selectors.screening_coverage(
        actor=world.users["center_a"], unit=world.county_a, school_year=year
    )
    row_a = next(r for r in coverage.rows if r.unit == world.school_a)
    assert (row_a.enrolled, row_a.screened, row_a.refused) == (1, 1, 1)
    period = Period("y", "year", year.start, year.end, year)
    rows = {u: (n, d) for u, n, d in computations.screening_coverage(period, None)}
    assert rows[world.school_a.pk] == (1, 1)
    assert computations.screening_refusals(period, None) == {world.school_a.pk: 1}


@pytest.mark.zh
def test_the_refusal_messages_read_in_chinese(world):
    with translation.override("zh-hans"):
        assert "监护人已拒绝测评" in str(CONSENT_REFUSED)
        assert "监护人已拒绝测评" in str(parsing.ERROR_CONSENT_REFUSED)
