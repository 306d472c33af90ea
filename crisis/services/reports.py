"""The 上报 outbox rows of a case: the payload the provincial platform receives, and a (case,
version) row whenever a change must be reported (delivery is the kernel outbox's)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from crisis.models import (
    Case,
    CaseReport,
    CaseStatus,
)
from crisis.services.common import (
    REPORT_WITHIN,
    REPORTED_LEVELS,
)
from mhcare.orgs.models import OrgUnit


def report_payload(case: Case) -> dict[str, Any]:
    """What 上报 sends to the provincial platform (format ``mhcare.case-report/1``)."""
    student = case.student
    school = OrgUnit.objects.only("code", "name").get(pk=case.school_id)
    county = OrgUnit.objects.only("code", "name").get(pk=case.county_id)
    responsible = case.responsible
    return {
        "schema": "mhcare.case-report/1",
        "case_id": case.pk,
        "version": case.version,
        "level": case.level,
        "status": case.status,
        "source": case.source,
        "confirmed_at": case.level_confirmed_at.astimezone(datetime.UTC).isoformat(),
        "student": {
            "student_number": student.student_number,
            "name": student.name,
            "gender": student.gender,
            "birth_date": student.birth_date.isoformat(),
        },
        "school": {"code": school.code, "name": school.name},
        "county": {"code": county.code, "name": county.name},
        "responsible": (responsible.get_full_name() or responsible.username)
        if responsible
        else None,
    }


def masked_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as people see it (the report page, the reports API): the student number
    masked like everywhere else. Only the body POSTed to the provincial platform carries it in
    full (and its sending is audited); a person who needs it uses the student's audited reveal."""
    from mhcare.orgs.models import mask_middle

    student = payload.get("student")
    if not isinstance(student, dict) or not student.get("student_number"):
        return payload
    number = str(student["student_number"])
    return {**payload, "student": {**student, "student_number": mask_middle(number, 4, 4)}}


def _is_reportable(level: str, status: str) -> bool:
    return level in REPORTED_LEVELS and status != CaseStatus.CLOSED


def report_enqueue(case: Case) -> CaseReport | None:
    """Put the case's current version in the 上报 outbox (idempotent by case and version) when it
    is 一级 / 二级 and active — or when it takes a reported case off that register (lowered to
    三级 or closed): the platform must learn the change, the payload says the new level and
    status. Delivery is the reporting task's job."""
    existing = CaseReport.objects.filter(case=case, version=case.version).first()
    if existing is not None:
        return existing
    reportable = _is_reportable(case.level, case.status)
    if not reportable:
        last = (
            CaseReport.objects.filter(case=case, version__lt=case.version)
            .order_by("-version")
            .only("level", "payload")
            .first()
        )
        if last is None or not _is_reportable(last.level, str(last.payload.get("status", ""))):
            return None  # never reported, or its leaving the register is reported already
    # A closure keeps the last confirmation time: its deadline runs from now.
    start = case.level_confirmed_at if reportable else timezone.now()
    return CaseReport.objects.create(
        case=case,
        school_id=case.school_id,
        county_id=case.county_id,
        version=case.version,
        level=case.level,
        payload=report_payload(case),
        due_by=start + REPORT_WITHIN,
        next_attempt_at=timezone.now(),
    )
