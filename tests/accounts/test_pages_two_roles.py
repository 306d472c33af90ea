"""Every page and API endpoint, requested as users holding two roles in two schools: nothing of a
school outside all their assignments shows (its objects answer 403 or 404, its lists leave it out),
and the writes of the second school are refused where only the other role covers it."""

from __future__ import annotations

import datetime
import io
import re
from typing import Any

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from crisis import services as crisis_services
from crisis.families import services as family_services
from crisis.incidents import services as incident_services
from crisis.models import CaseReport
from mhcare.accounts.models import Role
from mhcare.orgs.models import Student
from screening.observations import services as observation_services
from screening.services import result_create
from tests import factories
from tests.accounts.test_policy import ITEM9, add_role
from tests.conftest import login, make_school_year, make_world, shared_rows

OUTSIDE_NAME = "王小刚"  # student a2, of school A2: outside every assignment of the users below
SKIP = {"admin"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _params(pattern: Any) -> set[str]:
    return set(pattern.regex.groupindex)


def _walk(
    patterns: list[Any], params: frozenset[str] = frozenset(), namespace: str = ""
) -> dict[str, frozenset[str]]:
    found: dict[str, frozenset[str]] = {}
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns not in SKIP:
                found |= _walk(entry.url_patterns, params | _params(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            found[name] = params | _params(entry.pattern)
    return found


# Routes that render no records at all (and would change the session or need a browser).
NOT_PAGES = {"accounts:logout", "set_language", "notifications:mark_all_read", "api-docs"}
PARAMS = {k: v for k, v in _walk(get_resolver().url_patterns).items() if k not in NOT_PAGES}
ROUTES = sorted(PARAMS)


def parameterless_paths() -> list[str]:
    """The path of every page that takes no URL parameter."""
    paths = []
    for name, params in sorted(PARAMS.items()):
        if not params:
            try:
                paths.append(reverse(name))
            except NoReverseMatch:
                continue
    return paths


USERS = ["psych_a_leader_b", "homeroom_a_psych_b"]


@pytest.fixture
def outside(world):
    """School A2 with a case, its 上报, an observation, a family contact and an incident, all about
    student a2 (written by A2's own staff)."""
    return make_outside(world)


def make_outside(world: Any) -> dict[str, int]:
    student = world.students["a2"]
    psych = factories.user_with_role(Role.PSYCH_TEACHER, world.school_a2, username="psych_a2")
    homeroom = factories.user_with_role(
        Role.HOMEROOM_TEACHER, world.school_a2, klass=world.class_a2, username="homeroom_a2"
    )
    from screening.models import Instrument

    result_create(
        actor=psych,
        student=student,
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=ITEM9,
        administered_on=timezone.localdate(),
    )
    case = crisis_services.evaluation_confirm(
        actor=psych, student=student, level="1", reason="面谈确认"
    ).case
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    observation = observation_services.observation_report(
        actor=homeroom,
        student=student,
        category="mood",
        description="情绪低落",
        observed_on=yesterday,
    )
    family_services.family_contact_log(
        actor=psych, student=student, contacted_on=yesterday, way="phone", with_whom="母亲"
    )
    incident = incident_services.incident_report(
        actor=psych,
        school=world.school_a2,
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        kind="self_harm",
        severity="serious",
        summary="自伤",
        students=[student],
    )
    report = CaseReport.objects.filter(case=case).first()
    return {
        "student": student.pk,
        "klass": world.class_a2.pk,
        "school": world.school_a2.pk,
        "case": case.pk,
        "observation": observation.pk,
        "incident": incident.pk,
        "report": report.pk if report else 999_999,
    }


@pytest.fixture
def users(world):
    return make_users(world)


def make_users(world: Any) -> dict[str, Any]:
    psych_a_leader_b = factories.user_with_role(
        Role.PSYCH_TEACHER, world.school_a, username="psych_a_leader_b"
    )
    homeroom_a_psych_b = factories.user_with_role(
        Role.HOMEROOM_TEACHER, world.school_a, klass=world.class_a, username="homeroom_a_psych_b"
    )
    return {
        "psych_a_leader_b": add_role(psych_a_leader_b, Role.SCHOOL_LEADER, world.school_b),
        "homeroom_a_psych_b": add_role(homeroom_a_psych_b, Role.PSYCH_TEACHER, world.school_b),
    }


def _kwargs(name: str, outside: dict[str, int]) -> dict[str, Any] | None:
    """Arguments that point a route at school A2's objects (or at nothing: 999999)."""
    params = PARAMS[name]
    kwargs: dict[str, Any] = {}
    for param in params:
        if param == "code":
            kwargs[param] = "PHQ-9"
        elif param == "step":
            kwargs[param] = "guardians_notified"
        elif param == "student_pk":
            kwargs[param] = outside["student"]
        elif param == "school_pk":
            kwargs[param] = outside["school"]
        elif param == "class_pk":
            kwargs[param] = outside["klass"]
        elif param == "campaign_pk":
            kwargs[param] = 999_999
        elif param == "pk":
            kwargs[param] = _pk_for(name, outside)
        elif param in ("uidb64", "token"):  # a password reset link (public; names nobody)
            kwargs[param] = "MQ" if param == "uidb64" else "bad-token"
        else:
            return None
    return kwargs


def _pk_for(name: str, outside: dict[str, int]) -> int:
    short = name.split(":")[-1]
    if short.startswith(("case_", "case")) and short != "campaign_class":
        return outside["case"]
    table = {
        "student_detail": "student",
        "api-student-detail": "student",
        "evaluate": "student",
        "phq9_create": "student",
        "result_create": "student",
        "observation_report_student": "student",
        "support_plan_edit": "student",
        "growth_pdf": "student",
        "family_student": "student",
        "family_school": "school",
        "family_class": "klass",
        "family_contact_create": "klass",
        "observation_review": "observation",
        "incident_detail": "incident",
        "incident_step": "incident",
        "incident_step_not_needed": "incident",
        "incident_action_add": "incident",
        "report_detail": "report",
    }
    return outside[table[short]] if short in table else 999_999


def _text(response: Any) -> str:
    if response.get("Content-Type", "").startswith(XLSX):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return " ".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        )
    if response.get("Content-Type", "").startswith("application/pdf"):
        return ""
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


# --- suite: the rows of the ~450 cases below are made once per class (and xdist worker), not
# once per case: each case runs in a savepoint of the class's transaction, rolled back after it, so
# every case starts from the same rows, as with the function-scoped fixtures (conftest.shared_rows).
@pytest.fixture(scope="class")
def route_rows(django_db_setup, django_db_blocker):
    with shared_rows(django_db_blocker):
        # made in English, as under the function-scoped fixtures (conftest.english_unless_asked)
        with django_db_blocker.unblock(), translation.override("en"):
            world = make_world(make_school_year())
            rows = (world, make_users(world), make_outside(world))
        yield rows


@pytest.mark.django_db
class TestEveryRoute:
    @pytest.mark.parametrize("who", USERS)
    @pytest.mark.parametrize("name", ROUTES)
    def test_no_page_or_endpoint_shows_a_school_outside_the_assignments(
        self, client, route_rows, who, name
    ):
        _world, users, outside = route_rows
        _no_page_or_endpoint_shows_a_school_outside_the_assignments(
            client, users, outside, who, name
        )


def _no_page_or_endpoint_shows_a_school_outside_the_assignments(client, users, outside, who, name):
    kwargs = _kwargs(name, outside)
    assert kwargs is not None, f"{name}: unknown URL parameter, teach _kwargs about it"
    url = reverse(name, kwargs=kwargs)
    login(client, users[who])
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    if response.status_code == 405:  # an endpoint that only changes (PATCH): try that
        response = client.patch(url, {}, content_type="application/json")
    assert response.status_code < 500, (name, response.status_code)
    if set(kwargs) - {"code", "step", "uidb64", "token"}:
        # an object of school A2 (or of nowhere): refused, never shown
        assert response.status_code in (403, 404), (name, response.status_code)
    assert OUTSIDE_NAME not in _text(response), name


# --- the second school: read under one role, refused to write under it ------------------------


def test_leader_of_b_reads_b_case_page_without_write_forms_and_cannot_post(client, world, users):
    case = crisis_services.evaluation_confirm(
        actor=world.users["psych_b"], student=world.students["b"], level="2", reason="面谈"
    ).case
    login(client, users["psych_a_leader_b"])
    page = client.get(reverse("crisis:case_detail", args=[case.pk]))
    assert page.status_code == 200
    assert reverse("crisis:case_follow_up", args=[case.pk]) not in page.content.decode()
    refused = [
        client.post(reverse("crisis:case_follow_up", args=[case.pk]), {}),
        client.get(reverse("crisis:evaluate", args=[world.students["b"].pk])),
        client.get(reverse("screening:support_plan_edit", args=[world.students["b"].pk])),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    # as A's psychology teacher the same pages open for A's student
    assert client.get(reverse("crisis:evaluate", args=[world.students["a"].pk])).status_code == 200


def test_results_api_lists_only_scores_the_psych_assignment_covers(client, world, users):
    from screening.models import Instrument

    for key, actor in (("a", "psych_a"), ("b", "psych_b")):
        result_create(
            actor=world.users[actor],
            student=world.students[key],
            instrument=Instrument.objects.latest_of("PHQ-9"),
            answers=ITEM9,
            administered_on=timezone.localdate(),
        )
    login(client, users["psych_a_leader_b"])
    body = client.get(reverse("api-result-list")).json()
    rows = body["results"] if isinstance(body, dict) else body
    students = {row["student"] for row in rows}
    assert world.students["a"].pk in students
    assert world.students["b"].pk not in students
    assert not re.search(OUTSIDE_NAME, str(body))
    assert Student.objects.filter(pk__in=students).count() == len(students)


def test_homeroom_of_a_psych_of_b_sees_a_as_homeroom_teacher_flag_not_case(client, world, users):
    case = crisis_services.evaluation_confirm(
        actor=world.users["psych_a"], student=world.students["a"], level="2", reason="面谈确认"
    ).case
    login(client, users["homeroom_a_psych_b"])
    html = client.get(reverse("orgs:student_detail", args=[world.students["a"].pk])).content
    text = html.decode()
    # the class role's view of her own student: the flag, never the case, its reason or a link
    assert "The psychology teacher follows this student" in text
    assert reverse("crisis:case_detail", args=[case.pk]) not in text
    assert "面谈确认" not in text
    assert client.get(reverse("crisis:case_detail", args=[case.pk])).status_code == 404


@pytest.fixture
def in_b(world):
    """School B's objects, written by B's own psychology teacher and homeroom teacher."""
    homeroom_b = factories.user_with_role(
        Role.HOMEROOM_TEACHER, world.school_b, klass=world.class_b, username="homeroom_b"
    )
    case = crisis_services.evaluation_confirm(
        actor=world.users["psych_b"], student=world.students["b"], level="2", reason="面谈"
    ).case
    observation = observation_services.observation_report(
        actor=homeroom_b,
        student=world.students["b"],
        category="mood",
        description="情绪低落",
        observed_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    return {"case": case.pk, "student": world.students["b"].pk, "observation": observation.pk}


# Every write page or endpoint, pointed at school B, where psych_a_leader_b is only the leader.
B_WRITES = [
    ("crisis:evaluate", "student", {"level": "2", "reason": "面谈", "source": ""}),
    ("crisis:case_follow_up", "case", {"done_on": "2026-01-01", "way": "phone"}),
    ("crisis:case_level", "case", {"level": "1", "reason": "加重"}),
    ("crisis:case_status", "case", {"status": "closed", "reason": "结案"}),
    ("crisis:case_transfer", "case", {"to_school": "x"}),
    ("crisis:case_task", "case", {"title": "谈话"}),
    ("screening:support_plan_edit", "student", {"goals": "目标", "measures": "措施"}),
    ("screening:phq9_create", "student", {"administered_on": "2026-01-01"}),
    ("screening:observation_review", "observation", {"review_note": "已阅", "level": ""}),
]


@pytest.mark.parametrize(("name", "target", "data"), B_WRITES, ids=[w[0] for w in B_WRITES])
def test_a_leader_of_b_writes_nothing_in_b_under_her_psych_assignment_of_a(
    client, world, users, in_b, name, target, data
):
    from crisis.models import Case, CaseEvent, CaseTask, FollowUp
    from mhcare.orgs.models import SupportPlan
    from screening.models import Observation, ScreeningResult

    def counts():
        return [
            m.objects.count()  # scope-lint: allow counting rows in a test
            for m in (Case, CaseEvent, CaseTask, FollowUp, ScreeningResult, SupportPlan)
        ] + [Observation.objects.filter(reviewed_by__isnull=False).count()]

    before = counts()
    login(client, users["psych_a_leader_b"])
    response = client.post(reverse(name, args=[in_b[target]]), data)
    assert response.status_code in (403, 404), (name, response.status_code)
    assert counts() == before
