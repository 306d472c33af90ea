"""Demo referrals (``seed_demo``): an institution profile for each demo county's mental-health
center, and in the county whose institution has a demo staff user (西湖区) one referral in each
state, written through the services by the demo users who would do each step. Elsewhere the
school's first steps (draft, consent, sent). Idempotent: a county that already has referrals is
left alone; a profile that exists is kept."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from crisis.models import Case, CaseStatus
from mhcare.accounts.models import Role, RoleAssignment
from mhcare.orgs.models import OrgKind, OrgUnit, Student
from referrals import services
from referrals.models import (
    ConsentWay,
    Institution,
    InstitutionLevel,
    Referral,
    ReferralState,
    Urgency,
)
from screening.demo import DEMO_COUNTY_CODES

S = ReferralState

# The state each demo referral is brought to, in order (one student each).
FULL_PATH = (
    S.DRAFT,
    S.GUARDIAN_INFORMED,
    S.SENT,
    S.ACCEPTED,
    S.DECLINED,
    S.IN_TREATMENT,
    S.FEEDBACK_RECEIVED,
    S.RETURNED,
    S.CLOSED,
    S.WITHDRAWN,
)
SCHOOL_ONLY = (S.DRAFT, S.GUARDIAN_INFORMED, S.SENT)


def _person(role: str, unit: OrgUnit) -> Any | None:
    assignment = (
        RoleAssignment.objects.active()
        .filter(role=role, org_unit=unit, user__is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return assignment.user if assignment else None


def _institution(county: OrgUnit, keeper: Any) -> Institution | None:
    unit = OrgUnit.objects.filter(parent=county, kind=OrgKind.INSTITUTION).order_by("code").first()
    if unit is None:
        return None
    existing = Institution.objects.filter(unit=unit).first()
    if existing is not None:
        return existing
    return services.institution_save(
        actor=keeper,
        unit=unit,
        level=InstitutionLevel.SPECIALIZED,
        departments="儿童青少年心理科；心理评估门诊；睡眠门诊",
        contact_name="医教协同办公室",
        contact_phone="0571-8000 0000",
        address=f"{county.name}卫生路 1 号",
        is_accepting=True,
        agreement_since=datetime.date(2024, 9, 1),
    )


def _students(school: OrgUnit, count: int) -> list[tuple[Student, Case | None]]:
    """Students with an open case first (a referral from the case), then others, by id."""
    cases = list(
        Case.objects.filter(school=school)
        .exclude(status=CaseStatus.CLOSED)
        .select_related("student")
        .order_by("id")
    )
    chosen: list[tuple[Student, Case | None]] = [(c.student, c) for c in cases[:count]]
    taken = {s.pk for s, _ in chosen}
    for student in Student.objects.filter(school=school).order_by("id")[: count * 2]:
        if len(chosen) >= count:
            break
        if student.pk not in taken:
            chosen.append((student, None))
    return chosen


def _bring_to(
    target: str, *, student: Student, case: Case | None, institution: Institution, people: dict
) -> Referral:
    psych, staff = people["psych"], people["staff"]
    referral = services.referral_create(
        actor=psych,
        student=student,
        case=case,
        institution=institution,
        urgency=Urgency.PRIORITY if case is not None else Urgency.ROUTINE,
        reason="持续情绪低落、睡眠差，学校评估后建议到专业机构进一步评估。",
        observations="近一个月上课注意力下降，两次在心理辅导中表示“什么都没意思”。",
    )
    if target == S.DRAFT:
        return referral
    if target == S.WITHDRAWN:
        return services.referral_transition(
            actor=psych, referral=referral, action="withdraw", reason="家长决定先在校内辅导观察。"
        )
    referral = services.referral_record_consent(
        actor=psych, referral=referral, guardian="学生母亲", way=ConsentWay.IN_PERSON
    )
    if target == S.GUARDIAN_INFORMED:
        return referral
    referral = services.referral_transition(actor=psych, referral=referral, action="send")
    if target == S.SENT or staff is None:
        return referral
    if target == S.DECLINED:
        return services.referral_transition(
            actor=staff,
            referral=referral,
            action="decline",
            reason="本院儿少科暂满，建议转市级医院。",
        )
    referral = services.referral_transition(actor=staff, referral=referral, action="accept")
    if target == S.ACCEPTED:
        return referral
    referral = services.referral_transition(
        actor=staff, referral=referral, action="start_treatment"
    )
    if target == S.IN_TREATMENT:
        return referral
    referral = services.referral_feedback(
        actor=staff,
        referral=referral,
        assessment_summary="经门诊评估，情绪问题以适应困难为主，已给予心理治疗。",
        diagnosis="适应障碍（伴抑郁情绪）",
        recommendations="每两周门诊复诊一次；学校继续每周心理辅导。",
        return_advice="可复学，建议减轻作业量两周，避免单独留校。",
        return_cleared=True,
    )
    if target == S.FEEDBACK_RECEIVED:
        return referral
    referral = services.referral_return(actor=psych, referral=referral)
    if target == S.RETURNED:
        return referral
    referral = services.referral_write_return_plan(
        actor=psych,
        referral=referral,
        plan="班主任每日关注；心理教师每周一次辅导；两周内减免部分作业；家校每周沟通一次。",
    )
    return services.referral_transition(actor=psych, referral=referral, action="close")


def seed_referrals_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text)

    counties = list(
        OrgUnit.objects.filter(code__in=DEMO_COUNTY_CODES, kind=OrgKind.COUNTY).order_by("code")
    )
    with transaction.atomic():
        for county in counties:
            keeper = _person(Role.COUNTY_CENTER, county)
            if keeper is None:
                continue
            institution = _institution(county, keeper)
            if institution is None:
                continue
            if Referral.objects.filter(county=county).exists():
                say(f"Referrals demo: {county.name} has referrals; nothing added.")
                continue
            school = (
                OrgUnit.objects.filter(parent=county, kind=OrgKind.SCHOOL).order_by("code").first()
            )
            psych = _person(Role.PSYCH_TEACHER, school) if school else None
            if school is None or psych is None:
                continue
            staff = _person(Role.INSTITUTION_STAFF, institution.unit)
            path = FULL_PATH if staff is not None else SCHOOL_ONLY
            people = {"psych": psych, "staff": staff}
            for target, (student, case) in zip(path, _students(school, len(path)), strict=False):
                _bring_to(
                    target, student=student, case=case, institution=institution, people=people
                )
            say(f"Referrals demo: {county.name}: {len(path)} referrals.")
