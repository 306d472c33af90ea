"""Writes of supervision (督导, notice §9): a supervisor's qualifications, supervision stations
(督导分站 / 督导点) per county, and supervision sessions.

Who writes: a supervisor (role ``supervisor`` at a county or city) records the sessions they lead,
for a county their assignment covers, with supervisees who work in that county (psychology
teachers, county center staff, school leaders); county center staff and county / city officials
keep the stations. Cases discussed must be de-identified (the form says so); they are encrypted
anyway. Every write is audited in its transaction."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from counseling.models import (
    StationKind,
    SupervisionFormat,
    SupervisionSession,
    SupervisionStation,
    SupervisorProfile,
)
from mhcare.accounts import policy
from mhcare.accounts.models import Role
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.notifications.services import Outgoing, notification_send_many
from mhcare.orgs.models import OrgKind, OrgUnit

NOT_A_COUNTY = gettext_lazy("Choose a county.")
STATION_ELSEWHERE = gettext_lazy("This station belongs to another county.")
HOST_ELSEWHERE = gettext_lazy("The host unit must lie in the station's county.")
NAME_REQUIRED = gettext_lazy("Enter the station's name.")
NAME_TAKEN = gettext_lazy("This county already has a station of this name.")
FUTURE_DATE = gettext_lazy("The date cannot be in the future.")
NO_SUPERVISEES = gettext_lazy("Choose at least one supervisee.")
ONE_SUPERVISEE = gettext_lazy("Individual supervision has exactly one supervisee.")
SUPERVISEE_ELSEWHERE = gettext_lazy(
    "Supervisees must work in the session's county (psychology teachers, leaders or center staff)."
)
SELF_SUPERVISION = gettext_lazy("A supervisor does not supervise themselves.")
TOPIC_REQUIRED = gettext_lazy("Enter the topic.")
DURATION_RANGE = gettext_lazy("The duration is between 1 and 600 minutes.")
UNKNOWN_FORMAT = gettext_lazy("Choose a valid format.")
UNKNOWN_KIND = gettext_lazy("Choose a valid kind.")

SUPERVISEE_ROLES = (Role.PSYCH_TEACHER, Role.SCHOOL_LEADER, Role.COUNTY_CENTER)
NOTIFICATION_KIND = "supervision"


def supervisee_candidates(county: OrgUnit) -> QuerySet[Any]:
    """Who may be supervised in ``county``: active psychology teachers, school leaders and center
    staff whose assignment lies in the county."""
    return (
        get_user_model()
        .objects.filter(
            assignments__org_unit__path__startswith=county.path,
            assignments__role__in=SUPERVISEE_ROLES,
            assignments__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("display_name", "username")
    )


@transaction.atomic
def supervisor_profile_save(
    *, actor: Any, qualifications: str, certificate: str = "", trained_on: datetime.date | None
) -> SupervisorProfile:
    """A supervisor keeps their own qualifications."""
    policy.require(actor, policy.Action.WRITE_SUPERVISION)
    profile, created = SupervisorProfile.objects.select_for_update().get_or_create(user=actor)
    profile.qualifications = (qualifications or "").strip()
    profile.certificate = (certificate or "").strip()
    profile.trained_on = trained_on
    profile.full_clean()
    profile.save()
    audit_record(actor=actor, action=Action.CREATE if created else Action.UPDATE, obj=profile)
    return profile


@transaction.atomic
def station_create(
    *,
    actor: Any,
    county: OrgUnit,
    name: str,
    kind: str,
    host: OrgUnit | None = None,
    address: str = "",
) -> SupervisionStation:
    if county.kind != OrgKind.COUNTY:
        raise ValidationError({"county": NOT_A_COUNTY})
    policy.require(actor, policy.Action.MANAGE_SUPERVISION_STATIONS, county)
    errors: dict[str, Any] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = NAME_REQUIRED
    elif SupervisionStation.objects.filter(county=county, name=name).exists():
        errors["name"] = NAME_TAKEN
    if kind not in StationKind.values:
        errors["kind"] = UNKNOWN_KIND
    if host is not None and not host.path.startswith(county.path):
        errors["host"] = HOST_ELSEWHERE
    if errors:
        raise ValidationError(errors)
    station = SupervisionStation(
        county=county, name=name, kind=kind, host=host, address=address.strip(), created_by=actor
    )
    station.full_clean()
    station.save()
    audit_record(actor=actor, action=Action.CREATE, obj=station)
    return station


@transaction.atomic
def supervision_session_record(
    *,
    actor: Any,
    county: OrgUnit,
    held_on: datetime.date,
    format: str,  # noqa: A002 - the domain's word
    duration_minutes: int,
    supervisees: Sequence[Any],
    topic: str,
    cases_discussed: str = "",
    station: SupervisionStation | None = None,
) -> SupervisionSession:
    """Record a supervision session the actor led. The supervisees are told (the title names no
    case)."""
    if county.kind != OrgKind.COUNTY:
        raise ValidationError({"county": NOT_A_COUNTY})
    if not policy.allowed(actor, policy.Action.WRITE_SUPERVISION, county):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    if station is not None and station.county_id != county.pk:
        errors["station"] = STATION_ELSEWHERE
    if held_on > timezone.localdate():
        errors["held_on"] = FUTURE_DATE
    if format not in SupervisionFormat.values:
        errors["format"] = UNKNOWN_FORMAT
    if not 0 < int(duration_minutes or 0) <= 600:
        errors["duration_minutes"] = DURATION_RANGE
    if not (topic or "").strip():
        errors["topic"] = TOPIC_REQUIRED
    people = {u.pk: u for u in supervisees}
    if not people:
        errors["supervisees"] = NO_SUPERVISEES
    elif actor.pk in people:
        errors["supervisees"] = SELF_SUPERVISION
    elif set(people) - set(
        supervisee_candidates(county).filter(pk__in=people).values_list("pk", flat=True)
    ):
        errors["supervisees"] = SUPERVISEE_ELSEWHERE
    elif format == SupervisionFormat.INDIVIDUAL and len(people) != 1:
        errors["supervisees"] = ONE_SUPERVISEE
    if errors:
        raise ValidationError(errors)
    session = SupervisionSession(
        supervisor=actor,
        county=county,
        station=station,
        held_on=held_on,
        format=format,
        duration_minutes=int(duration_minutes),
        topic=topic.strip(),
        cases_discussed=(cases_discussed or "").strip(),
    )
    session.full_clean()
    session.save()
    session.supervisees.set(list(people.values()))
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=session,
        detail={"supervisees": sorted(people)},
    )
    url = reverse("counseling:supervision_session", args=[session.pk])
    title = _("Supervision session of %(date)s recorded") % {"date": f"{held_on:%Y-%m-%d}"}
    items = [
        Outgoing(user, NOTIFICATION_KIND, f"supervision:{session.pk}", title, "", url, False)
        for user in people.values()
    ]
    transaction.on_commit(lambda: notification_send_many(items), robust=True)
    return session


def supervision_counties(actor: Any, action: policy.Action) -> QuerySet[OrgUnit]:
    """Counties under the actor's assignments that allow ``action`` (form choices)."""
    return policy.units(actor, action).filter(kind=OrgKind.COUNTY, is_active=True).order_by("path")


def county_of(unit: OrgUnit) -> OrgUnit | None:
    return unit if unit.kind == OrgKind.COUNTY else unit.ancestor_of_kind(OrgKind.COUNTY)
