"""Training events (notice §6: pre-service, in-service, routine) with their participants. A school's
own training is recorded by its psychology teacher or leader; a county's (city's, province's) by the
bureau or the county center, with participants from the schools under it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgKind, OrgUnit
from staffing.models import MHTeacher, TrainingEvent, TrainingParticipant

NOT_A_TRAINING_UNIT = gettext_lazy("Training is recorded by a school, county, city or province.")
PARTICIPANT_OUTSIDE = gettext_lazy("%(name)s is not from a school under %(unit)s.")
TEACHER_OTHER_SCHOOL = gettext_lazy("%(name)s is not an MH teacher of that school.")
DUPLICATE_PARTICIPANT = gettext_lazy("%(name)s is listed twice.")
NO_PARTICIPANTS = gettext_lazy("A training needs at least one participant.")

BUREAU_KINDS = {OrgKind.COUNTY, OrgKind.CITY, OrgKind.PROVINCE}


@dataclass(frozen=True)
class ParticipantInput:
    name: str
    school: OrgUnit
    role: str = TrainingParticipant.Role.PARTICIPANT
    is_homeroom_teacher: bool = False
    user: Any = None
    teacher: MHTeacher | None = None


def may_record_training(actor: Any, unit: OrgUnit) -> bool:
    if unit.kind == OrgKind.SCHOOL:
        return policy.allowed(actor, policy.Action.MANAGE_STAFFING, unit)
    return policy.allowed(actor, policy.Action.MANAGE_BUREAU_STAFFING, unit)


@transaction.atomic
def training_record(
    *,
    actor: Any,
    unit: OrgUnit,
    kind: str,
    title: str,
    held_on: datetime.date,
    hours: Decimal = Decimal(0),
    includes_mh_content: bool = True,
    participants: Iterable[ParticipantInput],
) -> TrainingEvent:
    if unit.kind != OrgKind.SCHOOL and unit.kind not in BUREAU_KINDS:
        raise ValidationError({"unit": NOT_A_TRAINING_UNIT})
    if not may_record_training(actor, unit):
        raise PermissionDenied
    event = TrainingEvent(
        unit=unit,
        kind=kind,
        title=title.strip(),
        held_on=held_on,
        hours=hours,
        includes_mh_content=includes_mh_content,
    )
    event.full_clean()
    rows, seen = [], set()
    for person in participants:
        name = person.name.strip()
        key = (person.school.pk, name)
        if key in seen:
            raise ValidationError({"participants": str(DUPLICATE_PARTICIPANT) % {"name": name}})
        seen.add(key)
        if not person.school.path.startswith(unit.path) or person.school.kind != OrgKind.SCHOOL:
            raise ValidationError(
                {"participants": str(PARTICIPANT_OUTSIDE) % {"name": name, "unit": unit.name}}
            )
        if person.teacher is not None and person.teacher.school_id != person.school.pk:
            raise ValidationError({"participants": str(TEACHER_OTHER_SCHOOL) % {"name": name}})
        row = TrainingParticipant(
            school=person.school,
            name=name,
            role=person.role,
            is_homeroom_teacher=person.is_homeroom_teacher,
            user=person.user,
            teacher=person.teacher,
        )
        row.full_clean(exclude=["event"])
        rows.append(row)
    if not rows:
        raise ValidationError({"participants": NO_PARTICIPANTS})
    event.save()
    for row in rows:
        row.event = event
    TrainingParticipant.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=event,
        detail={
            "operation": "training_record",
            "unit": unit.code,
            "kind": kind,
            "participants": len(rows),
        },
    )
    return event
