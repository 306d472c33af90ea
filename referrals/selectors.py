"""Reads of referrals and institutions, always starting from the actor's scope.

- The school side (psychology teacher, leader, county center) reads the referrals of its subtree
  (``RecordKind.REFERRAL``); institution staff read only those shared with them on sending
  (django-guardian), and of the student only what the referral shows: name, gender, birth date,
  grade, school — reached through the referral share (``scope.scoped(Student, kind=REFERRAL)``),
  never her scores, cases or notes.
- Any other role gets 403 before any lookup; a referral outside the scope is 404 like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import OrgKind, OrgUnit, Student
from referrals import services
from referrals.models import FINAL_STATES, Institution, Referral, ReferralEvent, ReferralState

S = ReferralState


@dataclass(frozen=True)
class ReferralFilters:
    state: str = ""  # a ReferralState value, or "active"
    student: int | None = None


@dataclass(frozen=True)
class ReferralPage:
    rows: list[Referral]
    next_after: int | None


ACTIVE = "active"


def require_viewer(actor: Any) -> None:
    policy.require(actor, policy.Action.VIEW_REFERRALS)


def referral_queryset(*, actor: Any, filters: ReferralFilters | None = None) -> QuerySet[Referral]:
    require_viewer(actor)
    filters = filters or ReferralFilters()
    queryset = scope.scoped(actor, Referral).select_related(
        "student", "student__klass", "school", "institution", "institution__unit"
    )
    if filters.state == ACTIVE:
        queryset = queryset.exclude(state__in=FINAL_STATES)
    elif filters.state in S.values:
        queryset = queryset.filter(state=filters.state)
    if filters.student is not None:
        queryset = queryset.filter(student_id=filters.student)
    return queryset.order_by("-id")


def referral_list(
    *,
    actor: Any,
    filters: ReferralFilters | None = None,
    after: int | None = None,
    page_size: int = 50,
) -> ReferralPage:
    """One keyset page by id, newest first. No OFFSET, no COUNT."""
    queryset = referral_queryset(actor=actor, filters=filters)
    if after is not None:
        queryset = queryset.filter(id__lt=after)
    rows = list(queryset[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return ReferralPage(rows=rows, next_after=rows[-1].pk if has_more and rows else None)


def referral_get(*, actor: Any, pk: Any) -> Referral:
    require_viewer(actor)
    return scope.get_scoped_or_404(
        actor,
        Referral.objects.select_related(
            "student",
            "student__klass",
            "school",
            "county",
            "institution",
            "institution__unit",
            "made_by",
            "case",
            "override_by",
            "consent_recorded_by",
            "feedback_by",
        ),
        pk=pk,
    )


def referral_events(*, actor: Any, referral: Referral) -> list[ReferralEvent]:
    """The history of a referral the actor already reached through the scope."""
    return list(referral.events.select_related("actor").order_by("at", "id"))


def referral_student(*, actor: Any, referral: Referral) -> Student:
    """The student as this referral shows her: through the referral share for institution staff,
    through the school scope otherwise (404 when neither)."""
    return scope.get_scoped_or_404(
        actor,
        Student.objects.select_related("klass", "school"),
        kind=RecordKind.REFERRAL,
        pk=referral.student_id,
    )


def student_referrals(*, actor: Any, student: Student) -> list[Referral]:
    if not policy.anywhere(actor, policy.Action.VIEW_REFERRALS):
        return []
    return list(
        scope.scoped(actor, Referral)
        .filter(student=student)
        .select_related("institution", "institution__unit")
        .order_by("-id")
    )


def case_referrals(*, actor: Any, case: Any) -> list[Referral]:
    """Referrals of the case's student (from this case or not), for the case page."""
    if not scope.can(actor, RecordKind.REFERRAL):
        return []
    return list(
        scope.scoped(actor, Referral)
        .filter(student_id=case.student_id)
        .select_related("institution", "institution__unit", "override_by")
        .order_by("-id")
    )


def waiting_for_institution(*, actor: Any, limit: int = 10) -> list[Referral]:
    """Referrals shared with the actor's institution that wait for it: to accept, or accepted /
    in treatment without feedback."""
    unit_ids = services.staff_unit_ids(actor)
    if not unit_ids:
        return []
    return list(
        scope.scoped(actor, Referral)
        .filter(
            institution__unit_id__in=unit_ids,
            state__in=[S.SENT, S.ACCEPTED, S.IN_TREATMENT],
        )
        .select_related("school", "institution__unit")
        .order_by("sent_at", "id")[:limit]
    )


def waiting_for_school(*, actor: Any, limit: int = 10) -> list[Referral]:
    """Referrals the school moves next: drafts, consented ones to send, feedback to act on, a
    return without a plan, a declined one to close."""
    if not services.may_make(actor):
        return []
    condition = policy.filter_q(actor, policy.Action.MAKE_REFERRAL, school_field="school")
    if condition is None:
        return []
    return list(
        scope.scoped(actor, Referral)
        .filter(condition)
        .filter(
            Q(state__in=[S.DRAFT, S.GUARDIAN_INFORMED, S.FEEDBACK_RECEIVED, S.DECLINED])
            | Q(state=S.RETURNED, return_plan_at__isnull=True)
        )
        .select_related("student", "institution__unit")
        .order_by("id")[:limit]
    )


def institution_queryset(*, actor: Any) -> QuerySet[Institution]:
    policy.require(actor, policy.Action.VIEW_INSTITUTIONS)
    return Institution.objects.select_related("unit", "county").order_by("unit__path")


def institutions_for_referral(*, actor: Any, student: Student) -> QuerySet[Institution]:
    """Accepting institutions a school may refer to: any in the province (a 医教协同 agreement is
    often with the city's hospital), the student's county first."""
    return (
        Institution.objects.filter(is_accepting=True).select_related("unit").order_by("unit__path")
    )


def institution_get(*, actor: Any, pk: Any) -> Institution:
    from django.http import Http404

    try:
        return institution_queryset(actor=actor).get(pk=pk)
    except (Institution.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def keepable_units(*, actor: Any) -> QuerySet[OrgUnit]:
    """Institution units the actor keeps and that have no profile yet."""
    paths = services.keeper_paths(actor)
    if not paths:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(
        reduce(or_, (Q(path__startswith=p) for p in paths)),
        kind=OrgKind.INSTITUTION,
        is_active=True,
        institution_profile__isnull=True,
    ).order_by("path")


def require_keeper(actor: Any) -> None:
    if not services.may_keep(actor):
        raise PermissionDenied(services.NOT_KEEPER)


@dataclass(frozen=True)
class FeedbackFigures:
    """The compliance indicator ``referral_feedback`` (DESIGN.md): referrals sent in a period and,
    of them, those with the institution's feedback within ``within_days`` of sending."""

    sent: int
    with_feedback: int


def referral_feedback_figures(
    *,
    county_ids: list[int],
    sent_from: Any,
    sent_before: Any,
    within_days: int | None = None,
) -> FeedbackFigures:
    """Aggregates only (no student), for the indicator snapshots of the compliance app: one query
    over the counties' referrals sent in [sent_from, sent_before), on the county column's index.
    The caller decides which counties its reader may see."""
    import datetime

    from django.conf import settings
    from django.db.models import Count, ExpressionWrapper, F, Q
    from django.db.models import DurationField as Duration

    days = within_days if within_days is not None else settings.REFERRAL_FEEDBACK_WITHIN_DAYS
    figures = (
        Referral.objects.filter(  # scope-lint: allow aggregates for counties the caller chose
            county_id__in=county_ids, sent_at__gte=sent_from, sent_at__lt=sent_before
        )
        .order_by()
        .annotate(delay=ExpressionWrapper(F("feedback_at") - F("sent_at"), output_field=Duration()))
        .aggregate(
            sent=Count("id"),
            with_feedback=Count(
                "id",
                filter=Q(feedback_at__isnull=False, delay__lte=datetime.timedelta(days=days)),
            ),
        )
    )
    return FeedbackFigures(sent=figures["sent"], with_feedback=figures["with_feedback"])


def referral_feedback_by_county(
    *, within: str | None, sent_from: Any, sent_before: Any, within_days: int | None = None
) -> list[tuple[int, int, int]]:
    """``(county_id, referrals with feedback within N days, referrals sent)`` per county (under
    the path ``within``, or all) for referrals sent in [sent_from, sent_before): the compliance
    snapshots' rows. Aggregates only, one grouped query."""
    import datetime

    from django.conf import settings
    from django.db.models import Count, ExpressionWrapper, F
    from django.db.models import DurationField as Duration

    days = within_days if within_days is not None else settings.REFERRAL_FEEDBACK_WITHIN_DAYS
    referrals = Referral.objects.filter(  # scope-lint: allow aggregates for the snapshot job
        sent_at__gte=sent_from, sent_at__lt=sent_before
    )
    if within:
        referrals = referrals.filter(county__path__startswith=within)
    rows = (
        referrals.order_by()
        .annotate(delay=ExpressionWrapper(F("feedback_at") - F("sent_at"), output_field=Duration()))
        .values("county_id")
        .annotate(
            sent=Count("id"),
            with_feedback=Count(
                "id",
                filter=Q(feedback_at__isnull=False, delay__lte=datetime.timedelta(days=days)),
            ),
        )
    )
    return [(row["county_id"], row["with_feedback"], row["sent"]) for row in rows]
