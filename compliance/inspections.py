"""Inspections (督查), rectification notices (整改) and circulars (通报) (issue 12; notice §13).

- A county or city official (``MANAGE_INSPECTIONS``) records an inspection of a school or county
  strictly below their unit: date, items checked, findings.
- A finding can issue a rectification notice with a deadline to a school (the inspected school,
  or a school of the inspected county); the school's leaders get an inbox notice.
- The school's leader (``REPLY_RECTIFICATION``) replies with the measures taken and evidence files;
  the official accepts it or returns it (with a note) for another reply.
- Overdue notices (deadline passed, not replied or returned) are reminded through the kernel
  engine (``compliance.reminders``) and listed in the compliance report.
- A circular (通报) of inspection results goes to the units below the official's unit: the school
  leaders and the county officials there get it in their inbox; every recipient is recorded.

Scope: an official sees the inspections, notices and circulars of units under their own; a school
leader sees the notices of their school and the circulars sent to them. Anything else is 404.
No student data is ever written here."""

from __future__ import annotations

import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.models import (
    Circular,
    CircularRecipient,
    Inspection,
    Rectification,
    RectificationEvidence,
    RectificationStatus,
)
from mhcare.accounts import policy
from mhcare.accounts.models import Role, User
from mhcare.audit.models import Action as AuditAction
from mhcare.audit.services import audit_record
from mhcare.notifications.services import Outgoing, notification_send_many
from mhcare.orgs.models import OrgKind, OrgUnit

UNIT_NOT_BELOW = gettext_lazy("You may inspect only a school or county under your unit.")
SCHOOL_NOT_IN_INSPECTION = gettext_lazy(
    "The notice goes to the inspected school, or to a school of the inspected county."
)
DEADLINE_IN_PAST = gettext_lazy("The deadline cannot be before the inspection.")
CANNOT_REPLY = gettext_lazy("This notice is not waiting for a reply.")
REPLY_NEEDS_MEASURES = gettext_lazy("Describe the measures taken.")
CANNOT_DECIDE = gettext_lazy("Only a replied notice can be accepted or returned.")
RETURN_NEEDS_NOTE = gettext_lazy("Say why the reply is returned.")
NO_RECIPIENTS = gettext_lazy("There is nobody below your unit to send this circular to.")
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
EVIDENCE_TOO_LARGE = gettext_lazy("An evidence file may be at most 20 MB.")

M, R = policy.Action.MANAGE_INSPECTIONS, policy.Action.REPLY_RECTIFICATION


def _under(paths: list[str], field: str) -> Q:
    """Rows whose ``field`` path starts with one of ``paths`` (nothing if none)."""
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def _strictly_under(paths: list[str], field: str) -> Q:
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": p}) & ~Q(**{field: p}) for p in paths))


# --- reads ---------------------------------------------------------------------------------------


def inspectable_units(*, actor: Any) -> QuerySet[OrgUnit]:
    """Schools and counties strictly below the actor's county / city."""
    return OrgUnit.objects.filter(
        _strictly_under(policy.paths(actor, M), "path"),
        kind__in=(OrgKind.SCHOOL, OrgKind.COUNTY),
        is_active=True,
    ).order_by("path")


def inspection_list(*, actor: Any) -> QuerySet[Inspection]:
    return (
        Inspection.objects.filter(_under(policy.paths(actor, M), "unit__path"))
        .select_related("unit", "inspector")
        .order_by("-inspected_on", "-id")
    )


def inspection_get(*, actor: Any, pk: Any) -> Inspection:
    found = inspection_list(actor=actor).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def rectification_list(*, actor: Any) -> QuerySet[Rectification]:
    """The notices under the actor's inspecting units and those of the schools they lead."""
    where = _under(policy.paths(actor, M), "school__path") | _under(
        policy.paths(actor, R), "school__path"
    )
    return (
        Rectification.objects.filter(where)
        .select_related("school", "inspection", "inspection__unit")
        .order_by("deadline", "id")
    )


def rectification_get(*, actor: Any, pk: Any) -> Rectification:
    found = rectification_list(actor=actor).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def may_decide(actor: Any, item: Rectification) -> bool:
    return any(item.school.path.startswith(p) for p in policy.paths(actor, M))


def may_reply(actor: Any, item: Rectification) -> bool:
    return any(item.school.path.startswith(p) for p in policy.paths(actor, R))


def evidence_get(*, actor: Any, pk: Any) -> RectificationEvidence:
    found = (
        RectificationEvidence.objects.filter(
            rectification__in=rectification_list(actor=actor).values("pk")
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def circular_list(*, actor: Any) -> QuerySet[Circular]:
    """Circulars issued in the actor's inspecting units, and those sent to the actor."""
    where = _under(policy.paths(actor, M), "unit__path") | Q(
        pk__in=CircularRecipient.objects.filter(user=actor).values("circular_id")
    )
    return Circular.objects.filter(where).select_related("unit", "author").order_by("-id")


# --- writes --------------------------------------------------------------------------------------


def _leaders(school_ids: list[int]) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            assignments__is_active=True,
            assignments__role=Role.SCHOOL_LEADER,
            assignments__org_unit_id__in=school_ids,
        ).distinct()
    )


@transaction.atomic
def inspection_create(
    *,
    actor: Any,
    unit: OrgUnit,
    inspected_on: datetime.date,
    items_checked: str,
    findings: str = "",
) -> Inspection:
    if not inspectable_units(actor=actor).filter(pk=unit.pk).exists():
        raise PermissionDenied(UNIT_NOT_BELOW)
    inspection = Inspection(
        inspector=actor,
        unit=unit,
        inspected_on=inspected_on,
        items_checked=items_checked,
        findings=findings,
    )
    inspection.full_clean()
    inspection.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=inspection,
        detail={"unit": unit.code, "inspected_on": inspected_on.isoformat()},
    )
    return inspection


@transaction.atomic
def rectification_issue(
    *,
    actor: Any,
    inspection: Inspection,
    school: OrgUnit,
    finding: str,
    deadline: datetime.date,
) -> Rectification:
    """A rectification notice to ``school``'s leaders (inbox), from an inspection the actor sees."""
    inspection = inspection_get(actor=actor, pk=inspection.pk)
    if school.kind != OrgKind.SCHOOL or not school.path.startswith(inspection.unit.path):
        raise ValidationError(SCHOOL_NOT_IN_INSPECTION, code="school")
    if deadline < inspection.inspected_on:
        raise ValidationError({"deadline": DEADLINE_IN_PAST}, code="deadline")
    item = Rectification(
        inspection=inspection, school=school, finding=finding, deadline=deadline, issued_by=actor
    )
    item.full_clean()
    item.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=item,
        detail={"school": school.code, "deadline": deadline.isoformat()},
    )
    url = reverse("compliance:rectification", args=[item.pk])
    title = _("Rectification notice for %(school)s, due %(deadline)s") % {
        "school": school.name,
        "deadline": deadline.isoformat(),
    }
    notification_send_many(
        [
            Outgoing(
                u, "compliance.rectification", f"compliance:rect:{item.pk}:issued", title, "", url
            )
            for u in _leaders([school.pk])
        ]
    )
    return item


@transaction.atomic
def rectification_reply(
    *,
    actor: Any,
    rectification: Rectification,
    measures: str,
    files: list[UploadedFile] | None = None,
) -> Rectification:
    item = rectification_list(actor=actor).select_for_update(of=("self",)).get(pk=rectification.pk)
    if not may_reply(actor, item):
        raise PermissionDenied
    if item.status not in (RectificationStatus.OPEN, RectificationStatus.RETURNED):
        raise ValidationError(CANNOT_REPLY, code="status")
    if not measures.strip():
        raise ValidationError({"measures": REPLY_NEEDS_MEASURES}, code="measures")
    for upload in files or []:
        if upload.size and upload.size > EVIDENCE_MAX_BYTES:
            raise ValidationError(EVIDENCE_TOO_LARGE, code="file_size")
    item.measures = measures
    item.status = RectificationStatus.REPLIED
    item.replied_by = actor
    item.replied_at = timezone.now()
    item.full_clean()
    item.save()
    for upload in files or []:
        RectificationEvidence.objects.create(
            rectification=item,
            file=upload,
            name=(upload.name or "evidence")[:200],
            uploaded_by=actor,
        )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=item,
        detail={"status": item.status, "files": len(files or [])},
    )
    notification_send_many(
        [
            Outgoing(
                item.issued_by,
                "compliance.rectification",
                f"compliance:rect:{item.pk}:replied:{item.replied_at.isoformat()}",
                _("%(school)s replied to a rectification notice") % {"school": item.school.name},
                "",
                reverse("compliance:rectification", args=[item.pk]),
            )
        ]
    )
    return item


@transaction.atomic
def rectification_decide(
    *, actor: Any, rectification: Rectification, accept: bool, note: str = ""
) -> Rectification:
    item = rectification_list(actor=actor).select_for_update(of=("self",)).get(pk=rectification.pk)
    if not may_decide(actor, item):
        raise PermissionDenied
    if item.status != RectificationStatus.REPLIED:
        raise ValidationError(CANNOT_DECIDE, code="status")
    if not accept and not note.strip():
        raise ValidationError({"decision_note": RETURN_NEEDS_NOTE}, code="note")
    item.status = RectificationStatus.ACCEPTED if accept else RectificationStatus.RETURNED
    item.decided_by = actor
    item.decided_at = timezone.now()
    item.decision_note = note
    item.full_clean()
    item.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=item, detail={"status": item.status})
    title = (
        _("Your rectification was accepted")
        if accept
        else _("Your rectification reply was returned")
    )
    notification_send_many(
        [
            Outgoing(
                u,
                "compliance.rectification",
                f"compliance:rect:{item.pk}:{item.status}:{item.decided_at.isoformat()}",
                title,
                "",
                reverse("compliance:rectification", args=[item.pk]),
            )
            for u in _leaders([item.school_id])
        ]
    )
    return item


def circular_recipients(unit: OrgUnit) -> list[tuple[int, User]]:
    """(unit id, user): the leaders of the schools and the officials of the counties strictly
    below ``unit``."""
    rows = (
        User.objects.filter(is_active=True, assignments__is_active=True)
        .filter(
            Q(
                assignments__role=Role.SCHOOL_LEADER,
                assignments__org_unit__kind=OrgKind.SCHOOL,
            )
            | Q(assignments__role=Role.OFFICIAL, assignments__org_unit__kind=OrgKind.COUNTY)
        )
        .filter(
            assignments__org_unit__path__startswith=unit.path,
        )
        .exclude(assignments__org_unit=unit)
        .values_list("assignments__org_unit_id", "pk")
        .distinct()
    )
    users = {u.pk: u for u in User.objects.filter(pk__in={pk for _u, pk in rows})}
    seen: set[int] = set()
    out = []
    for unit_id, pk in rows:
        if pk not in seen:
            seen.add(pk)
            out.append((unit_id, users[pk]))
    return out


@transaction.atomic
def circular_publish(
    *,
    actor: Any,
    unit: OrgUnit,
    title: str,
    body: str,
    inspections: list[Inspection] | None = None,
) -> Circular:
    """Publish a circular from the actor's own unit to the units below (inbox), recording every
    recipient."""
    if unit.path not in policy.paths(actor, M):
        raise PermissionDenied
    recipients = circular_recipients(unit)
    if not recipients:
        raise ValidationError(NO_RECIPIENTS, code="no_recipients")
    circular = Circular(author=actor, unit=unit, title=title, body=body)
    circular.full_clean()
    circular.save()
    allowed = inspection_list(actor=actor)
    if inspections:
        circular.inspections.set(allowed.filter(pk__in=[i.pk for i in inspections]))
    CircularRecipient.objects.bulk_create(
        [CircularRecipient(circular=circular, unit_id=uid, user=user) for uid, user in recipients]
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=circular,
        detail={"unit": unit.code, "recipients": len(recipients)},
    )
    url = reverse("compliance:circulars") + f"#circular-{circular.pk}"
    notification_send_many(
        [
            Outgoing(
                user,
                "compliance.circular",
                f"compliance:circular:{circular.pk}",
                title,
                body[:500],
                url,
            )
            for _uid, user in recipients
        ]
    )
    return circular
