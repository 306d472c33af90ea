"""The demo province opens a living crisis registry: cases (one overdue, one waiting for 上报),
a review, family contacts and an incident — and seeding again adds nothing."""

import io

from django.core.management import call_command
from django.utils import timezone

from crisis.models import (
    Case,
    CaseReport,
    CaseTask,
    FamilyContact,
    Incident,
    ReportStatus,
    Review,
)


def test_seed_demo_fills_the_crisis_registry_once(db):
    call_command("seed_demo", stdout=io.StringIO())
    today = timezone.localdate()
    cases = Case.objects.all()
    counts = (
        cases.count(),
        Review.objects.count(),
        FamilyContact.objects.count(),
        Incident.objects.count(),
    )
    assert counts[0] >= 4
    assert cases.values("county").distinct().count() == 2
    assert cases.filter(next_follow_up_due__lt=today).count() == 2  # one per demo county
    assert CaseReport.objects.filter(status=ReportStatus.PENDING).exists()
    assert CaseReport.objects.filter(status=ReportStatus.SENT).exists()
    assert counts[1:] == (2, 10, 1)
    # The overdue case's homeroom teacher has a task about it.
    task = CaseTask.objects.select_related("case__student__klass").first()
    assert task is not None
    assert task.assignee_id == task.case.student.klass.homeroom_teacher_id

    call_command("seed_demo", stdout=io.StringIO())
    again = (
        Case.objects.count(),
        Review.objects.count(),
        FamilyContact.objects.count(),
        Incident.objects.count(),
    )
    assert again == counts
