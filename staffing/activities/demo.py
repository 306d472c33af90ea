"""Demo MH education activities and family-education sessions for ``seed_demo``: the first school
of each demo county held a lecture, a themed class meeting and a 心理健康月 event; 西湖区's also
two parent-school sessions and a parent lecture, 柯城区's none (a gap on purpose). Written
through ``activity_record`` as the school's psychology teacher; only dates up to today.
Idempotent: skipped when the demo schools have activities."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from mhcare.accounts.models import Role
from mhcare.orgs.models import OrgKind, OrgUnit
from staffing.activities.services import activity_record
from staffing.lessons.demo import DEMO_COUNTY_CODES, _person
from staffing.models import ActivityKind, EducationActivity

EDUCATION = (
    (datetime.date(2026, 9, 18), ActivityKind.LECTURE, "新生心理适应讲座", 320),
    (datetime.date(2026, 10, 15), ActivityKind.CLASS_MEETING, "主题班会：情绪管理", 36),
    (datetime.date(2026, 11, 20), ActivityKind.MH_MONTH, "心理健康活动月：心灵游园会", 850),
)
FAMILY = (
    (datetime.date(2026, 9, 26), ActivityKind.PARENT_SCHOOL, "家长学校：青春期亲子沟通", 260),
    (datetime.date(2026, 11, 7), ActivityKind.PARENT_LECTURE, "家长讲座：识别孩子的情绪信号", 180),
    (datetime.date(2026, 12, 5), ActivityKind.PARENT_SCHOOL, "家长学校：寒假陪伴指南", 240),
)


def seed_activities_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    today = min(today, timezone.localdate())
    counties = list(OrgUnit.objects.filter(code__in=DEMO_COUNTY_CODES, kind=OrgKind.COUNTY))
    if EducationActivity.objects.filter(county__in=counties).exists():
        if stdout is not None:
            stdout.write("Activities demo: activities exist; nothing added.")
        return
    with transaction.atomic():
        for county in counties:
            school = (
                OrgUnit.objects.filter(parent=county, kind=OrgKind.SCHOOL).order_by("code").first()
            )
            psych = _person(Role.PSYCH_TEACHER, school) if school is not None else None
            if school is None or psych is None:
                continue
            plan = EDUCATION + (FAMILY if county.code == "330106" else ())
            count = 0
            for held_on, kind, title, participants in plan:
                if held_on > today:
                    continue
                activity_record(
                    actor=psych,
                    school=school,
                    kind=kind,
                    held_on=held_on,
                    title=title,
                    participants=participants,
                )
                count += 1
            if stdout is not None:
                stdout.write(f"Activities demo: {count} activities at {school.name}.")
