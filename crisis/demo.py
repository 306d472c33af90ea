"""Demo crisis records for ``seed_demo``, so that every role opens a living registry: in the first
school of each demo county the psychology teacher has evaluated three students with proposals —
a 二级 case opened three weeks ago and overdue for its follow-up (reported), a 二级 case confirmed
today (its 上报 pending, hours left) and a 三级 case followed up on time — plus a 研判 review, the
homeroom class's first family contacts and, in 西湖区, one extreme incident with its checklist
begun. Everything is written through the services (audited like real work); dates in the past are
then set directly, which only demo data may do. Idempotent: skipped when the demo counties have
cases."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from crisis import services
from crisis.families.services import family_contact_log
from crisis.incidents.services import incident_checklist_tick, incident_report
from crisis.models import (
    Case,
    CaseEvent,
    CaseReport,
    ContactWay,
    Evaluation,
    FollowUpWay,
    IncidentKind,
    IncidentSeverity,
    ReportStatus,
    ReviewDecisionKind,
)
from mhcare.accounts.models import Role, RoleAssignment
from mhcare.core.risk import RiskLevel
from mhcare.orgs.models import OrgKind, OrgUnit, Student
from screening.demo import DEMO_COUNTY_CODES
from screening.models import ProposalStatus, RiskProposal

INCIDENT_COUNTY = "330106"


def _person(role: str, unit: OrgUnit) -> Any | None:
    assignment = (
        RoleAssignment.objects.active()
        .filter(role=role, org_unit=unit, user__is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return assignment.user if assignment else None


def _proposed(school: OrgUnit, level: str, count: int) -> list[Student]:
    ids = (
        RiskProposal.objects.filter(school=school, status=ProposalStatus.PENDING, level=level)
        .order_by("student_id")
        .values_list("student_id", flat=True)
        .distinct()
    )
    return list(Student.objects.filter(pk__in=list(ids[:count])).order_by("pk"))


def _backdate(case: Case, days: int) -> None:
    moment = timezone.now() - datetime.timedelta(days=days)
    Case.objects.filter(pk=case.pk).update(
        opened_on=timezone.localdate(moment), level_confirmed_at=moment
    )
    CaseEvent.objects.filter(case=case).update(at=moment)
    Evaluation.objects.filter(case=case).update(evaluated_at=moment)
    CaseReport.objects.filter(case=case).update(
        due_by=moment + services.REPORT_WITHIN,
        status=ReportStatus.SENT,
        sent_at=moment + datetime.timedelta(hours=3),
        attempts=1,
        next_attempt_at=None,
        response={"demo": True},
    )
    case.refresh_from_db()


def _school_demo(school: OrgUnit, today: datetime.date) -> str:
    psych = _person(Role.PSYCH_TEACHER, school)
    homeroom = _person(Role.HOMEROOM_TEACHER, school)
    if psych is None:
        return f"{school.name}: no psychology teacher, skipped"
    orange = _proposed(school, RiskLevel.LEVEL_2, 2)
    yellow = _proposed(school, RiskLevel.LEVEL_3, 1)
    cases = []
    for student, level in [(s, RiskLevel.LEVEL_2) for s in orange] + [
        (s, RiskLevel.LEVEL_3) for s in yellow
    ]:
        outcome = services.evaluation_confirm(
            actor=psych,
            student=student,
            level=level,
            reason="综合评估：筛查结果与班主任观察一致，学生自述近两周睡眠差、情绪低落。",
        )
        if outcome.case is not None:
            cases.append(outcome.case)
    if not cases:
        return f"{school.name}: no pending proposals"
    # The first case: opened three weeks ago, reported then, last follow-up 12 days ago → overdue.
    overdue = cases[0]
    _backdate(overdue, 21)
    services.follow_up_record(
        actor=psych,
        case=overdue,
        done_on=today - datetime.timedelta(days=12),
        way=FollowUpWay.TALK,
        state_observed="情绪较前稳定，仍有入睡困难；否认自伤想法。",
        actions="约定每周谈话一次，已与家长电话沟通。",
    )
    # Its homeroom teacher gets a task (she sees the task and that there is a case, not the notes).
    homeroom_of_case = overdue.student.klass.homeroom_teacher if overdue.student.klass else None
    if homeroom_of_case is not None:
        services.task_create(
            actor=psych,
            case=overdue,
            assignee=homeroom_of_case,
            title="本周每天放学前与学生简短交流，留意情绪变化，有异常立即告知心理老师。",
            due_on=today + datetime.timedelta(days=5),
        )
    # The 三级 case (last one): followed up two days ago, on time.
    if len(cases) > 1:
        steady = cases[-1]
        _backdate(steady, 10)
        services.follow_up_record(
            actor=psych,
            case=steady,
            done_on=today - datetime.timedelta(days=2),
            way=FollowUpWay.WITH_PARENTS,
            state_observed="学习压力较大，家长表示会减少课外补习。",
        )
    services.review_record(
        actor=psych,
        school=school,
        held_on=today - datetime.timedelta(days=7),
        participants="校长、心理教师、德育主任、年级组长",
        decisions=[
            services.DecisionInput(
                case=overdue, decision=ReviewDecisionKind.KEEP, note="维持二级，加强回访。"
            )
        ],
        summary="本月研判：在案个案逐一讨论。",
        next_review_on=today + datetime.timedelta(days=21),
    )
    contacts = 0
    if homeroom is not None:
        class_ids = list(homeroom.homeroom_classes.values_list("pk", flat=True))
        students = Student.objects.enrolled().filter(klass_id__in=class_ids).order_by("pk")
        for index, student in enumerate(students[:5]):
            family_contact_log(
                actor=homeroom,
                student=student,
                contacted_on=today - datetime.timedelta(days=3 + index),
                way=ContactWay.PHONE if index % 2 else ContactWay.SCHOOL_MEETING,
                with_whom="母亲",
                topics="在校表现与作息",
            )
            contacts += 1
    if school.parent and school.parent.code == INCIDENT_COUNTY:
        occurred = timezone.now() - datetime.timedelta(days=4, hours=2)
        incident = incident_report(
            actor=psych,
            school=school,
            occurred_at=occurred,
            kind=IncidentKind.RUNAWAY,
            severity=IncidentSeverity.MODERATE,
            summary="一名学生晚自习后未返回宿舍，当晚 23 时在校外找到，身体无碍。",
            students=[cases[0].student],
        )
        for minutes, step in (
            (10, "plan_started_at"),
            (25, "parents_contacted_at"),
            (60, "bureau_informed_at"),
        ):
            incident_checklist_tick(
                actor=psych,
                incident=incident,
                step=step,
                at=occurred + datetime.timedelta(minutes=minutes),
            )
    return f"{school.name}: {len(cases)} cases, 1 review, {contacts} family contacts"


def seed_crisis_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text)

    counties = list(OrgUnit.objects.filter(code__in=DEMO_COUNTY_CODES, kind=OrgKind.COUNTY))
    if Case.objects.filter(county__in=counties).exists():
        say("Crisis demo: cases exist; nothing added.")
        return
    with transaction.atomic():
        for county in counties:
            school = (
                OrgUnit.objects.filter(parent=county, kind=OrgKind.SCHOOL).order_by("code").first()
            )
            if school is not None:
                say(f"Crisis demo: {_school_demo(school, today)}.")
