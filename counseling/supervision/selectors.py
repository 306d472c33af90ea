"""Reads of supervision (notice §9).

A supervision session is an "own record": it is read only by the supervisor who led it and by its
supervisees, whatever other roles anyone holds (an official, a county center or another supervisor
never reads it; out of reach is 404 like a missing session). Stations carry no case and are listed
to supervisors, county center staff and officials of their subtree."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from counseling.models import SupervisionSession, SupervisionStation, SupervisorProfile
from mhcare.accounts import policy


@dataclass(frozen=True)
class SuperviseeRow:
    user: Any
    sessions: int
    last_on: datetime.date


def session_queryset(*, actor: Any) -> QuerySet[SupervisionSession]:
    """Sessions the actor led or attended as a supervisee, newest first."""
    user_id = getattr(actor, "pk", None)
    if user_id is None:
        return SupervisionSession.objects.none()
    attended = SupervisionSession.supervisees.through.objects.filter(user_id=user_id).values(
        "supervisionsession_id"
    )
    return (
        SupervisionSession.objects.filter(Q(supervisor_id=user_id) | Q(pk__in=attended))
        .select_related("supervisor", "county", "station")
        .annotate(supervisee_count=Count("supervisees"))
        .order_by("-held_on", "-id")
    )


def sessions_led(*, actor: Any, limit: int | None = None) -> list[SupervisionSession]:
    queryset = session_queryset(actor=actor).filter(supervisor_id=actor.pk)
    return list(queryset[:limit] if limit else queryset)


def sessions_attended(*, actor: Any, limit: int | None = None) -> list[SupervisionSession]:
    queryset = session_queryset(actor=actor).exclude(supervisor_id=actor.pk)
    return list(queryset[:limit] if limit else queryset)


def session_get(*, actor: Any, pk: Any) -> SupervisionSession:
    try:
        return session_queryset(actor=actor).prefetch_related("supervisees").get(pk=int(pk))
    except (SupervisionSession.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def my_supervisees(*, actor: Any, limit: int = 50) -> list[SuperviseeRow]:
    """The people the actor supervised: how many sessions, the last one's date (two queries)."""
    from django.contrib.auth import get_user_model

    through = SupervisionSession.supervisees.through
    stats = list(
        through.objects.filter(supervisionsession__supervisor_id=actor.pk)
        .values("user_id")
        .annotate(n=Count("id"), last_on=Max("supervisionsession__held_on"))
        .order_by("-last_on", "user_id")[:limit]
    )
    users = get_user_model().objects.in_bulk([row["user_id"] for row in stats])
    return [
        SuperviseeRow(user=users[row["user_id"]], sessions=row["n"], last_on=row["last_on"])
        for row in stats
        if row["user_id"] in users
    ]


def station_queryset(*, actor: Any) -> QuerySet[SupervisionStation]:
    policy.require(actor, policy.Action.VIEW_SUPERVISION_STATIONS)
    return (
        policy.narrow(
            actor,
            policy.Action.VIEW_SUPERVISION_STATIONS,
            SupervisionStation.objects.all(),
            school_field="county",
            class_field=None,
        )
        .select_related("county", "host")
        .annotate(session_count=Count("sessions"))
        .order_by("county__path", "name", "id")
    )


def profile_of(user: Any) -> SupervisorProfile | None:
    return SupervisorProfile.objects.filter(user_id=user.pk).first()


@dataclass(frozen=True)
class SupervisorRow:
    user: Any
    unit: Any
    profile: SupervisorProfile | None


def supervisor_list(*, actor: Any) -> list[SupervisorRow]:
    """Supervisors who work in the actor's units or above them (a city supervisor serves the
    city's counties), with their qualifications: for the stations page. Two queries."""
    from mhcare.accounts.models import Role, RoleAssignment

    paths = policy.paths(actor, policy.Action.VIEW_SUPERVISION_STATIONS)
    if not paths:
        return []
    ancestors = {
        "/" + "/".join(path.strip("/").split("/")[:depth]) + "/"
        for path in paths
        for depth in range(1, path.strip("/").count("/") + 1)
    }
    condition = Q(org_unit__path__in=ancestors)
    for path in paths:
        condition |= Q(org_unit__path__startswith=path)
    assignments = list(
        RoleAssignment.objects.active()
        .filter(condition, role=Role.SUPERVISOR, user__is_active=True)
        .select_related("user", "org_unit", "user__supervisor_profile")
        .order_by("org_unit__path", "user__display_name", "user_id")
    )
    rows = []
    for a in assignments:
        profile = getattr(a.user, "supervisor_profile", None)
        rows.append(SupervisorRow(user=a.user, unit=a.org_unit, profile=profile))
    return rows
