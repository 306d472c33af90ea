"""Separation of duties for role grants (issue 13): a role that sees student data
(``scope.STUDENT_DATA_ROLES``) is granted by two people. Whoever asks for it — the platform
administrator in the admin, a psychology teacher importing the staff sheet — creates a *pending*
assignment (``is_active=False``, so no scope or policy path sees it); a second person of the unit
approves or rejects it with a reason. The decider is neither the requester nor the person granted
(a database constraint says so too).

Who decides a grant at a unit (``APPROVAL_RULES``): the holders of an approving role at the unit
itself or at the unit above of the named kind, in tiers. The first tier is told of a request; a
later tier is told only when the first has nobody who may decide (a school whose only leader asked
for it, or is the one granted), and may always decide:

- a school's roles (psychology, homeroom, subject teacher, school leader): the school's leader(s);
  then the county center of its county (which already sees every student of the county);
- a county's roles (county center, a county official): the county center; then the county's
  bureau officials (the center's line management);
- a city's or the province's roles (officials): the officials of that unit; then of the unit above;
- an institution's staff: the county center above it; then the city or province officials.

Every grant path goes through here (the lint test ``tests/accounts/test_grant_paths.py`` keeps it
so). System setup — ``seed_demo``, the ``import_roster`` command, tests' factories — may create an
active grant with ``assignment_grant_setup``, which no view calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from mhcare.accounts import scope
from mhcare.accounts.models import GrantStatus, Role, RoleAssignment, User
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass, ancestor_paths

GRANT_REQUESTED_KIND = "accounts.grant_requested"
GRANT_APPROVED_KIND = "accounts.grant_approved"
GRANT_REJECTED_KIND = "accounts.grant_rejected"

ERROR_NOT_PENDING = _("This request has already been decided.")
ERROR_NOT_APPROVER = _("You may not decide this request.")
ERROR_OWN_REQUEST = _("You asked for this grant: a second person must decide it.")
ERROR_OWN_GRANT = _("This grant is for you: a second person must decide it.")
ERROR_REASON = _("Give the reason for the rejection.")


@dataclass(frozen=True)
class Approver:
    """Holders of ``role`` at the grant's unit or at the unit above of kind ``unit_kind``."""

    tier: int
    role: str
    unit_kind: str


# Kind of the granted assignment's unit -> who approves it (see the module docstring).
APPROVAL_RULES: dict[str, tuple[Approver, ...]] = {
    OrgKind.SCHOOL: (
        Approver(1, Role.SCHOOL_LEADER, OrgKind.SCHOOL),
        Approver(2, Role.COUNTY_CENTER, OrgKind.COUNTY),
    ),
    OrgKind.COUNTY: (
        Approver(1, Role.COUNTY_CENTER, OrgKind.COUNTY),
        Approver(2, Role.OFFICIAL, OrgKind.COUNTY),
    ),
    OrgKind.CITY: (
        Approver(1, Role.OFFICIAL, OrgKind.CITY),
        Approver(2, Role.OFFICIAL, OrgKind.PROVINCE),
    ),
    OrgKind.PROVINCE: (Approver(1, Role.OFFICIAL, OrgKind.PROVINCE),),
    OrgKind.INSTITUTION: (
        Approver(1, Role.COUNTY_CENTER, OrgKind.COUNTY),
        Approver(2, Role.OFFICIAL, OrgKind.CITY),
        Approver(2, Role.OFFICIAL, OrgKind.PROVINCE),
    ),
}
APPROVER_ROLES = frozenset(a.role for rules in APPROVAL_RULES.values() for a in rules)


def needs_approval(role: str) -> bool:
    return role in scope.STUDENT_DATA_ROLES


# --- who decides ---------------------------------------------------------------------------------


def _approver_seats(unit: OrgUnit) -> list[tuple[int, Q]]:
    """(tier, filter over active assignments) of the people who may decide a grant at ``unit``."""
    above = {u.kind: u for u in OrgUnit.objects.filter(path__in=ancestor_paths(unit.path))}
    seats = []
    for rule in APPROVAL_RULES.get(unit.kind, ()):
        seat = above.get(rule.unit_kind)
        if seat is not None:
            seats.append((rule.tier, Q(role=rule.role, org_unit=seat)))
    return seats


def approvers(assignment: RoleAssignment, *, first_tier_only: bool = False) -> list[User]:
    """The active users who may decide ``assignment`` (never its requester or grantee); with
    ``first_tier_only``, those of the first tier that has anybody (who is told)."""
    excluded = {pk for pk in (assignment.user_id, assignment.requested_by_id) if pk is not None}
    by_tier: dict[int, set[int]] = {}
    for tier, seat in _approver_seats(assignment.org_unit):
        ids = set(
            RoleAssignment.objects.active()
            .filter(seat, user__is_active=True)
            .exclude(user_id__in=excluded)
            .values_list("user_id", flat=True)
        )
        by_tier.setdefault(tier, set()).update(ids)
    chosen: set[int] = set()
    for tier in sorted(by_tier):
        chosen |= by_tier[tier]
        if first_tier_only and chosen:
            break
    return list(User.objects.filter(pk__in=chosen).order_by("pk"))


def decidable_q(actor: Any) -> Q | None:
    """Pending assignments ``actor``'s active assignments let them decide (by unit), or None."""
    parts: list[Q] = []
    for grant in scope.grants(actor):
        kinds = [
            kind
            for kind, rules in APPROVAL_RULES.items()
            if any(r.role == grant.role and r.unit_kind == grant.unit_kind for r in rules)
        ]
        if kinds:
            parts.append(Q(org_unit__path__startswith=grant.unit_path, org_unit__kind__in=kinds))
    if not parts:
        return None
    return reduce(or_, parts)


def pending_for(actor: Any) -> QuerySet[RoleAssignment]:
    """The requests ``actor`` may decide: pending, in their units, neither theirs nor for them."""
    condition = decidable_q(actor)
    if condition is None:
        return RoleAssignment.objects.none()
    return (
        RoleAssignment.objects.pending()
        .filter(condition)
        .exclude(user_id=actor.pk)
        .exclude(requested_by_id=actor.pk)
    )


def pending_page(
    actor: Any, *, after: int | None, size: int
) -> tuple[list[RoleAssignment], int | None]:
    """One page of ``pending_for`` by id (keyset), with the cursor of the next page."""
    queryset = pending_for(actor).select_related("user", "org_unit", "klass", "requested_by")
    if after is not None:
        queryset = queryset.filter(pk__gt=after)
    rows = list(queryset.order_by("pk")[: size + 1])
    next_after = rows[size - 1].pk if len(rows) > size else None
    return rows[:size], next_after


def _check_may_decide(actor: Any, assignment: RoleAssignment) -> None:
    if assignment.status != GrantStatus.PENDING:
        raise ValidationError(ERROR_NOT_PENDING, code="not_pending")
    if assignment.user_id == actor.pk:
        raise PermissionDenied(ERROR_OWN_GRANT)
    if assignment.requested_by_id == actor.pk:
        raise PermissionDenied(ERROR_OWN_REQUEST)
    if not pending_for(actor).filter(pk=assignment.pk).exists():
        raise PermissionDenied(ERROR_NOT_APPROVER)


# --- notifications -------------------------------------------------------------------------------


def _describe(assignment: RoleAssignment) -> dict[str, str]:
    return {
        "user": str(assignment.user),
        "role": str(Role(assignment.role).label),
        "unit": str(assignment.org_unit),
        "klass": f" ({assignment.klass})" if assignment.klass_id else "",
    }


def _notify(
    recipients: Iterable[User], *, kind: str, key: str, title: Any, body: Any, url: str
) -> None:
    from mhcare.notifications.services import Outgoing, notification_send_many

    items = []
    for recipient in recipients:
        # Each recipient reads it in their own language (titles are stored as text).
        with override(recipient.language or None):
            items.append(
                Outgoing(
                    recipient=recipient,
                    kind=kind,
                    key=key,
                    title=str(title),
                    body=str(body),
                    url=url,
                )
            )
    notification_send_many(items)


def _notify_requested(assignments: Sequence[RoleAssignment], *, actor: Any) -> None:
    """One message per approver for one request or one batch (an import)."""
    if not assignments:
        return
    url = reverse("accounts:grant_approvals")
    stamp = int(timezone.now().timestamp() * 1000)
    wanted: dict[int, tuple[User, list[RoleAssignment]]] = {}
    for assignment in assignments:
        for user in approvers(assignment, first_tier_only=True):
            wanted.setdefault(user.pk, (user, []))[1].append(assignment)
    from mhcare.notifications.services import Outgoing, notification_send_many

    items = []
    for user, requested in wanted.values():
        with override(user.language or None):
            if len(requested) == 1:
                title = _("Role grant awaiting your approval: %(user)s, %(role)s") % _describe(
                    requested[0]
                )
            else:
                title = _("%(count)d role grants awaiting your approval") % {
                    "count": len(requested)
                }
            body = _(
                "%(actor)s asked for these role grants. They give access to students' data only "
                "once you or another approver of the unit approves them:"
            ) % {"actor": str(actor) if actor else "—"}
            lines = ["{user} — {role}, {unit}{klass}".format(**_describe(a)) for a in requested]
            items.append(
                Outgoing(
                    recipient=user,
                    kind=GRANT_REQUESTED_KIND,
                    key=f"grant-request:{stamp}:{requested[0].pk}",
                    title=str(title)[:200],
                    body="\n".join([str(body), *lines]),
                    url=url,
                )
            )
    notification_send_many(items)


def _unit_leaders(assignment: RoleAssignment) -> list[User]:
    """The unit's leader(s): the first approver tier, the grantee and the decider included."""
    seats = [seat for tier, seat in _approver_seats(assignment.org_unit) if tier == 1]
    if not seats:
        return []
    ids = RoleAssignment.objects.active().filter(reduce(or_, seats)).values_list("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


# --- services ------------------------------------------------------------------------------------


def _audit(actor: Any, assignment: RoleAssignment, event: str, **extra: Any) -> None:
    audit_record(
        actor=actor,
        action=Action.CREATE if event in {"requested", "granted_setup"} else Action.UPDATE,
        obj=assignment,
        detail={
            "grant": event,
            "user": assignment.user_id,
            "role": assignment.role,
            "org_unit": assignment.org_unit_id,
            "klass": assignment.klass_id,
            **extra,
        },
    )


def _open(
    *,
    actor: Any,
    user_id: int,
    role: str,
    org_unit: OrgUnit,
    klass_id: int | None,
    existing: RoleAssignment | None,
    via: str,
) -> tuple[RoleAssignment, bool]:
    """Create or re-open one assignment: pending when its role sees student data, else active.
    Returns (assignment, whether it now awaits approval because of this call)."""
    now = timezone.now()
    assignment = existing or RoleAssignment(
        user_id=user_id, role=role, org_unit=org_unit, klass_id=klass_id
    )
    if assignment.pk and (assignment.is_active or assignment.status == GrantStatus.PENDING):
        return assignment, False  # already granted, or already asked for
    pending = needs_approval(role)
    assignment.status = GrantStatus.PENDING if pending else GrantStatus.APPROVED
    assignment.is_active = not pending
    assignment.requested_by = actor if getattr(actor, "pk", None) else None
    assignment.requested_at = now
    assignment.decided_by = None
    assignment.decided_at = None
    assignment.rejection_reason = ""
    assignment.full_clean(validate_unique=not assignment.pk)
    assignment.save()
    _audit(actor, assignment, "requested" if pending else "granted", via=via)
    return assignment, pending


@transaction.atomic
def assignment_request(
    *,
    actor: Any,
    user: User,
    role: str,
    org_unit: OrgUnit,
    klass: SchoolClass | None = None,
    via: str = "",
) -> RoleAssignment:
    """Ask for ``role`` at ``org_unit`` for ``user`` (or re-activate an ended or rejected one).
    A role that sees student data waits for a second person (its approvers are told); another
    role (platform administrator, auditor, supervisor) is granted at once. Audited either way.
    The caller has checked that ``actor`` may ask (the admin, the roster import)."""
    existing = (
        RoleAssignment.objects.select_for_update()
        .filter(user=user, role=role, org_unit=org_unit, klass=klass)
        .first()
    )
    assignment, pending = _open(
        actor=actor,
        user_id=user.pk,
        role=role,
        org_unit=org_unit,
        klass_id=klass.pk if klass else None,
        existing=existing,
        via=via,
    )
    if pending:
        _notify_requested([assignment], actor=actor)
    return assignment


@transaction.atomic
def assignment_request_many(
    *,
    actor: Any,
    org_unit: OrgUnit,
    wanted: Iterable[tuple[int, str, int | None]],
    via: str,
) -> tuple[int, int]:
    """The roster import's staff: (user id, role, class id) at one school, asked for in one batch
    (its approvers get one message). Returns (created, re-opened)."""
    wanted = set(wanted)
    if not wanted:
        return 0, 0
    existing = {
        (a.user_id, a.role, a.klass_id): a
        for a in RoleAssignment.objects.select_for_update()
        .filter(org_unit=org_unit, user_id__in={user_id for user_id, _r, _k in wanted})
        .select_related("org_unit")
    }
    created = reopened = 0
    pending: list[RoleAssignment] = []
    for user_id, role, klass_id in sorted(wanted, key=str):
        before = existing.get((user_id, role, klass_id))
        if before is not None and (before.is_active or before.status == GrantStatus.PENDING):
            continue
        assignment, is_pending = _open(
            actor=actor,
            user_id=user_id,
            role=role,
            org_unit=org_unit,
            klass_id=klass_id,
            existing=before,
            via=via,
        )
        created += before is None
        reopened += before is not None
        if is_pending:
            pending.append(assignment)
    _notify_requested(
        list(
            RoleAssignment.objects.filter(pk__in=[a.pk for a in pending])
            .select_related("user", "org_unit", "klass")
            .order_by("pk")
        ),
        actor=actor,
    )
    return created, reopened


@transaction.atomic
def assignment_approve(*, actor: Any, assignment: RoleAssignment) -> RoleAssignment:
    """A second person of the unit approves: the assignment becomes active. The unit's leader(s)
    and the requester are told."""
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    _check_may_decide(actor, assignment)
    assignment.status = GrantStatus.APPROVED
    assignment.is_active = True
    assignment.decided_by = actor
    assignment.decided_at = timezone.now()
    assignment.full_clean(validate_unique=False)
    assignment.save()
    _audit(actor, assignment, "approved", requested_by=assignment.requested_by_id)
    if assignment.role == Role.HOMEROOM_TEACHER and assignment.klass_id:
        # The class's homeroom teacher on record (reminders, case tasks) follows the approved
        # grant: an import names them, but sets them only once the grant is active.
        SchoolClass.objects.filter(pk=assignment.klass_id).update(
            homeroom_teacher_id=assignment.user_id
        )
    told = {u.pk: u for u in _unit_leaders(assignment)}
    if assignment.requested_by is not None and assignment.requested_by.is_active:
        told.setdefault(assignment.requested_by.pk, assignment.requested_by)
    told.pop(actor.pk, None)
    _notify(
        told.values(),
        kind=GRANT_APPROVED_KIND,
        key=f"grant-approved:{assignment.pk}:{int(assignment.decided_at.timestamp() * 1000)}",
        title=_("Role grant approved: %(user)s, %(role)s") % _describe(assignment),
        body=_("%(decider)s approved %(user)s as %(role)s at %(unit)s%(klass)s.")
        % {**_describe(assignment), "decider": str(actor)},
        url="",
    )
    return assignment


@transaction.atomic
def assignment_reject(*, actor: Any, assignment: RoleAssignment, reason: str) -> RoleAssignment:
    """A second person of the unit refuses, saying why; the requester is told."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ERROR_REASON})
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    _check_may_decide(actor, assignment)
    assignment.status = GrantStatus.REJECTED
    assignment.is_active = False
    assignment.decided_by = actor
    assignment.decided_at = timezone.now()
    assignment.rejection_reason = reason[:500]
    assignment.full_clean(validate_unique=False)
    assignment.save()
    _audit(actor, assignment, "rejected", reason=assignment.rejection_reason)
    if assignment.requested_by is not None and assignment.requested_by.is_active:
        _notify(
            [assignment.requested_by],
            kind=GRANT_REJECTED_KIND,
            key=f"grant-rejected:{assignment.pk}:{int(assignment.decided_at.timestamp() * 1000)}",
            title=_("Role grant rejected: %(user)s, %(role)s") % _describe(assignment),
            body=_("%(decider)s rejected it: %(reason)s")
            % {"decider": str(actor), "reason": assignment.rejection_reason},
            url="",
        )
    return assignment


@transaction.atomic
def assignment_decide_many(
    *, actor: Any, ids: Iterable[int], approve: bool, reason: str = ""
) -> int:
    """Approve (or reject with one reason) several requests at once — an import's batch. Ids the
    actor may not decide are refused as a whole (set difference), nothing changes."""
    requested = set(ids)
    if not approve and not (reason or "").strip():
        raise ValidationError({"reason": ERROR_REASON})
    decidable = set(pending_for(actor).filter(pk__in=requested).values_list("pk", flat=True))
    if requested - decidable or not requested:
        raise PermissionDenied(ERROR_NOT_APPROVER)
    for assignment in RoleAssignment.objects.filter(pk__in=requested).order_by("pk"):
        if approve:
            assignment_approve(actor=actor, assignment=assignment)
        else:
            assignment_reject(actor=actor, assignment=assignment, reason=reason)
    return len(requested)


@transaction.atomic
def assignment_end(*, actor: Any, assignment: RoleAssignment, via: str = "") -> RoleAssignment:
    """End an assignment (taking access away needs nobody's approval); a pending request so
    ended is withdrawn. Audited."""
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if not assignment.is_active and assignment.status != GrantStatus.PENDING:
        return assignment
    withdrawn = assignment.status == GrantStatus.PENDING
    assignment.is_active = False
    if withdrawn:
        # Out of the approvers' list; the audit event says it was withdrawn, not refused.
        assignment.status = GrantStatus.REJECTED
    assignment.save(update_fields=["is_active", "status"])
    _audit(actor, assignment, "withdrawn" if withdrawn else "ended", via=via)
    return assignment


def assignment_grant_setup(
    *,
    user: User,
    role: str,
    org_unit: OrgUnit,
    klass: SchoolClass | None = None,
    source: str,
) -> RoleAssignment:
    """System setup only (``seed_demo``, the ``import_roster`` command, a province's first
    accounts): an active grant without a second person, audited with no actor and its ``source``.
    No view calls this (``tests/accounts/test_grant_paths.py``)."""
    assignment, _created = RoleAssignment.objects.update_or_create(
        user=user,
        role=role,
        org_unit=org_unit,
        klass=klass,
        defaults={
            "is_active": True,
            "status": GrantStatus.APPROVED,
            "decided_by": None,
            "rejection_reason": "",
        },
    )
    _audit(None, assignment, "granted_setup", source=source)
    return assignment
