"""The student's page (一生一策 growth file) makes the same number of queries whatever the length
of the student's history: every record kind is read in one query, never one per row."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisis import services
from crisis.models import Case, ContactWay, FamilyContact, FollowUp, FollowUpWay
from mhcare.orgs.models import Semester
from screening.models import Instrument
from screening.services import result_create
from tests.perf.history import multiply_history

MAX_QUERIES = 40


def _some_history(world) -> None:
    actor = world.users["psych_a"]
    student = world.students["a"]
    services.evaluation_confirm(actor=actor, student=student, level="2", reason="面谈")
    case = Case.objects.get(student=student)
    today = datetime.date(2026, 11, 2)
    FollowUp.objects.create(
        case=case,
        student=student,
        school=student.school,
        done_on=today,
        way=FollowUpWay.values[0],
        by=actor,
        state_observed="平稳",
        next_due=today + datetime.timedelta(days=14),
    )
    FamilyContact.objects.create(
        student=student,
        school=student.school,
        klass=student.klass,
        semester=Semester.objects.order_by("id").first(),
        contacted_on=today,
        way=ContactWay.values[0],
        by=actor,
        with_whom="母亲",
    )


@pytest.mark.parametrize("who", ["center_a", "psych_a"])
def test_growth_file_queries_do_not_grow_with_history(client, world, who):
    _some_history(world)
    client.force_login(world.users[who])
    url = reverse("orgs:student_detail", args=[world.students["a"].pk])
    assert client.get(url).status_code == 200  # the first request stamps the session

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    short = queries()
    added = multiply_history(world.students["a"].pk, 30)
    assert added["crisis_followup"] == 30
    assert added["crisis_familycontact"] == 30
    assert added["crisis_caseevent"] >= 30
    long = queries()
    assert long == short <= MAX_QUERIES


@pytest.mark.parametrize("who", ["center_a", "psych_a"])
def test_the_student_page_reads_the_results_once_for_the_timeline_and_the_trends(
    client, world, who
):
    """The timeline and the score trends show the same results: one query between them."""
    _some_history(world)
    for day in (datetime.date(2026, 9, 15), datetime.date(2026, 11, 2)):
        result_create(
            actor=world.users["psych_a"],
            student=world.students["a"],
            instrument=Instrument.objects.latest_of("PHQ-9"),
            answers=[1] * 9,
            administered_on=day,
        )
    client.force_login(world.users[who])
    url = reverse("orgs:student_detail", args=[world.students["a"].pk])
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    reads = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith('SELECT "screening_screeningresult"."id"')
    ]
    assert len(reads) == 1, "\n".join(r[-300:] for r in reads)
    trends = {s.key: s for s in response.context["sections"]}.get("score_trends")
    assert trends is not None
    assert trends.context["trends"].charts
    assert response.content.decode().count("PHQ-9") >= 2  # the timeline shows both results
