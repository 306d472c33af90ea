import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from mhcare.audit.models import AuditEvent
from mhcare.core.retention import services
from mhcare.orgs.models import EnrolmentStatus, Guardian, Student
from screening.consents.services import consent_record
from screening.models import Observation, ScreeningConsent

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def leave(student, years_ago):
    student.status = EnrolmentStatus.GRADUATED
    student.left_on = TODAY.replace(year=TODAY.year - years_ago) - datetime.timedelta(days=1)
    student.enrolled_on = None
    student.save()


@pytest.fixture
def records(world):
    for key in ("a", "a_other_class"):
        consent_record(
            actor=world.users["psych_a"],
            student=world.students[key],
            decision="consented",
            way="written",
            decided_on=TODAY,
            note="父亲签字同意",
        )
        Observation.objects.create(
            student=world.students[key],
            school=world.school_a,
            county=world.county_a,
            reporter=world.users["homeroom_a"],
            category="mood",
            description="上课经常哭泣",
            observed_on=TODAY,
        )
    leave(world.students["a"], 10)  # long gone
    leave(world.students["a_other_class"], 1)  # left last year: kept
    return world


def _raw(model, pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_the_linked_models_include_the_free_text_of_each_app():
    labels = {model._meta.label for _kind, model, _path, _cols in services.linked_models()}
    assert {"screening.Observation", "screening.ScreeningConsent", "orgs.Guardian"} <= labels
    assert not any(label.startswith("audit.") for label in labels)


def test_the_dry_run_counts_and_changes_nothing(records, capsys):
    plan = services.retention_plan()
    assert plan.rows["student: orgs.Student"] == 1
    assert plan.rows["screening: screening.Observation"] == 1
    assert plan.rows["screening: screening.ScreeningConsent"] == 1
    call_command("retention_report")
    out = capsys.readouterr().out
    assert "screening.Observation: 1 rows would change" in out
    assert "张小明" not in out
    assert Student.objects.get(pk=records.students["a"].pk).name == "张小明"
    assert not AuditEvent.objects.filter(object_type="retention").exists()


def test_anonymise_clears_the_old_and_keeps_the_recent_and_the_counts(records):
    old, recent = records.students["a"], records.students["a_other_class"]
    before = Student.objects.filter(school=records.school_a).count()
    plan = services.retention_anonymise()
    assert plan.total >= 3
    gone = Student.objects.get(pk=old.pk)
    assert gone.name == services.ANONYMOUS_NAME
    assert gone.student_number == f"anon-{old.pk}"
    assert gone.birth_date == old.birth_date.replace(month=1, day=1)
    assert (gone.school_id, gone.klass_id, gone.gender) == (old.school_id, old.klass_id, old.gender)
    assert not Guardian.objects.filter(student=old).exists()
    assert Observation.objects.get(student=old).description == ""
    assert ScreeningConsent.objects.get(student=old).note == ""
    assert _raw(Observation, Observation.objects.get(student=old).pk, "description") == ""
    # the recent leaver is untouched, and every count by school stays
    assert Student.objects.get(pk=recent.pk).name == recent.name
    assert Observation.objects.get(student=recent).description == "上课经常哭泣"
    assert Guardian.objects.filter(student=recent).exists()
    assert Student.objects.filter(school=records.school_a).count() == before
    assert Observation.objects.filter(school=records.school_a).count() == 2
    event = AuditEvent.objects.get(object_type="retention")
    assert event.detail["retention"]["rows"]["student: orgs.Student"] == 1
    assert "张小明" not in str(event.detail)
    # a second run changes nothing
    assert services.retention_anonymise().total == 0
    assert AuditEvent.objects.filter(object_type="retention").count() == 1


def test_the_period_is_a_setting(records, settings):
    settings.RETENTION_YEARS = {**settings.RETENTION_YEARS, "student": 20, "screening": 20}
    assert services.retention_plan().total == 0
