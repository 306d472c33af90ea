"""Writes of extreme incidents (notice §12): report one, tick its emergency checklist, add
actions to its timeline.

Who writes: the school's psychology teacher and school leader, and the county center staff for a
school of their county. Officials (the bureau) read incidents but never write them.

Every tick of a checklist step also appends an ``IncidentAction`` to the timeline. The model has no
column saying which step an action records, so the automatic action's ``description`` is the stable
marker ``checklist:<field>`` (see ``step_marker``); pages translate it into the step's label in the
reader's language. Everything is audited in the same transaction.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisis.models import Incident, IncidentAction, IncidentKind, IncidentSeverity
from mhcare.accounts import policy, scope
from mhcare.accounts.models import Role
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.notifications.services import notification_send
from mhcare.orgs.models import OrgKind, OrgUnit, Student

NOT_MANAGER = gettext_lazy(
    "Only the school's psychology teacher or leader, or the county center, records incidents."
)
FUTURE_TIME = gettext_lazy("The time cannot be in the future.")
BEFORE_OCCURRED = gettext_lazy("The time cannot be before the incident occurred.")
SUMMARY_REQUIRED = gettext_lazy("Describe what happened.")
DESCRIPTION_REQUIRED = gettext_lazy("Describe the action.")
BUREAU_TEXT_REQUIRED = gettext_lazy(
    "Write what happened as the bureau may read it, without any name."
)
UNKNOWN_STEP = gettext_lazy("Unknown checklist step.")
STEP_ALREADY_DONE = gettext_lazy("This step has already been recorded.")
STEP_REQUIRED = gettext_lazy("This step is required for every incident.")
REASON_REQUIRED = gettext_lazy("Say why this step is not needed.")
NOT_A_SCHOOL = gettext_lazy("Choose a school.")
UNKNOWN_STUDENTS = gettext_lazy("Not students of this school: %(numbers)s")
CHOICE_INVALID = gettext_lazy("Choose a valid value.")

NOTIFICATION_KIND = "incident"
MARKER_PREFIX = "checklist:"
NOT_NEEDED_PREFIX = "checklist-not-needed:"

# Roles that record incidents. Officials also see incidents (RecordKind.INCIDENT) but only read.
MANAGER_ROLES = policy.ACTION_RULES[policy.Action.MANAGE_INCIDENT].roles


@dataclass(frozen=True)
class Step:
    field: str
    label: Any  # lazy translation


# The emergency checklist in the order a school works through it (notice §12).
CHECKLIST: tuple[Step, ...] = tuple(
    Step(name, getattr(Incident._meta.get_field(name), "verbose_name", name))
    for name in (
        "plan_started_at",
        "parents_contacted_at",
        "bureau_informed_at",
        "police_involved_at",
        "medical_involved_at",
        "postvention_at",
        "public_response_at",
    )
)
STEP_FIELDS: tuple[str, ...] = tuple(step.field for step in CHECKLIST)
# Steps an incident may not need (no police, no injury, no public attention): marked "not
# needed" with a reason. The others (plan, parents, bureau, postvention) every incident needs.
OPTIONAL_STEPS: frozenset[str] = frozenset(
    {"police_involved_at", "medical_involved_at", "public_response_at"}
)
STEPS_BY_FIELD: dict[str, Step] = {step.field: step for step in CHECKLIST}


def step_marker(field: str) -> str:
    return f"{MARKER_PREFIX}{field}"


def not_needed_marker(field: str, reason: str) -> str:
    return f"{NOT_NEEDED_PREFIX}{field}\n{reason}"


def action_text(description: str) -> str:
    """The text to show for an action: a checklist marker becomes "Checklist: <step>" (or "…: not
    needed — <reason>") in the reader's language; any other description is shown as written."""
    if description.startswith(NOT_NEEDED_PREFIX):
        field, _sep, reason = description[len(NOT_NEEDED_PREFIX) :].partition("\n")
        step = STEPS_BY_FIELD.get(field)
        if step is not None:
            return _("Checklist: %(step)s not needed — %(reason)s") % {
                "step": capfirst(str(step.label)),
                "reason": reason,
            }
    if description.startswith(MARKER_PREFIX):
        step = STEPS_BY_FIELD.get(description[len(MARKER_PREFIX) :])
        if step is not None:
            return _("Checklist: %(step)s") % {"step": capfirst(str(step.label))}
    return description


def is_checklist_action(description: str) -> bool:
    return description.startswith((MARKER_PREFIX, NOT_NEEDED_PREFIX))


def open_steps(incident: Incident) -> list[Step]:
    """Steps neither done nor marked not needed."""
    return [
        step
        for step in CHECKLIST
        if getattr(incident, step.field) is None and step.field not in incident.not_needed
    ]


# --- who may write --------------------------------------------------------------------------------


def manager_paths(actor: Any) -> list[str]:
    return policy.paths(actor, policy.Action.MANAGE_INCIDENT)


def may_manage(actor: Any, school: OrgUnit | None = None) -> bool:
    """Whether the actor records incidents (somewhere, or for ``school``). Decided from the grants
    alone: no query."""
    return policy.allowed(actor, policy.Action.MANAGE_INCIDENT, school)


def manageable_schools(*, actor: Any) -> QuerySet[OrgUnit]:
    """Schools for which the actor records incidents (OrgUnit is not a scoped model)."""
    paths = manager_paths(actor)
    if not paths:
        return OrgUnit.objects.none()
    condition = reduce(or_, (Q(path__startswith=path) for path in paths))
    return OrgUnit.objects.filter(condition, kind=OrgKind.SCHOOL, is_active=True).order_by("path")


def _county_of(school: OrgUnit) -> OrgUnit:
    parent = school.parent
    if parent is not None and parent.kind == OrgKind.COUNTY:
        return parent
    county = school.ancestor_of_kind(OrgKind.COUNTY)
    if county is None:
        raise ValidationError({"school": NOT_A_SCHOOL})
    return county


def _check_time(value: datetime.datetime, *, field: str, not_before: datetime.datetime | None):
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now():
        raise ValidationError({field: FUTURE_TIME})
    if not_before is not None and value < not_before:
        raise ValidationError({field: BEFORE_OCCURRED})
    return value


def parse_student_numbers(text: str) -> list[str]:
    """Student numbers separated by spaces, commas, semicolons or new lines, in order, once."""
    seen: dict[str, None] = {}
    for number in re.split(r"[\s,;，；、]+", text or ""):
        if number:
            seen.setdefault(number, None)
    return list(seen)


def school_students_by_number(*, actor: Any, school: OrgUnit, numbers: Iterable[str]):
    """The school's students with these numbers, as the actor may see them, and the numbers that
    are not (set difference, one query)."""
    wanted = set(numbers)
    found = list(
        scope.scoped(actor, Student).filter(school=school, student_number__in=wanted).order_by("id")
    )
    missing = wanted - {s.student_number for s in found}
    return found, missing


# --- notifications --------------------------------------------------------------------------------


def incident_recipients(incident: Incident) -> list[Any]:
    """The school's leaders, the county center staff and the county's officials (the bureau); for
    a critical incident (a death or danger to life) the city's officials too."""
    user_model = get_user_model()
    bureaus = [incident.county_id]
    if incident.severity == IncidentSeverity.CRITICAL:
        city_id = OrgUnit.objects.filter(pk=incident.county_id).values_list("parent_id", flat=True)
        bureaus += [pk for pk in city_id if pk is not None]
    condition = (
        Q(assignments__role=Role.SCHOOL_LEADER, assignments__org_unit_id=incident.school_id)
        | Q(assignments__role=Role.COUNTY_CENTER, assignments__org_unit_id=incident.county_id)
        | Q(assignments__role=Role.OFFICIAL, assignments__org_unit_id__in=bureaus)
    )
    return list(
        user_model.objects.filter(condition, is_active=True, assignments__is_active=True)
        .distinct()
        .order_by("id")
    )


def incident_notify(*, incident: Incident, actor: Any = None) -> int:
    """Tell the school's leaders, the county center and the county bureau (and the city bureau for a
    critical incident) at once. Idempotent by
    the key ``incident:<id>``. The title names the kind, severity and school — never a student."""
    url = reverse("crisis:incident_detail", args=[incident.pk])
    school_name = incident.school.name
    title = _("Extreme incident at %(school)s: %(kind)s (%(severity)s)") % {
        "school": school_name,
        "kind": incident.get_kind_display(),
        "severity": incident.get_severity_display(),
    }
    body = _(
        "An extreme incident was reported at %(school)s, occurred %(at)s. Open it to follow the "
        "emergency checklist."
    ) % {
        "school": school_name,
        "at": timezone.localtime(incident.occurred_at).strftime("%Y-%m-%d %H:%M"),
    }
    sent = 0
    for recipient in incident_recipients(incident):
        if actor is not None and recipient.pk == actor.pk:
            continue
        notification_send(
            recipient=recipient,
            kind=NOTIFICATION_KIND,
            key=f"incident:{incident.pk}",
            title=title,
            body=body,
            url=url,
            urgent=True,
        )
        sent += 1
    return sent


# --- writes ---------------------------------------------------------------------------------------


@transaction.atomic
def incident_report(
    *,
    actor: Any,
    school: OrgUnit,
    occurred_at: datetime.datetime,
    kind: str,
    severity: str,
    summary: str,
    students: Iterable[Student] = (),
) -> Incident:
    """Record an extreme incident at ``school`` and notify the leaders, center and bureau."""
    if school.kind != OrgKind.SCHOOL or not may_manage(actor, school):
        raise PermissionDenied(NOT_MANAGER)
    students = list(students)
    errors: dict[str, Any] = {}
    try:
        occurred_at = _check_time(occurred_at, field="occurred_at", not_before=None)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not (summary or "").strip():
        errors["summary"] = SUMMARY_REQUIRED
    if kind not in IncidentKind.values:
        errors["kind"] = CHOICE_INVALID
    if severity not in IncidentSeverity.values:
        errors["severity"] = CHOICE_INVALID
    strangers = sorted(s.student_number for s in students if s.school_id != school.pk)
    if strangers:
        errors["students"] = UNKNOWN_STUDENTS % {"numbers": ", ".join(strangers)}
    if errors:
        raise ValidationError(errors)
    incident = Incident(
        school=school,
        county=_county_of(school),
        occurred_at=occurred_at,
        kind=kind,
        severity=severity,
        summary=summary.strip(),
        reported_by=actor,
    )
    incident.full_clean()
    incident.save()
    if students:
        incident.students.set(students)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=incident,
        student=students[0] if len(students) == 1 else None,
        detail={
            "kind": kind,
            "severity": severity,
            "students": sorted(s.pk for s in students),
        },
    )
    incident_notify(incident=incident, actor=actor)
    return incident


def _locked(actor: Any, incident: Incident) -> Incident:
    """Re-read the incident under a row lock through the actor's scope; only managers of its
    school may write."""
    locked = (
        scope.scoped(actor, Incident)
        .select_for_update()
        .select_related("school")
        .filter(pk=incident.pk)
        .first()
    )
    if locked is None or not may_manage(actor, locked.school):
        raise PermissionDenied(NOT_MANAGER)
    return locked


@transaction.atomic
def incident_checklist_tick(
    *,
    actor: Any,
    incident: Incident,
    step: str,
    at: datetime.datetime | None = None,
) -> Incident:
    """Record when a checklist step was done (now, or an earlier time entered after the fact) and
    append it to the timeline. A step is recorded once; its time lies between the incident and
    now."""
    if step not in STEPS_BY_FIELD:
        raise ValidationError({"step": UNKNOWN_STEP})
    locked = _locked(actor, incident)
    if getattr(locked, step) is not None:
        raise ValidationError({"at": STEP_ALREADY_DONE}, code="done")
    when = _check_time(at or timezone.now(), field="at", not_before=locked.occurred_at)
    setattr(locked, step, when)
    # A step first marked not needed and done after all (the police came later) is done.
    locked.not_needed = [name for name in locked.not_needed if name != step]
    locked.save(update_fields=[step, "not_needed"])
    action = IncidentAction.objects.create(
        incident=locked,
        school_id=locked.school_id,
        at=when,
        description=step_marker(step),
        actor=actor,
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=locked,
        detail={"step": step, "at": when.isoformat(), "action": action.pk},
    )
    return locked


@transaction.atomic
def incident_checklist_not_needed(
    *, actor: Any, incident: Incident, step: str, reason: str
) -> Incident:
    """Mark an optional step (police, medical services, public response) not needed, with the
    reason on the timeline. The step can still be recorded as done later."""
    if step not in STEPS_BY_FIELD:
        raise ValidationError({"step": UNKNOWN_STEP})
    if step not in OPTIONAL_STEPS:
        raise ValidationError({"step": STEP_REQUIRED}, code="required_step")
    locked = _locked(actor, incident)
    if getattr(locked, step) is not None or step in locked.not_needed:
        raise ValidationError({"reason": STEP_ALREADY_DONE}, code="done")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED}, code="reason")
    locked.not_needed = [*locked.not_needed, step]
    locked.save(update_fields=["not_needed"])
    action = IncidentAction.objects.create(
        incident=locked,
        school_id=locked.school_id,
        at=timezone.now(),
        description=not_needed_marker(step, reason),
        actor=actor,
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=locked,
        detail={"step": step, "not_needed": True, "action": action.pk},
    )
    return locked


@transaction.atomic
def incident_action_add(
    *,
    actor: Any,
    incident: Incident,
    at: datetime.datetime,
    description: str,
) -> IncidentAction:
    """Append a free action to the incident's timeline (between the incident and now)."""
    locked = _locked(actor, incident)
    errors: dict[str, Any] = {}
    try:
        at = _check_time(at, field="at", not_before=locked.occurred_at)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not (description or "").strip():
        errors["description"] = DESCRIPTION_REQUIRED
    if errors:
        raise ValidationError(errors)
    action = IncidentAction(
        incident=locked,
        school_id=locked.school_id,
        at=at,
        description=description.strip(),
        actor=actor,
    )
    action.full_clean()
    action.save()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=action,
        detail={"incident": locked.pk, "at": at.isoformat()},
    )
    return action


@transaction.atomic
def incident_clear_for_bureau(*, actor: Any, incident: Incident, bureau_summary: str) -> Incident:
    """The school (a manager of the incident) gives the bureau its reading of the incident: the
    narrative without names. From now on officials read this text and the timeline's free text
    written up to now; clearing again later extends it to what was added since."""
    locked = _locked(actor, incident)
    text = (bureau_summary or "").strip()
    if not text:
        raise ValidationError({"bureau_summary": BUREAU_TEXT_REQUIRED})
    locked.bureau_summary = text
    locked.cleared_for_bureau_at = timezone.now()
    locked.cleared_by = actor
    locked.full_clean()
    locked.save(update_fields=["bureau_summary", "cleared_for_bureau_at", "cleared_by"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=locked,
        detail={"cleared_for_bureau": locked.cleared_for_bureau_at.isoformat()},
    )
    return locked
