"""Demo guardian consents for ``seed_demo``: in the first class of each school of the demo
counties, every guardian's decision recorded by the school's psychology teacher through the
service — consent, except about one in seven students not screened, whose guardian refused.
Deterministic (from the student number and the school year) and idempotent (the service changes
nothing for an identical decision)."""

from __future__ import annotations

import datetime
import zlib
from typing import Any

from django.db import transaction

from mhcare.accounts.models import Role, RoleAssignment
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass, SchoolYear, Student
from screening.consents.services import consent_record
from screening.demo import DEMO_COUNTY_CODES
from screening.models import ConsentDecision, ConsentWay, ScreeningResult


@transaction.atomic
def seed_consents_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    year = SchoolYear.current(today)
    if year is None:
        return
    counties = OrgUnit.objects.filter(code__in=DEMO_COUNTY_CODES, kind=OrgKind.COUNTY)
    day = min(year.start + datetime.timedelta(days=7), today)
    recorded = 0
    for assignment in (
        RoleAssignment.objects.active()
        .filter(role=Role.PSYCH_TEACHER, org_unit__parent__in=counties)
        .select_related("user", "org_unit")
        .order_by("org_unit_id", "id")
    ):
        klass = (
            SchoolClass.objects.filter(school=assignment.org_unit, school_year=year)
            .order_by("id")
            .first()
        )
        if klass is None:
            continue
        screened = set(
            ScreeningResult.objects.filter(student__klass=klass).values_list(
                "student_id", flat=True
            )
        )
        for student in Student.objects.enrolled().filter(klass=klass).order_by("id"):
            seed = zlib.crc32(student.student_number.encode())
            refused = student.pk not in screened and seed % 7 == 0
            consent_record(
                actor=assignment.user,
                student=student,
                decision=ConsentDecision.REFUSED if refused else ConsentDecision.CONSENTED,
                way=ConsentWay.WRITTEN if seed % 3 else ConsentWay.ONLINE,
                decided_on=day,
                student_assent=not refused,
            )
            recorded += 1
    if stdout is not None:
        stdout.write(f"Consent demo: {recorded} guardian decisions in place.")
