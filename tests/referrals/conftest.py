"""Referral fixtures: an institution unit in county A with its profile and a staff user, a second
institution (county B) with its own staff, and ``bring_to`` which moves a fresh referral of a
student to any state through the services, as the people who do each step."""

from __future__ import annotations

from typing import Any

import pytest

from mhcare.accounts.models import Role
from mhcare.orgs.models import OrgKind, OrgUnit
from referrals import services
from referrals.models import ConsentWay, Institution, InstitutionLevel, Referral, ReferralState
from tests import factories

S = ReferralState

# The services' path to each state (one referral each).
PATH: dict[str, list[tuple[str, str]]] = {
    S.DRAFT: [],
    S.GUARDIAN_INFORMED: [("school", "consent")],
    S.SENT: [("school", "consent"), ("school", "send")],
    S.ACCEPTED: [("school", "consent"), ("school", "send"), ("inst", "accept")],
    S.DECLINED: [("school", "consent"), ("school", "send"), ("inst", "decline")],
    S.IN_TREATMENT: [
        ("school", "consent"),
        ("school", "send"),
        ("inst", "accept"),
        ("inst", "start_treatment"),
    ],
    S.FEEDBACK_RECEIVED: [
        ("school", "consent"),
        ("school", "send"),
        ("inst", "accept"),
        ("inst", "feedback"),
    ],
    S.RETURNED: [
        ("school", "consent"),
        ("school", "send"),
        ("inst", "accept"),
        ("inst", "feedback"),
        ("school", "return"),
    ],
    S.CLOSED: [
        ("school", "consent"),
        ("school", "send"),
        ("inst", "accept"),
        ("inst", "feedback"),
        ("school", "return"),
        ("school", "plan"),
        ("school", "close"),
    ],
    S.WITHDRAWN: [("school", "withdraw")],
}


def make_institution(county: OrgUnit, code: str, name: str) -> Institution:
    unit = OrgUnit.objects.create(code=code, name=name, kind=OrgKind.INSTITUTION, parent=county)
    return Institution.objects.create(
        unit=unit, county=county, level=InstitutionLevel.SPECIALIZED, is_accepting=True
    )


@pytest.fixture
def inst(world):
    """Institution H in county A with staff ``staff_h``; institution K in county B with
    ``staff_k``."""
    h = make_institution(world.county_a, "330106H", "西湖区精神卫生中心")
    k = make_institution(world.county_b, "330102H", "上城区精神卫生中心")
    world.users["staff_h"] = factories.user_with_role(
        Role.INSTITUTION_STAFF, h.unit, username="staff_h"
    )
    world.users["staff_k"] = factories.user_with_role(
        Role.INSTITUTION_STAFF, k.unit, username="staff_k"
    )
    world.inst_h, world.inst_k = h, k
    return h


def do(world: Any, referral: Referral, side: str, action: str) -> Referral:
    school = world.users["psych_a"] if referral.school_id == world.school_a.pk else None
    school = school or world.users["psych_b"]
    staff = (
        world.users["staff_h"]
        if referral.institution_id == world.inst_h.pk
        else world.users["staff_k"]
    )
    actor = school if side == "school" else staff
    # as on a new request: no grants or shares cached from an earlier step
    actor = type(actor).objects.get(pk=actor.pk)
    if action == "consent":
        return services.referral_record_consent(
            actor=actor, referral=referral, guardian="母亲", way=ConsentWay.PHONE
        )
    if action == "feedback":
        return services.referral_feedback(
            actor=actor,
            referral=referral,
            assessment_summary="评估摘要：适应困难",
            diagnosis="适应障碍",
            recommendations="复诊",
            return_advice="可复学",
            return_cleared=True,
        )
    if action == "return":
        return services.referral_return(actor=actor, referral=referral)
    if action == "plan":
        return services.referral_write_return_plan(actor=actor, referral=referral, plan="复学计划")
    reason = "原因" if action in services.REASON_ACTIONS else ""
    return services.referral_transition(
        actor=actor, referral=referral, action=action, reason=reason
    )


def bring_to(world: Any, state: str, *, student_key: str = "a", case: Any = None) -> Referral:
    student = world.students[student_key]
    maker = world.users["psych_a"] if student.school_id == world.school_a.pk else None
    if maker is None and student.school_id == world.school_b.pk:
        maker = world.users["psych_b"]
    assert maker is not None, "bring_to works for students of schools A and B"
    referral = services.referral_create(
        actor=maker,
        student=student,
        institution=world.inst_h,
        reason="持续情绪低落",
        urgency="priority",
        observations="上课走神",
        case=case,
    )
    for side, action in PATH[state]:
        referral = do(world, referral, side, action)
    assert referral.state == state
    return referral
