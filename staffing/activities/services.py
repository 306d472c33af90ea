"""Writes of MH education activities and family-education guidance sessions (notice §2, §14):
the school's psychology teacher and leader record them (``Action.RECORD_ACTIVITY``)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgKind, OrgUnit
from staffing.lessons.services import county_of
from staffing.models import ActivityKind, EducationActivity, category_of

NOT_RECORDER = gettext_lazy(
    "Only the school's psychology teacher or leader records its activities."
)
KIND_INVALID = gettext_lazy("Choose the kind of activity.")
TITLE_REQUIRED = gettext_lazy("Enter the activity's title.")
FUTURE_DATE = gettext_lazy("The date cannot be in the future.")
PARTICIPANTS_INVALID = gettext_lazy("Enter how many took part, from 1 to 100000.")


def recordable_schools(*, actor: Any) -> QuerySet[OrgUnit]:
    return (
        policy.units(actor, policy.Action.RECORD_ACTIVITY)
        .filter(kind=OrgKind.SCHOOL, is_active=True)
        .order_by("path")
    )


def may_record(actor: Any, school: OrgUnit | None = None) -> bool:
    return policy.allowed(actor, policy.Action.RECORD_ACTIVITY, school)


@transaction.atomic
def activity_record(
    *,
    actor: Any,
    school: OrgUnit,
    kind: str,
    held_on: datetime.date,
    title: str,
    participants: int,
) -> EducationActivity:
    """Record one activity of ``school`` with how many took part (its reach)."""
    if school.kind != OrgKind.SCHOOL or not may_record(actor, school):
        raise PermissionDenied(NOT_RECORDER)
    errors: dict[str, Any] = {}
    if kind not in ActivityKind.values:
        errors["kind"] = KIND_INVALID
    title = (title or "").strip()
    if not title:
        errors["title"] = TITLE_REQUIRED
    if held_on > timezone.localdate():
        errors["held_on"] = FUTURE_DATE
    if (
        isinstance(participants, bool)
        or not isinstance(participants, int)
        or not (1 <= participants <= 100_000)
    ):
        errors["participants"] = PARTICIPANTS_INVALID
    if errors:
        raise ValidationError(errors)
    activity = EducationActivity(
        school=school,
        county=county_of(school),
        kind=kind,
        category=category_of(kind),
        held_on=held_on,
        title=title,
        participants=participants,
        recorded_by=actor,
    )
    activity.full_clean()
    activity.save()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=activity,
        detail={"kind": kind, "participants": participants},
    )
    return activity
