"""The retention job on a REAL Celery worker: enqueued through the broker, it anonymises the
test database's long-gone student."""

import datetime

import pytest
from django.utils import timezone

from mhcare.core.retention.services import ANONYMOUS_NAME
from mhcare.core.retention.tasks import retention_anonymise_task
from mhcare.orgs.models import EnrolmentStatus, Student
from tests import factories
from tests.workers import wait_until


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_anonymises_a_student_who_left_long_ago(start_celery_worker, school_year):
    school = factories.SchoolFactory()
    klass = factories.SchoolClassFactory(school=school, school_year=school_year)
    student = factories.StudentFactory(klass=klass, name="周小华")
    factories.GuardianFactory(student=student)
    Student.objects.filter(pk=student.pk).update(
        status=EnrolmentStatus.TRANSFERRED,
        left_on=timezone.localdate() - datetime.timedelta(days=365 * 12),
        enrolled_on=None,
    )
    start_celery_worker()
    retention_anonymise_task.delay()
    wait_until(
        lambda: Student.objects.get(pk=student.pk).name == ANONYMOUS_NAME,
        60,
        "the student anonymised by the worker",
    )
    assert not student.guardians.exists()
