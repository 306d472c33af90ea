"""Observations: reporting (class roles, own class only), the review queue (the school's psych
teacher), notifications, encryption at rest, and the scope matrix of every page and endpoint."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from screening.models import Observation, ObservationStatus, RiskProposal
from screening.observations import services
from screening.observations.forms import CATEGORY_REQUIRED
from screening.observations.services import (
    ALREADY_REVIEWED,
    DESCRIPTION_REQUIRED,
    FUTURE_DATE,
    NOT_REPORTER,
)

SECRET = "她说最近不想活了，手腕上有划痕"
NOTE = "已与学生面谈，联系家长"


def report(world, reporter=None, student=None, category="mood", description=SECRET):
    return services.observation_report(
        actor=reporter or world.users["homeroom_a"],
        student=student or world.students["a"],
        category=category,
        description=description,
        observed_on=timezone.localdate(),
    )


def form_data(world, **overrides):
    data = {
        "student": str(world.students["a"].pk),
        "category": "self_harm",
        "observed_on": timezone.localdate().isoformat(),
        "description": SECRET,
        "on_behalf_of_peer": "on",
    }
    data.update(overrides)
    return data


# --- reporting -----------------------------------------------------------------------------


def test_homeroom_teacher_reports_and_it_lands_in_the_queue(client, world):
    client.force_login(world.users["homeroom_a"])
    url = reverse("screening:observation_report_student", args=[world.students["a"].pk])
    assert client.get(url).status_code == 200
    response = client.post(url, form_data(world))
    assert response.status_code == 302
    observation = Observation.objects.get()
    assert observation.student == world.students["a"]
    assert observation.school == world.school_a
    assert observation.county == world.county_a
    assert observation.reporter == world.users["homeroom_a"]
    assert observation.on_behalf_of_peer is True
    assert observation.status == ObservationStatus.RECEIVED
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="screening.observation", student=world.students["a"]
    ).exists()


def test_subject_teacher_may_report_for_her_own_class(client, world, subject_a):
    client.force_login(subject_a)
    response = client.post(reverse("screening:observation_report"), form_data(world))
    assert response.status_code == 302
    assert Observation.objects.get().reporter == subject_a


def test_errors_show_next_to_the_fields_and_keep_what_was_typed(client, world):
    client.force_login(world.users["homeroom_a"])
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("screening:observation_report"),
        form_data(world, category="", observed_on=tomorrow),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["category"] == [str(CATEGORY_REQUIRED)]
    assert form.errors["observed_on"] == [str(FUTURE_DATE)]
    assert SECRET in response.content.decode()
    assert not Observation.objects.exists()


def test_empty_description_is_refused_by_the_service(world):
    with pytest.raises(ValidationError) as info:
        report(world, description="   ")
    assert info.value.message_dict["description"] == [str(DESCRIPTION_REQUIRED)]
    assert not Observation.objects.exists()


def test_service_refuses_a_student_of_another_class(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied) as info:
        report(world, student=world.students["a_other_class"])
    assert str(info.value) == str(NOT_REPORTER)
    with pytest.raises(PermissionDenied):
        report(world, reporter=world.users["psych_a"])


# (user key, student key, expected status)
REPORT_MATRIX = [
    (None, "a", 302),
    ("homeroom_a", "a_other_class", 404),  # a student of another class
    ("homeroom_a", "b", 404),  # another county
    ("psych_a", "a", 403),  # reviews, does not report
    ("leader_a", "a", 403),
    ("center_a", "a", 403),
    ("official_a", "a", 403),
    ("admin", "a", 403),
    ("homeroom_a", "a", 200),
]


@pytest.mark.parametrize(("who", "student_key", "status"), REPORT_MATRIX)
def test_report_page_matrix(client, world, who, student_key, status):
    if who:
        client.force_login(world.users[who])
    student = world.students[student_key]
    url = reverse("screening:observation_report_student", args=[student.pk])
    before = AuditEvent.objects.count()
    assert client.get(url).status_code == status
    if status != 200:
        response = client.post(url, form_data(world, student=str(student.pk)))
        assert response.status_code == status
        assert not Observation.objects.exists()
        assert not Notification.objects.exists()
        assert AuditEvent.objects.count() == before


def test_the_generic_report_form_offers_only_students_of_the_own_class(client, world):
    client.force_login(world.users["homeroom_a"])
    response = client.post(
        reverse("screening:observation_report"),
        form_data(world, student=str(world.students["a_other_class"].pk)),
    )
    assert response.status_code == 400
    assert "student" in response.context["form"].errors
    assert not Observation.objects.exists()


def test_subject_teacher_of_another_class_gets_404(client, world, subject_a):
    client.force_login(subject_a)
    url = reverse("screening:observation_report_student", args=[world.students["a_other_class"].pk])
    assert client.get(url).status_code == 404


# --- notifications --------------------------------------------------------------------------


def test_psych_teachers_of_the_school_are_notified_once(world):
    observation = report(world)
    notes = Notification.objects.filter(key=f"observation:{observation.pk}")
    assert [n.recipient.username for n in notes] == ["psych_a"]
    # sending again (a retry) changes nothing
    services.observation_notify(observation=observation)
    assert Notification.objects.filter(key=f"observation:{observation.pk}").count() == 1
    # reviewing sends nothing more
    services.observation_review(
        actor=world.users["psych_a"], observation=observation, review_note=NOTE
    )
    assert Notification.objects.count() == 1
    # the psych teacher of another county hears nothing
    assert not Notification.objects.filter(recipient=world.users["psych_b"]).exists()


def test_self_harm_is_urgent_and_names_no_student(world):
    observation = report(world, category="self_harm")
    note = Notification.objects.get(recipient=world.users["psych_a"])
    assert note.title.startswith("URGENT") or "紧急" in note.title
    assert world.students["a"].name not in note.title + note.body
    assert note.url == reverse("screening:observation_review", args=[observation.pk])
    plain = report(world, category="academic")
    assert not Notification.objects.get(key=f"observation:{plain.pk}").title.startswith("URGENT")


# --- encryption -----------------------------------------------------------------------------


def test_description_and_review_note_are_encrypted_at_rest(world):
    observation = report(world)
    services.observation_review(
        actor=world.users["psych_a"], observation=observation, review_note=NOTE
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT description, review_note FROM screening_observation WHERE id = %s",
            [observation.pk],
        )
        description, review_note = cursor.fetchone()
    assert SECRET not in description
    assert "划痕" not in description
    assert NOTE not in review_note
    observation.refresh_from_db()
    assert (observation.description, observation.review_note) == (SECRET, NOTE)


# --- review -----------------------------------------------------------------------------


def test_queue_is_the_schools_received_observations_oldest_first(
    client, world, django_assert_max_num_queries
):
    first = report(world)
    second = report(world, category="conflict")
    reviewed = report(world, category="family")
    services.observation_review(
        actor=world.users["psych_a"], observation=reviewed, review_note=NOTE
    )
    client.force_login(world.users["psych_a"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("screening:observation_queue"))
    assert response.status_code == 200
    assert [o.pk for o in response.context["page"].rows] == [first.pk, second.pk]
    # another county's psych teacher sees none of them
    client.force_login(world.users["psych_b"])
    assert client.get(reverse("screening:observation_queue")).context["page"].rows == []


def test_queue_pages_by_keyset(world):
    from screening.observations import selectors

    made = [report(world).pk for _ in range(3)]
    page = selectors.observation_queue(actor=world.users["psych_a"], page_size=2)
    assert [o.pk for o in page.rows] == made[:2]
    assert page.next_after == made[1]
    rest = selectors.observation_queue(
        actor=world.users["psych_a"], after=page.next_after, page_size=2
    )
    assert [o.pk for o in rest.rows] == made[2:]
    assert rest.next_after is None


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("homeroom_a", 403),
        ("leader_a", 403),
        ("center_a", 403),
        ("official_a", 403),
        ("psych_a", 200),
        ("psych_b", 200),
    ],
)
def test_queue_matrix(client, world, who, status):
    client.force_login(world.users[who])
    assert client.get(reverse("screening:observation_queue")).status_code == status


def test_review_opens_audited_and_self_harm_defaults_to_level_2(client, world):
    observation = report(world, category="self_harm")
    client.force_login(world.users["psych_a"])
    url = reverse("screening:observation_review", args=[observation.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert SECRET in response.content.decode()
    assert response.context["form"].initial["level"] == "2"
    assert AuditEvent.objects.filter(
        action=Action.VIEW, object_type="screening.observation", actor_username="psych_a"
    ).exists()
    response = client.post(url, {"review_note": NOTE, "level": "2"})
    assert response.status_code == 302
    observation.refresh_from_db()
    assert observation.status == ObservationStatus.REVIEWED
    assert observation.reviewed_by == world.users["psych_a"]
    proposal = RiskProposal.objects.get(student=world.students["a"])
    assert proposal.level == "2"
    assert proposal.reasons == ["observation", "observation_self_harm"]
    labels = proposal.reason_labels
    assert all(label != code for label, code in zip(labels, proposal.reasons, strict=True))
    assert AuditEvent.objects.filter(
        action=Action.UPDATE, object_type="screening.observation", student=world.students["a"]
    ).exists()


def test_review_without_level_proposes_nothing_and_a_second_review_is_refused(client, world):
    observation = report(world)
    client.force_login(world.users["psych_a"])
    url = reverse("screening:observation_review", args=[observation.pk])
    assert client.get(url).context["form"].initial["level"] == ""
    assert client.post(url, {"review_note": NOTE, "level": ""}).status_code == 302
    assert not RiskProposal.objects.exists()
    response = client.post(url, {"review_note": "again", "level": "1"})
    assert response.status_code == 400
    assert str(ALREADY_REVIEWED) in response.content.decode()
    assert not RiskProposal.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 302),
        ("psych_b", 404),  # psych teacher of another school
        ("homeroom_a", 403),  # the reporter herself
        ("leader_a", 403),
        ("center_a", 403),
        ("official_a", 403),
        ("admin", 403),
    ],
)
def test_review_page_matrix(client, world, who, status):
    observation = report(world)
    if who:
        client.force_login(world.users[who])
    url = reverse("screening:observation_review", args=[observation.pk])
    before = AuditEvent.objects.count()
    assert client.get(url).status_code == status
    assert client.post(url, {"review_note": "x", "level": "1"}).status_code == status
    observation.refresh_from_db()
    assert observation.status == ObservationStatus.RECEIVED
    assert not RiskProposal.objects.exists()
    assert AuditEvent.objects.count() == before


def test_psych_teacher_of_another_school_in_the_same_county_gets_404(client, world):
    from mhcare.accounts.models import Role
    from tests import factories

    psych_a2 = factories.user_with_role(Role.PSYCH_TEACHER, world.school_a2, username="psych_a2")
    observation = report(world)
    client.force_login(psych_a2)
    assert (
        client.get(reverse("screening:observation_review", args=[observation.pk])).status_code
        == 404
    )


# --- the reporter sees only "received / reviewed" ------------------------------------------


def test_reporter_sees_status_but_never_the_review_note_or_level(
    client, world, django_assert_max_num_queries
):
    observation = report(world, category="self_harm")
    services.observation_review(
        actor=world.users["psych_a"], observation=observation, review_note=NOTE, level="1"
    )
    other = report(world, reporter=world.users["homeroom_a"], category="academic")
    client.force_login(world.users["homeroom_a"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("screening:observation_mine"))
    body = response.content.decode()
    assert response.status_code == 200
    assert [o.pk for o in response.context["page"].rows] == [other.pk, observation.pk]
    assert NOTE not in body
    assert "Level 1" not in body
    assert "一级" not in body
    # nor on the student page (the roster view)
    page = client.get(reverse("orgs:student_detail", args=[world.students["a"].pk]))
    assert NOTE not in page.content.decode()
    assert SECRET not in page.content.decode()
    # nor on the home page
    home = client.get(reverse("core:home")).content.decode()
    assert NOTE not in home


@pytest.mark.parametrize(("who", "status"), [("psych_a", 403), ("official_a", 403)])
def test_my_observations_is_for_reporters_only(client, world, who, status):
    client.force_login(world.users[who])
    assert client.get(reverse("screening:observation_mine")).status_code == status


# --- home panels, student action, timeline ------------------------------------------------


def test_home_panels_and_student_action(client, world):
    report(world, category="self_harm")
    client.force_login(world.users["psych_a"])
    body = client.get(reverse("core:home")).content.decode()
    assert 'data-panel="observations_to_review"' in body
    assert world.students["a"].name in body
    client.force_login(world.users["homeroom_a"])
    body = client.get(reverse("core:home")).content.decode()
    assert 'data-panel="report_concern"' in body
    assert reverse("screening:observation_report") in body
    page = client.get(reverse("orgs:student_detail", args=[world.students["a"].pk]))
    assert (
        reverse("screening:observation_report_student", args=[world.students["a"].pk])
        in page.content.decode()
    )
    client.force_login(world.users["psych_a"])
    page = client.get(reverse("orgs:student_detail", args=[world.students["a"].pk]))
    assert "observation_report_student" not in page.content.decode()
    assert reverse("screening:observation_report_student", args=[world.students["a"].pk]) not in (
        page.content.decode()
    )


def test_observations_appear_on_the_timeline_for_allowed_users(client, world):
    observation = report(world, category="self_harm")
    review_url = reverse("screening:observation_review", args=[observation.pk])
    student_url = reverse("orgs:student_detail", args=[world.students["a"].pk])
    client.force_login(world.users["psych_a"])
    assert review_url in client.get(student_url).content.decode()
    client.force_login(world.users["center_a"])
    timeline = client.get(student_url).context["timeline"]
    assert any(e.kind == "observation" for e in timeline)
    client.force_login(world.users["homeroom_a"])
    timeline = client.get(student_url).context["timeline"]
    assert not any(e.kind == "observation" for e in timeline)


# --- API ---------------------------------------------------------------------------------


def api(world, who):
    client = APIClient()
    if who:
        client.force_authenticate(world.users[who] if isinstance(who, str) else who)
    return client


def api_body(world, student_key="a", **overrides):
    body = {
        "student": world.students[student_key].pk,
        "category": "behaviour",
        "description": SECRET,
        "observed_on": timezone.localdate().isoformat(),
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("who", "student_key", "status"),
    [
        (None, "a", 403),
        ("homeroom_a", "a_other_class", 404),
        ("homeroom_a", "b", 404),
        ("psych_a", "a", 403),
        ("official_a", "a", 403),
        ("homeroom_a", "a", 201),
    ],
)
def test_api_create_matrix(world, who, student_key, status):
    response = api(world, who).post(
        reverse("api-observation-list"), api_body(world, student_key), format="json"
    )
    assert response.status_code == status
    assert Observation.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        assert response.json()["status"] == "received"
        assert "review_note" not in response.json()
        assert Notification.objects.filter(recipient=world.users["psych_a"]).count() == 1


def test_api_create_by_subject_teacher_and_validation(world, subject_a):
    client = api(world, subject_a)
    bad = client.post(
        reverse("api-observation-list"),
        api_body(world, observed_on="2999-01-01", category="nonsense"),
        format="json",
    )
    assert bad.status_code == 400
    assert "category" in bad.json()
    future = client.post(
        reverse("api-observation-list"), api_body(world, observed_on="2999-01-01"), format="json"
    )
    assert future.status_code == 400
    assert "observed_on" in future.json()
    assert client.post(reverse("api-observation-list"), api_body(world), format="json").status_code
    assert Observation.objects.get().reporter == subject_a


@pytest.mark.parametrize(
    ("who", "status", "count"),
    [
        (None, 403, 0),
        ("homeroom_a", 403, 0),
        ("official_a", 403, 0),
        ("psych_b", 200, 0),
        ("psych_a", 200, 2),
    ],
)
def test_api_list_matrix(world, who, status, count, django_assert_max_num_queries):
    report(world)
    report(world, student=world.students["a"], category="other")
    with django_assert_max_num_queries(8):
        response = api(world, who).get(reverse("api-observation-list"))
    assert response.status_code == status
    if status == 200:
        rows = response.json()["results"]
        assert len(rows) == count
        assert all("description" not in row and "review_note" not in row for row in rows)


def test_api_list_filters_by_status(world):
    first = report(world)
    report(world)
    services.observation_review(actor=world.users["psych_a"], observation=first, review_note=NOTE)
    response = api(world, "psych_a").get(reverse("api-observation-list"), {"status": "received"})
    assert [row["status"] for row in response.json()["results"]] == ["received"]


def test_api_is_in_the_openapi_schema(world):
    response = api(world, "psych_a").get(reverse("api-schema"))
    assert b"/api/v1/screening/observations/" in response.content
