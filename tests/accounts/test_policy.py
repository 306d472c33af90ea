"""The write policy, decided per role assignment: users holding two roles in two schools write only
where the assignment that grants the action covers the object, and read as each role allows."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisis import services as crisis_services
from crisis.incidents import services as incident_services
from mhcare.accounts import policy, scope
from mhcare.accounts.models import Role
from mhcare.accounts.policy import Action
from mhcare.accounts.scope import RecordKind
from mhcare.audit.selectors import can_see_student_viewers
from mhcare.orgs.models import Student
from screening.growth.services import support_plan_save
from screening.models import Instrument, Observation
from screening.observations import selectors as observation_selectors
from screening.observations import services as observation_services
from screening.services import result_create
from tests import factories

ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]


def add_role(user, role, unit, klass=None):
    factories.RoleAssignmentFactory(user=user, role=role, org_unit=unit, klass=klass)
    return type(user).objects.get(pk=user.pk)  # a fresh request's user: grants reloaded


@pytest.fixture
def two_roles(world):
    """Users with two roles in two schools (the shapes issue 9 names)."""
    psych_a_leader_b = factories.user_with_role(
        Role.PSYCH_TEACHER, world.school_a, username="psych_a_leader_b"
    )
    psych_a_leader_b = add_role(psych_a_leader_b, Role.SCHOOL_LEADER, world.school_b)
    homeroom_a_psych_b = factories.user_with_role(
        Role.HOMEROOM_TEACHER, world.school_a, klass=world.class_a, username="homeroom_a_psych_b"
    )
    homeroom_a_psych_b = add_role(homeroom_a_psych_b, Role.PSYCH_TEACHER, world.school_b)
    leader_a_center_b = factories.user_with_role(
        Role.SCHOOL_LEADER, world.school_a, username="leader_a_center_b"
    )
    leader_a_center_b = add_role(leader_a_center_b, Role.COUNTY_CENTER, world.county_b)
    return {
        "psych_a_leader_b": psych_a_leader_b,
        "homeroom_a_psych_b": homeroom_a_psych_b,
        "leader_a_center_b": leader_a_center_b,
    }


# (user, action, student key, allowed): every write action, both schools.
MATRIX = [
    # psych teacher of A + leader of B: writes A as a psych teacher; B only as a leader
    ("psych_a_leader_b", Action.WRITE_CASE, "a", True),
    ("psych_a_leader_b", Action.WRITE_CASE, "b", False),
    ("psych_a_leader_b", Action.EDIT_SUPPORT_PLAN, "a", True),
    ("psych_a_leader_b", Action.EDIT_SUPPORT_PLAN, "b", False),
    ("psych_a_leader_b", Action.ENTER_RESULTS, "a", True),
    ("psych_a_leader_b", Action.ENTER_RESULTS, "b", False),
    ("psych_a_leader_b", Action.REVIEW_OBSERVATION, "a", True),
    ("psych_a_leader_b", Action.REVIEW_OBSERVATION, "b", False),
    ("psych_a_leader_b", Action.ISSUE_SELFSCREEN_CODES, "a", True),
    ("psych_a_leader_b", Action.ISSUE_SELFSCREEN_CODES, "b", False),
    ("psych_a_leader_b", Action.RECORD_REVIEW, "a", True),
    ("psych_a_leader_b", Action.RECORD_REVIEW, "b", True),
    ("psych_a_leader_b", Action.MANAGE_INCIDENT, "b", True),
    ("psych_a_leader_b", Action.LOG_FAMILY_CONTACT, "b", True),
    ("psych_a_leader_b", Action.SEE_STUDENT_VIEWERS, "b", True),
    ("psych_a_leader_b", Action.REPORT_OBSERVATION, "a", False),
    ("psych_a_leader_b", Action.WRITE_CASE, "a2", False),
    ("psych_a_leader_b", Action.RECORD_REVIEW, "a2", False),
    ("psych_a_leader_b", Action.MANAGE_INCIDENT, "a2", False),
    # homeroom teacher of a class in A + psych teacher of B
    ("homeroom_a_psych_b", Action.REPORT_OBSERVATION, "a", True),
    ("homeroom_a_psych_b", Action.REPORT_OBSERVATION, "a_other_class", False),
    ("homeroom_a_psych_b", Action.REPORT_OBSERVATION, "b", False),
    ("homeroom_a_psych_b", Action.WRITE_CASE, "a", False),
    ("homeroom_a_psych_b", Action.WRITE_CASE, "b", True),
    ("homeroom_a_psych_b", Action.EDIT_SUPPORT_PLAN, "a", False),
    ("homeroom_a_psych_b", Action.EDIT_SUPPORT_PLAN, "b", True),
    ("homeroom_a_psych_b", Action.ENTER_RESULTS, "a", False),
    ("homeroom_a_psych_b", Action.REVIEW_OBSERVATION, "a", False),
    ("homeroom_a_psych_b", Action.LOG_FAMILY_CONTACT, "a", True),
    ("homeroom_a_psych_b", Action.LOG_FAMILY_CONTACT, "a_other_class", False),
    ("homeroom_a_psych_b", Action.RECORD_REVIEW, "a", False),
    ("homeroom_a_psych_b", Action.MANAGE_INCIDENT, "a", False),
    ("homeroom_a_psych_b", Action.MANAGE_INCIDENT, "b", True),
    # leader of A + county center of B's county
    ("leader_a_center_b", Action.WRITE_CASE, "a", False),
    ("leader_a_center_b", Action.WRITE_CASE, "b", True),
    ("leader_a_center_b", Action.ENTER_RESULTS, "a", False),
    ("leader_a_center_b", Action.ENTER_RESULTS, "b", True),
    ("leader_a_center_b", Action.RECORD_REVIEW, "a", True),
    ("leader_a_center_b", Action.RECORD_REVIEW, "b", False),
    ("leader_a_center_b", Action.SEE_STUDENT_VIEWERS, "b", False),
    ("leader_a_center_b", Action.IMPORT_ROSTER, "a", True),
    ("leader_a_center_b", Action.IMPORT_ROSTER, "b", False),
]


@pytest.mark.parametrize(("who", "action", "key", "expected"), MATRIX)
def test_the_assignment_granting_the_action_must_cover_the_object(
    world, two_roles, who, action, key, expected
):
    user, student = two_roles[who], world.students[key]
    assert policy.allowed(user, action, student) is expected
    # a class and a school decide the same way as the student in them (class roles: the class)
    assert policy.allowed(user, action, student.klass) is expected
    if policy.class_ids(user, action) == set():
        assert policy.allowed(user, action, student.school) is expected
    if expected:
        policy.require(user, action, student)
    else:
        with pytest.raises(PermissionDenied):
            policy.require(user, action, student)


def test_every_action_is_in_the_table_and_anywhere_follows_the_roles(two_roles):
    assert set(policy.ACTION_RULES) == set(Action)
    user = two_roles["psych_a_leader_b"]
    assert policy.anywhere(user, Action.WRITE_CASE)
    assert not policy.anywhere(user, Action.REPORT_OBSERVATION)
    assert not policy.anywhere(user, Action.REQUEST_COMPLIANCE_REPORT)
    assert policy.anywhere(two_roles["leader_a_center_b"], Action.REQUEST_COMPLIANCE_REPORT)


def test_reads_follow_each_role(world, two_roles):
    user = two_roles["psych_a_leader_b"]
    names = {
        kind: set(scope.scoped(user, Student, kind=kind).values_list("name", flat=True))
        for kind in (RecordKind.STUDENT, RecordKind.SCORE, RecordKind.CASE, RecordKind.NOTE)
    }
    a_names = {"张小明", "李小红"}
    assert names[RecordKind.STUDENT] == a_names | {"赵小丽"}
    assert names[RecordKind.CASE] == a_names | {"赵小丽"}  # the leader reads B's cases
    assert names[RecordKind.SCORE] == a_names  # item scores of A only
    assert names[RecordKind.NOTE] == a_names


# --- the services ask the policy --------------------------------------------------------------


def _phq9(actor, student):
    return result_create(
        actor=actor,
        student=student,
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=ITEM9,
        administered_on=timezone.localdate(),
    )


def test_psych_of_a_leader_of_b_opens_no_case_for_a_student_of_b(world, two_roles):
    user = two_roles["psych_a_leader_b"]
    with pytest.raises(PermissionDenied):
        crisis_services.evaluation_confirm(
            actor=user, student=world.students["b"], level="2", reason="面谈"
        )
    outcome = crisis_services.evaluation_confirm(
        actor=user, student=world.students["a"], level="2", reason="面谈"
    )
    assert outcome.case is not None
    # B's own psychology teacher opens B's case; the leader of B then reads it but writes nothing
    case_b = crisis_services.evaluation_confirm(
        actor=world.users["psych_b"], student=world.students["b"], level="2", reason="面谈"
    ).case
    assert crisis_services.may_write_cases(user, world.students["b"]) is False
    with pytest.raises(PermissionDenied):
        crisis_services.follow_up_record(
            actor=user,
            case=case_b,
            done_on=timezone.localdate(),
            way="interview",
            state_observed="平稳",
        )


def test_psych_of_a_leader_of_b_edits_no_plan_and_enters_no_result_in_b(world, two_roles):
    user = two_roles["psych_a_leader_b"]
    plan = {"goals": "目标", "measures": "措施", "responsible": "心理老师", "review_date": None}
    with pytest.raises(PermissionDenied):
        support_plan_save(actor=user, student=world.students["b"], **plan)
    support_plan_save(actor=user, student=world.students["a"], **plan)
    with pytest.raises(PermissionDenied):
        _phq9(user, world.students["b"])
    _phq9(user, world.students["a"])


def test_observations_are_reviewed_only_under_the_psych_assignment(world, two_roles):
    homeroom_b = factories.user_with_role(
        Role.HOMEROOM_TEACHER, world.school_b, klass=world.class_b, username="homeroom_b"
    )
    observed = timezone.localdate() - datetime.timedelta(days=1)
    in_b = observation_services.observation_report(
        actor=homeroom_b,
        student=world.students["b"],
        category=Observation._meta.get_field("category").choices[0][0],
        description="情绪低落",
        observed_on=observed,
    )
    user = two_roles["psych_a_leader_b"]
    # the leader of B sees the observation exists, but the review queue is the psych teacher's
    assert scope.scoped(user, Observation).filter(pk=in_b.pk).exists()
    assert not observation_selectors.queue_queryset(actor=user).filter(pk=in_b.pk).exists()
    with pytest.raises(PermissionDenied):
        observation_services.observation_review(actor=user, observation=in_b, review_note="已阅")
    # the homeroom teacher of A reports for her class only
    reporter = two_roles["homeroom_a_psych_b"]
    with pytest.raises(PermissionDenied):
        observation_services.observation_report(
            actor=reporter,
            student=world.students["a_other_class"],
            category=in_b.category,
            description="情绪低落",
            observed_on=observed,
        )
    # and as B's psychology teacher she reviews B's observation
    observation_services.observation_review(actor=reporter, observation=in_b, review_note="已阅")


def test_leader_of_b_records_incidents_in_b_but_not_in_a2(world, two_roles):
    user = two_roles["psych_a_leader_b"]
    assert incident_services.may_manage(user, world.school_b)
    assert not incident_services.may_manage(user, world.school_a2)
    assert can_see_student_viewers(actor=user, student=world.students["b"])
    assert not can_see_student_viewers(actor=user, student=world.students["a2"])


# --- shares name the record kinds they open ----------------------------------------------------


def test_a_share_opens_only_the_record_kind_it_names(world):
    from mhcare.orgs.models import OrgKind, OrgUnit

    institution = OrgUnit.objects.create(
        code="330106H", name="西湖区精神卫生中心", kind=OrgKind.INSTITUTION, parent=world.county_a
    )
    staff = factories.user_with_role(Role.INSTITUTION_STAFF, institution, username="inst")
    student = world.students["a"]

    # shared as a referral: visible as a referral, not as scores, cases, notes or the roster
    scope.share(staff, student, RecordKind.REFERRAL)
    staff = type(staff).objects.get(pk=staff.pk)
    assert list(scope.scoped(staff, Student, kind=RecordKind.REFERRAL)) == [student]
    for kind in (RecordKind.SCORE, RecordKind.CASE, RecordKind.NOTE, RecordKind.STUDENT):
        assert not scope.scoped(staff, Student, kind=kind).exists(), kind

    # a plain view share (the model's own kind) opens the record, still not its scores or cases
    scope.share(staff, student)
    staff = type(staff).objects.get(pk=staff.pk)
    assert list(scope.scoped(staff, Student)) == [student]
    assert not scope.scoped(staff, Student, kind=RecordKind.SCORE).exists()
    assert not scope.scoped(staff, Student, kind=RecordKind.CASE).exists()
    assert scope.share_codename(Student, RecordKind.STUDENT) == "view_student"
    assert scope.share_codename(Student, RecordKind.CASE) == "view_student_as_case"


def test_responsible_is_the_psych_teacher_of_the_students_school_not_of_another(world):
    # a psychology teacher of A who also works at B's county center opens a case in B as center
    # staff: she is not B's psychology teacher, so the case waits for one
    user = factories.user_with_role(Role.PSYCH_TEACHER, world.school_a, username="psych_a_center_b")
    user = add_role(user, Role.COUNTY_CENTER, world.county_b)
    in_b = crisis_services.evaluation_confirm(
        actor=user, student=world.students["b"], level="2", reason="面谈"
    ).case
    assert in_b.responsible is None
    in_a = crisis_services.evaluation_confirm(
        actor=user, student=world.students["a"], level="2", reason="面谈"
    ).case
    assert in_a.responsible == user
    assert policy.holds(user, Role.PSYCH_TEACHER, world.students["a"])
    assert not policy.holds(user, Role.PSYCH_TEACHER, world.students["b"])


def test_a_share_must_name_a_known_kind(world):
    staff = factories.user_with_role(Role.SCHOOL_LEADER, world.school_b, username="leader_x")
    with pytest.raises(ValueError, match="Unknown record kind"):
        scope.share(staff, world.students["a"], "everything")
    assert not scope.scoped(staff, Student).filter(pk=world.students["a"].pk).exists()
