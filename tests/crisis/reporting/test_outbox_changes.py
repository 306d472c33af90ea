"""上报 of a case leaving the register: lowered to 三级 or closed after it was reported puts a
row in the outbox (once); the "not yet reported" list shows one row per case."""

import datetime

from django.urls import reverse
from django.utils import timezone

from crisis import services
from crisis.models import CaseReport, CaseStatus
from screening.models import Instrument
from screening.services import result_create
from tests.crisis.reporting.helpers import make_case, make_report


def _open_case(world, level="2"):
    result_create(
        actor=world.users["psych_a"],
        student=world.students["a"],
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=[0] * 8 + [1],
        administered_on=timezone.localdate(),
    )
    return services.evaluation_confirm(
        actor=world.users["psych_a"], student=world.students["a"], level=level, reason="面谈确认"
    ).case


def test_lowering_a_reported_case_to_level_three_is_reported(world):
    case = _open_case(world)
    assert list(CaseReport.objects.filter(case=case).values_list("level", flat=True)) == ["2"]
    services.case_change_level(
        actor=world.users["psych_a"], case=case, level="3", reason="情绪平稳"
    )
    case.refresh_from_db()
    report = CaseReport.objects.get(case=case, version=case.version)
    assert report.level == "3"
    assert (report.payload["level"], report.payload["status"]) == ("3", CaseStatus.OPEN)
    assert report.due_by > timezone.now()
    # a further change of a 三级 case is not the platform's business
    services.case_set_status(
        actor=world.users["psych_a"], case=case, status=CaseStatus.MONITORING, reason="观察"
    )
    services.case_set_status(
        actor=world.users["psych_a"], case=case, status=CaseStatus.CLOSED, reason="结案"
    )
    assert CaseReport.objects.filter(case=case).count() == 2


def test_closing_a_reported_case_is_reported(world):
    case = _open_case(world)
    services.case_set_status(
        actor=world.users["psych_a"], case=case, status=CaseStatus.CLOSED, reason="连续三次回访正常"
    )
    case.refresh_from_db()
    report = CaseReport.objects.get(case=case, version=case.version)
    assert (report.level, report.payload["status"]) == ("2", CaseStatus.CLOSED)


def test_a_level_three_case_never_reported_stays_unreported(world):
    case = _open_case(world, level="3")
    services.case_set_status(
        actor=world.users["psych_a"], case=case, status=CaseStatus.CLOSED, reason="结案"
    )
    assert not CaseReport.objects.filter(case=case).exists()


def test_the_unreported_list_shows_one_row_per_case_its_latest_version(client, world):
    now = timezone.now()
    case = make_case(world.students["a"], version=1)
    make_report(case, due_by=now + datetime.timedelta(hours=2))
    case.version = 2
    case.level = "3"
    case.save()
    latest = make_report(case, due_by=now + datetime.timedelta(hours=20))
    other = make_report(make_case(world.students["a2"]), due_by=now + datetime.timedelta(hours=5))
    client.force_login(world.users["center_a"])
    response = client.get(reverse("crisis:report_unreported"))
    assert response.status_code == 200
    rows = [row.report.pk for row in response.context["page"].rows]
    assert rows == [other.pk, latest.pk]
