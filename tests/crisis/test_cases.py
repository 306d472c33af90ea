"""The crisis registry: evaluation → case, level history, cadence and overdue, follow-ups, reviews,
transfers, the 上报 outbox row, and the scope matrix of the case pages."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crisis import selectors, services
from crisis.models import (
    Case,
    CaseEvent,
    CaseReport,
    CaseSource,
    CaseStatus,
    CaseTransfer,
    Evaluation,
    FollowUp,
    ReviewDecisionKind,
)
from mhcare.audit.models import Action, AuditEvent
from mhcare.core.risk import cadence_days
from screening.models import Instrument, ProposalStatus, RiskProposal
from screening.services import result_create
from tests import factories

ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # proposes level 2


def _propose(world, key="a"):
    return result_create(
        actor=world.users["psych_a" if key != "b" else "psych_b"],
        student=world.students[key],
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=ITEM9,
        administered_on=timezone.localdate(),
    )


def _confirm(world, level="2", key="a", actor="psych_a", reason="面谈确认有消极想法"):
    return services.evaluation_confirm(
        actor=world.users[actor], student=world.students[key], level=level, reason=reason
    )


# --- evaluation ----------------------------------------------------------------------------------


def test_evaluation_opens_a_case_and_keeps_the_proposal(world):
    _propose(world)
    outcome = _confirm(world)
    case = outcome.case
    assert outcome.opened
    assert (case.level, case.status, case.source) == ("2", CaseStatus.OPEN, CaseSource.SCREENING)
    assert case.responsible == world.users["psych_a"]
    assert case.next_follow_up_due == timezone.localdate() + datetime.timedelta(days=7)
    proposal = RiskProposal.objects.get(student=world.students["a"])
    assert proposal.status == ProposalStatus.CONFIRMED
    assert list(outcome.evaluation.proposals.all()) == [proposal]
    assert CaseEvent.objects.filter(case=case, kind="opened", to_level="2").count() == 1
    report = CaseReport.objects.get(case=case)
    assert report.version == 1
    assert report.due_by == case.level_confirmed_at + datetime.timedelta(hours=24)
    assert report.payload["student"]["name"] == "张小明"
    assert report.payload["schema"] == "mhcare.case-report/1"


def test_evaluation_without_level_dismisses(world):
    _propose(world)
    outcome = _confirm(world, level="")
    assert outcome.case is None
    assert RiskProposal.objects.get().status == ProposalStatus.DISMISSED
    assert not Case.objects.exists()


def test_level_three_is_not_reported(world):
    case = _confirm(world, level="3").case
    assert case.next_follow_up_due == timezone.localdate() + datetime.timedelta(days=30)
    assert not CaseReport.objects.exists()


def test_evaluation_needs_a_reason_and_a_writer(world):
    with pytest.raises(ValidationError):
        _confirm(world, reason="  ")
    for who in ("homeroom_a", "leader_a", "official_a", "psych_b"):
        with pytest.raises(PermissionDenied):
            _confirm(world, actor=who)
    assert not Case.objects.exists()


def test_evaluation_raises_an_open_case_and_refuses_to_lower_it(world):
    case = _confirm(world, level="3").case
    raised = _confirm(world, level="1").case
    assert raised.pk == case.pk
    assert raised.level == "1"
    assert raised.version == 2
    assert raised.next_follow_up_due == timezone.localdate() + datetime.timedelta(days=3)
    assert CaseReport.objects.filter(case=case, version=2).exists()
    with pytest.raises(ValidationError):
        _confirm(world, level="2")
    with pytest.raises(ValidationError):
        _confirm(world, level="")


def test_one_open_case_per_student_is_a_database_rule(world):
    case = _confirm(world).case
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(
            student=case.student,
            school=case.school,
            county=case.county,
            level="3",
            source=CaseSource.PARENT,
            opened_on=timezone.localdate(),
            open_reason="x",
            level_confirmed_at=timezone.now(),
        )


# --- level and status ----------------------------------------------------------------------------


def test_lowering_level_one_needs_the_crisis_group(world):
    case = _confirm(world, level="1").case
    with pytest.raises(ValidationError) as caught:
        services.case_change_level(
            actor=world.users["psych_a"], case=case, level="2", reason="好转"
        )
    assert "review" in str(caught.value)
    with pytest.raises(ValidationError):
        services.case_set_status(
            actor=world.users["psych_a"], case=case, status=CaseStatus.CLOSED, reason="好转"
        )
    review = services.review_record(
        actor=world.users["leader_a"],
        school=world.school_a,
        held_on=timezone.localdate(),
        participants="校长、心理教师、班主任",
        decisions=[
            services.DecisionInput(
                case=case, decision=ReviewDecisionKind.LOWER, new_level="2", note="情绪平稳"
            )
        ],
        next_review_on=timezone.localdate() + datetime.timedelta(days=14),
    )
    case.refresh_from_db()
    assert case.level == "2"
    event = CaseEvent.objects.filter(case=case, kind="level").last()
    assert (event.from_level, event.to_level, event.review_id) == ("1", "2", review.pk)
    assert "情绪平稳" in event.reason


def test_close_and_reopen(world):
    case = _confirm(world, level="3").case
    with pytest.raises(ValidationError):
        services.case_set_status(
            actor=world.users["psych_a"], case=case, status=CaseStatus.CLOSED, reason=""
        )
    services.case_set_status(
        actor=world.users["psych_a"], case=case, status=CaseStatus.CLOSED, reason="连续三次回访正常"
    )
    case.refresh_from_db()
    assert case.closed_on == timezone.localdate()
    assert case.next_follow_up_due is None
    # A closed case does not block a new one; reopening the old one is then refused.
    second = _confirm(world, level="2").case
    assert second.pk != case.pk
    with pytest.raises(ValidationError):
        services.case_set_status(
            actor=world.users["psych_a"], case=case, status=CaseStatus.OPEN, reason="复发"
        )
    services.case_set_status(
        actor=world.users["psych_a"], case=second, status=CaseStatus.CLOSED, reason="转介完成"
    )
    services.case_set_status(
        actor=world.users["psych_a"], case=case, status=CaseStatus.OPEN, reason="复发"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert [e.kind for e in CaseEvent.objects.filter(case=case)] == [
        "opened",
        "closed",
        "reopened",
    ]


# --- cadence, overdue, follow-ups -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "state"),
    [(-1, "overdue"), (0, "soon"), (3, "soon"), (4, "ok")],
)
def test_due_state_boundaries(offset, state):
    today = datetime.date(2026, 11, 30)
    assert selectors.due_state(today + datetime.timedelta(days=offset), today) == state


def test_cadence_is_configurable(settings):
    settings.CRISIS_FOLLOW_UP_DAYS = {"1": 2}
    assert cadence_days("1") == 2
    assert cadence_days("2") == 7


def test_follow_up_moves_the_due_date_and_clears_overdue(world):
    case = _confirm(world, level="2").case
    Case.objects.filter(pk=case.pk).update(
        opened_on=timezone.localdate() - datetime.timedelta(days=20),
        next_follow_up_due=timezone.localdate() - datetime.timedelta(days=2),
    )
    assert selectors.case_list(actor=world.users["center_a"]).rows[0].due_state == "overdue"
    assert Case.objects.overdue(timezone.localdate()).count() == 1
    case.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.follow_up_record(
            actor=world.users["psych_a"],
            case=case,
            done_on=timezone.localdate(),
            way="phone",
            state_observed="情绪平稳",
            next_due=timezone.localdate() + datetime.timedelta(days=8),
        )
    assert "within 7 days" in str(caught.value)
    with pytest.raises(ValidationError):
        services.follow_up_record(
            actor=world.users["psych_a"],
            case=case,
            done_on=timezone.localdate() + datetime.timedelta(days=1),
            way="phone",
            state_observed="x",
        )
    services.follow_up_record(
        actor=world.users["psych_a"],
        case=case,
        done_on=timezone.localdate(),
        way="talk",
        state_observed="情绪平稳，愿意交流",
        actions="约定下周再谈",
    )
    case.refresh_from_db()
    assert case.next_follow_up_due == timezone.localdate() + datetime.timedelta(days=7)
    assert Case.objects.overdue(timezone.localdate()).count() == 0
    # The notes are encrypted at rest.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT state_observed FROM crisis_followup")
        assert "情绪平稳" not in cursor.fetchone()[0]
    assert FollowUp.objects.get().state_observed == "情绪平稳，愿意交流"


# --- transfer ------------------------------------------------------------------------------------


def test_transfer_moves_the_case_with_its_history(world):
    case = _confirm(world, level="2").case
    services.follow_up_record(
        actor=world.users["psych_a"],
        case=case,
        done_on=timezone.localdate(),
        way="talk",
        state_observed="ok",
    )
    transfer = services.transfer_request(
        actor=world.users["psych_a"], case=case, to_school=world.school_b, note="家庭搬迁"
    )
    psych_b = world.users["psych_b"]
    assert [t.pk for t in selectors.incoming_transfers(actor=psych_b)] == [transfer.pk]
    with pytest.raises(PermissionDenied):
        services.transfer_decide(
            actor=world.users["psych_a"], transfer=transfer, accept=True, to_class=world.class_b
        )
    services.transfer_decide(actor=psych_b, transfer=transfer, accept=True, to_class=world.class_b)
    case.refresh_from_db()
    student = case.student
    assert (case.school_id, student.school_id, student.klass_id) == (
        world.school_b.pk,
        world.school_b.pk,
        world.class_b.pk,
    )
    transfer.refresh_from_db()
    assert transfer.old_school_access_until > timezone.localdate()
    # The new school sees the case and its history; the old school keeps what it wrote.
    assert selectors.case_get(actor=psych_b, pk=case.pk) == case
    history = selectors.case_history(actor=psych_b, case=case)
    assert [e.kind for e in history["events"]][-1] == "transferred"
    old = FollowUp.objects.filter(case=case)
    assert old.get().school_id == world.school_a.pk
    assert CaseTransfer.objects.get().status == "accepted"


# --- pages ---------------------------------------------------------------------------------------

CASE_MATRIX = [
    (None, 302),
    ("homeroom_a", 403),
    ("official_a", 403),
    ("admin", 403),
    ("psych_b", 404),
    ("center_b", 404),
    ("psych_a", 200),
    ("leader_a", 200),
    ("center_a", 200),
]


@pytest.mark.parametrize(("who", "expected"), CASE_MATRIX)
def test_case_page_matrix(client, world, who, expected):
    case = _confirm(world).case
    if who:
        client.force_login(world.users[who])
    before = AuditEvent.objects.filter(action=Action.VIEW).count()
    response = client.get(reverse("crisis:case_detail", args=[case.pk]))
    assert response.status_code == expected
    after = AuditEvent.objects.filter(action=Action.VIEW).count()
    assert after - before == (1 if expected == 200 else 0)


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 302), ("homeroom_a", 403), ("leader_a", 403), ("psych_b", 404), ("psych_a", 200)],
)
def test_evaluation_page_matrix(client, world, who, expected):
    _propose(world)
    if who:
        client.force_login(world.users[who])
    response = client.get(reverse("crisis:evaluate", args=[world.students["a"].pk]))
    assert response.status_code == expected


def test_evaluation_page_confirms(client, world, django_assert_max_num_queries):
    _propose(world)
    client.force_login(world.users["psych_a"])
    url = reverse("crisis:evaluate", args=[world.students["a"].pk])
    with django_assert_max_num_queries(20):
        page = client.get(url)
    assert "PHQ-9" in page.content.decode()
    bad = client.post(url, {"level": "2", "reason": ""})
    assert bad.status_code == 400
    done = client.post(url, {"level": "2", "reason": "面谈确认"})
    case = Case.objects.get()
    assert done["Location"] == reverse("crisis:case_detail", args=[case.pk])


def test_follow_up_page_and_overdue_mark(client, world):
    case = _confirm(world).case
    Case.objects.filter(pk=case.pk).update(
        opened_on=timezone.localdate() - datetime.timedelta(days=20),
        next_follow_up_due=timezone.localdate() - datetime.timedelta(days=1),
    )
    client.force_login(world.users["center_a"])
    listing = client.get(reverse("crisis:highrisk_list"), {"overdue": "on"})
    assert 'data-testid="overdue"' in listing.content.decode()
    response = client.post(
        reverse("crisis:case_follow_up", args=[case.pk]),
        {"done_on": timezone.localdate().isoformat(), "way": "phone", "state_observed": "平稳"},
    )
    assert response.status_code == 302
    listing = client.get(reverse("crisis:highrisk_list"))
    assert 'data-testid="overdue"' not in listing.content.decode()
    client.force_login(world.users["leader_a"])
    denied = client.post(
        reverse("crisis:case_follow_up", args=[case.pk]),
        {"done_on": timezone.localdate().isoformat(), "way": "phone", "state_observed": "x"},
    )
    assert denied.status_code == 403


def test_list_filters_and_keyset(client, world, django_assert_max_num_queries):
    for _ in range(5):
        student = factories.StudentFactory(klass=world.class_a)
        services.evaluation_confirm(
            actor=world.users["psych_a"], student=student, level="3", reason="x"
        )
    _confirm(world, level="1")
    actor = world.users["psych_a"]
    for sort in ("due", "level", "newest"):
        seen, after = [], None
        while True:
            page = selectors.case_list(
                actor=actor, filters=selectors.CaseFilters(sort=sort), after=after, page_size=2
            )
            seen.extend(c.pk for c in page.rows)
            if page.next_after is None:
                break
            after = page.next_after
        assert len(seen) == len(set(seen)) == 6, sort
    first = selectors.case_list(actor=actor, filters=selectors.CaseFilters(sort="level")).rows[0]
    assert first.level == "1"
    only_reported = selectors.case_list(
        actor=actor, filters=selectors.CaseFilters(not_reported=True)
    )
    assert [c.level for c in only_reported.rows] == ["1"]
    client.force_login(actor)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("crisis:highrisk_list"), {"level": "3", "grade": "8"})
    assert len(response.context["cases"].rows) == 5


def test_keyset_by_due_date_reaches_cases_without_a_due_date(world):
    """Cases without a follow-up due date come last and are reached by paging: from a page
    that ends on a dated case and from one that ends on an undated one."""
    actor = world.users["psych_a"]
    for _ in range(5):
        student = factories.StudentFactory(klass=world.class_a)
        services.evaluation_confirm(actor=actor, student=student, level="3", reason="x")
    cases = list(Case.objects.order_by("id"))
    Case.objects.filter(pk__in=[c.pk for c in cases[:3]]).update(next_follow_up_due=None)
    seen, after = [], None
    while True:
        page = selectors.case_list(
            actor=actor, filters=selectors.CaseFilters(sort="due"), after=after, page_size=2
        )
        seen.extend(c.pk for c in page.rows)
        if page.next_after is None:
            break
        after = page.next_after
    assert seen[-3:] == [c.pk for c in cases[:3]]
    assert sorted(seen) == [c.pk for c in cases]


def test_export_is_audited_and_names_the_viewer(client, world):
    _confirm(world)
    viewer = world.users["center_a"]
    client.force_login(viewer)
    response = client.get(reverse("crisis:highrisk_export"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert viewer.username in sheet["A1"].value
    assert sheet["B3"].value == "张小明"
    assert AuditEvent.objects.filter(action=Action.EXPORT, actor=viewer).count() == 1
    client.force_login(world.users["homeroom_a"])
    assert client.get(reverse("crisis:highrisk_export")).status_code == 403


def test_homeroom_sees_the_flag_and_her_tasks_never_the_notes(client, world):
    case = _confirm(world).case
    services.follow_up_record(
        actor=world.users["psych_a"],
        case=case,
        done_on=timezone.localdate(),
        way="talk",
        state_observed="秘密的谈话内容",
    )
    services.task_create(
        actor=world.users["psych_a"],
        case=case,
        assignee=world.users["homeroom_a"],
        title="课间多留意张小明",
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    client.force_login(world.users["homeroom_a"])
    student_page = client.get(reverse("orgs:student_detail", args=[world.students["a"].pk]))
    body = student_page.content.decode()
    assert "open case" in body
    assert "秘密的谈话内容" not in body
    home = client.get(reverse("core:home")).content.decode()
    assert "课间多留意张小明" in home
    assert "秘密的谈话内容" not in home


def test_transfer_pages_and_the_former_schools_read_access(client, world):
    case = _confirm(world).case
    client.force_login(world.users["psych_a"])
    bad = client.post(reverse("crisis:case_transfer", args=[case.pk]), {"to_school_code": "x"})
    assert bad.status_code == 400
    assert "No active school has this code" in bad.content.decode()
    sent = client.post(
        reverse("crisis:case_transfer", args=[case.pk]),
        {"to_school_code": world.school_b.code, "note": "搬家"},
    )
    assert sent.status_code == 302
    transfer = CaseTransfer.objects.get()
    url = reverse("crisis:transfer_decide", args=[transfer.pk])
    assert client.get(url).status_code == 404  # not for the old school to accept
    client.force_login(world.users["psych_b"])
    assert url in client.get(reverse("core:home")).content.decode()
    assert client.get(url).status_code == 200
    missing_class = client.post(url, {"accept": "1"})
    assert missing_class.status_code == 400
    accepted = client.post(url, {"accept": "1", "to_class": world.class_b.pk})
    assert accepted["Location"] == reverse("crisis:case_detail", args=[case.pk])
    # The former school still reads the case (read-only), until the access period ends.
    client.force_login(world.users["psych_a"])
    page = client.get(reverse("crisis:case_detail", args=[case.pk]))
    assert page.status_code == 200
    assert 'data-testid="former-school"' in page.content.decode()
    denied = client.post(
        reverse("crisis:case_follow_up", args=[case.pk]),
        {"done_on": timezone.localdate().isoformat(), "way": "phone", "state_observed": "x"},
    )
    assert denied.status_code in (400, 403)
    assert not FollowUp.objects.exists()
    CaseTransfer.objects.update(
        old_school_access_until=timezone.localdate() - datetime.timedelta(1)
    )
    assert client.get(reverse("crisis:case_detail", args=[case.pk])).status_code == 404


def test_task_page_goes_to_the_homeroom_teacher(client, world):
    case = _confirm(world).case
    client.force_login(world.users["psych_a"])
    response = client.post(
        reverse("crisis:case_task", args=[case.pk]),
        {"title": "每天课间留意", "due_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    assert [t.title for t in selectors.my_tasks(actor=world.users["homeroom_a"])] == [
        "每天课间留意"
    ]


def test_unreported_cases_show_on_the_home_page(client, world):
    case = _confirm(world).case
    client.force_login(world.users["center_a"])
    body = client.get(reverse("core:home")).content.decode()
    assert 'data-panel="not_yet_reported"' in body
    assert reverse("crisis:report_detail", args=[case.reports.get().pk]) in body


def test_evaluation_preselects_no_level(client, world):
    """Even "none" is not pre-selected (a student with item 9 positive was one click from
    "none"): an untouched level is a clear error; "none" is an explicit choice."""
    _propose(world)
    client.force_login(world.users["psych_a"])
    url = reverse("crisis:evaluate", args=[world.students["a"].pk])
    page = client.get(url).content.decode()
    radios = [line for line in page.split("<input") if 'name="level"' in line]
    assert len(radios) == 4
    assert not any("checked" in radio.split(">")[0] for radio in radios)
    missing = client.post(url, {"reason": "面谈确认"})
    assert missing.status_code == 400
    assert "Choose a level" in missing.content.decode()
    assert not Case.objects.exists()
    none = client.post(url, {"level": "none", "reason": "面谈后未达到预警标准"})
    assert none.status_code == 302
    assert not Case.objects.exists()
    assert Evaluation.objects.get().level == ""
