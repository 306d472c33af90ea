"""Demo staffing for ``seed_demo``: every demo school gets its MH teachers, with three schools per
county non-compliant on purpose (only a part-time teacher; a full-time teacher whose post ended last
month; nobody full-time), their leading and crisis groups (one school without a crisis group), a
county training with homeroom teachers, a school's own training, budgets, the county 教研员 (one
county without a full-time one) and the bureau's responsibilities.

Each demo school that has no psychology-teacher login gets one (``mh_<county>_<suffix>``, the demo
password), who records the school's staffing through the services like a real teacher would; the
county's bureau official records the county's. Idempotent: skipped when the demo schools have MH
teacher posts.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from mhcare.accounts.approvals import assignment_grant_setup
from mhcare.accounts.models import Role, RoleAssignment, User
from mhcare.orgs.demo import DEMO_COUNTIES, _password_hash, demo_password
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass
from staffing.budget.services import budget_set
from staffing.groups.services import MemberInput, group_establish, responsibility_set
from staffing.models import GroupKind, MHTeacher, PostKind, TrainingKind, TrainingParticipant
from staffing.teachers.services import researcher_add, teacher_add, teacher_end_post
from staffing.training.services import ParticipantInput, training_record

# Per school suffix: (post kind or None, ended last month?) of the main teacher, plus a part-timer.
PLANS = {
    "0001": (PostKind.FULLTIME, False),
    "0002": (PostKind.PARTTIME, False),  # non-compliant: part-time only
    "0003": (PostKind.FULLTIME, True),  # non-compliant: the full-time post ended last month
    "0004": (PostKind.FULLTIME, False),
    "0005": (None, False),  # non-compliant: nobody full-time
}
TEACHER_NAMES = ("林晓", "周敏", "郑洁", "吴静", "冯雪")


def _user(username: str, display: str, school: OrgUnit, hashed: str) -> User:
    user = User.objects.filter(username=username).first() or User(username=username)
    user.display_name = display
    user.email = f"{username}@demo.mhcare.invalid"
    user.is_active = True
    user.password = hashed
    user.save()
    # System setup: active at once, no second person (sod, issue 13).
    assignment_grant_setup(user=user, role=Role.PSYCH_TEACHER, org_unit=school, source="seed_demo")
    return user


def _writer(school: OrgUnit) -> Any:
    assignment = (
        RoleAssignment.objects.active()
        .filter(role__in=[Role.PSYCH_TEACHER, Role.SCHOOL_LEADER], org_unit=school)
        .select_related("user")
        .order_by("role", "id")
        .first()
    )
    return assignment.user if assignment else None


def seed_staffing_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text)

    codes = [f"{c.code}{s.suffix}" for c in DEMO_COUNTIES for s in c.schools]
    if MHTeacher.objects.filter(school__code__in=codes).exists():
        say("Staffing demo: teachers exist; nothing added.")
        return
    start = datetime.date(2023, 9, 1)
    last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
    with transaction.atomic():
        usernames = [f"mh_{c.slug}_{s.suffix}" for c in DEMO_COUNTIES for s in c.schools]
        hashed = _password_hash(demo_password(), usernames)
        for county_index, demo_county in enumerate(DEMO_COUNTIES):
            county = OrgUnit.objects.get(code=demo_county.code)
            official = _writer_official(county)
            for index, spec in enumerate(demo_county.schools):
                school = OrgUnit.objects.get(code=f"{county.code}{spec.suffix}")
                kind, ended = PLANS[spec.suffix]
                if county_index == 1 and spec.suffix in {"0002", "0003"}:
                    kind, ended = PostKind.FULLTIME, False  # 柯城区 does better
                writer = _writer(school)
                name = TEACHER_NAMES[index]
                account = None
                if writer is None:
                    account = _user(
                        f"mh_{demo_county.slug}_{spec.suffix}", f"{name}（心理）", school, hashed
                    )
                    writer = account
                elif writer.username.startswith("psych_"):
                    account = writer
                main = None
                if kind is not None:
                    main = teacher_add(
                        actor=writer,
                        school=school,
                        name=name,
                        kind=kind,
                        start_date=start,
                        psychology_degree=index % 2 == 0,
                        certificate_level="B" if index % 2 == 0 else "C",
                        certificate_date=datetime.date(2022, 6, 30),
                        homeroom_equal_treatment=kind == PostKind.FULLTIME,
                        user=account,
                    )
                    if ended:
                        teacher_end_post(actor=writer, teacher=main, end_date=last_month_end)
                teacher_add(
                    actor=writer,
                    school=school,
                    name=f"{name[0]}老师（兼职）",
                    kind=PostKind.PARTTIME,
                    start_date=datetime.date(2024, 2, 20),
                    user=account if kind is None else None,
                )
                members = [
                    MemberInput("校长", "组长"),
                    MemberInput("分管副校长", "副组长"),
                    MemberInput(name, "成员（心理教师）"),
                ]
                group_establish(
                    actor=writer,
                    school=school,
                    kind=GroupKind.LEADING,
                    established_on=datetime.date(2023, 9, 10),
                    responsible_leader="分管副校长",
                    members=members,
                )
                if spec.suffix != "0005":
                    group_establish(
                        actor=writer,
                        school=school,
                        kind=GroupKind.CRISIS,
                        established_on=datetime.date(2023, 9, 10),
                        responsible_leader="校长",
                        members=[*members, MemberInput("德育主任", "成员")],
                    )
                budget_set(
                    actor=writer, unit=school, year=today.year, amount=Decimal(20000 + 5000 * index)
                )
                training_record(
                    actor=writer,
                    unit=school,
                    kind=TrainingKind.ROUTINE,
                    title="班主任心理健康教育校本培训",
                    held_on=datetime.date(2026, 10, 15),
                    hours=Decimal(2),
                    participants=[
                        ParticipantInput(name=name, school=school, teacher=main),
                    ],
                )
            _county(county, official, today, trains_homeroom=county_index == 0)
    say("Staffing demo: teachers, groups, training, budgets and 教研员 added.")


def _writer_official(county: OrgUnit) -> Any:
    assignment = (
        RoleAssignment.objects.active()
        .filter(role=Role.OFFICIAL, org_unit=county)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return assignment.user if assignment else None


def _county(county: OrgUnit, official: Any, today: datetime.date, *, trains_homeroom: bool) -> None:
    if official is None:
        return
    responsibility_set(
        actor=official,
        unit=county,
        responsible_leader="分管副局长",
        division="基础教育科",
        person_in_charge="科长",
        center_role="区县心理辅导中心统筹全区中小学心理健康教育、危机干预与转介",
    )
    budget_set(actor=official, unit=county, year=today.year, amount=Decimal(500000))
    research = OrgUnit.objects.filter(parent=county, kind=OrgKind.RESEARCH).first()
    if research is not None:
        researcher_add(
            actor=official,
            unit=research,
            name="许研（心理教研员）",
            kind=PostKind.FULLTIME if trains_homeroom else PostKind.PARTTIME,
            start_date=datetime.date(2024, 9, 1),
        )
    participants = []
    homeroom = (
        SchoolClass.objects.filter(school__parent=county, homeroom_teacher__isnull=False)
        .select_related("school", "homeroom_teacher")
        .order_by("id")
    )
    if trains_homeroom:
        for klass in homeroom:
            teacher = klass.homeroom_teacher
            if teacher is None:
                continue
            participants.append(
                ParticipantInput(
                    name=teacher.display_name or teacher.username,
                    school=klass.school,
                    is_homeroom_teacher=True,
                    user=teacher,
                )
            )
    first = OrgUnit.objects.filter(parent=county, kind=OrgKind.SCHOOL).order_by("code").first()
    if first is not None:
        participants.append(
            ParticipantInput(
                name="县心理辅导中心讲师",
                school=first,
                role=TrainingParticipant.Role.TRAINER,
            )
        )
    training_record(
        actor=official,
        unit=county,
        kind=TrainingKind.IN_SERVICE,
        title="全县班主任心理健康教育专题培训",
        held_on=datetime.date(2026, 11, 5),
        hours=Decimal(6),
        participants=participants,
    )
