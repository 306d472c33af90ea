"""What family contacts show in kernel pages, to be registered from ``CrisisConfig.ready()``:

- the header entry "Family contacts" for homeroom and psychology teachers;
- home panels: the homeroom teacher's class coverage with the families still missing a direct
  contact, and the psychology teacher's key-period home visits not done yet;
- one growth-file timeline event per family contact, for roles that see family records (the
  topics stay on the audited contacts page).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.families import selectors, services
from crisis.models import FamilyContact
from mhcare.accounts import scope
from mhcare.accounts.models import Role
from mhcare.core.fields import choice_labels
from mhcare.core.registry import NavItem, TimelineEvent, TodoPanel
from mhcare.orgs.models import SchoolClass

PANEL_ROWS = 10


def nav_items(actor: Any) -> list[NavItem]:
    """Decided from the actor's grants alone (no query): this runs on every page."""
    grants = [
        g for g in scope.grants(actor) if g.role in (Role.HOMEROOM_TEACHER, Role.PSYCH_TEACHER)
    ]
    if not grants:
        return []
    url = reverse("crisis:family_index")
    if len(grants) == 1:
        # One class or one school: straight to it (the index would only redirect there).
        grant = grants[0]
        if grant.role == Role.HOMEROOM_TEACHER and grant.class_id:
            url = reverse("crisis:family_class", args=[grant.class_id])
        elif grant.role == Role.PSYCH_TEACHER:
            url = reverse("crisis:family_school", args=[grant.unit_id])
    return [NavItem(_("Family contacts"), url, 35, group="students")]


def timeline(actor: Any, student: Any) -> Iterable[TimelineEvent]:
    if not services.may_see_families(actor):
        return []
    url = reverse("crisis:family_student", args=[student.pk])
    events = []
    ways = choice_labels(FamilyContact, "way")
    for contact in selectors.student_contacts(actor=actor, student=student)[:200]:
        created = timezone.localtime(contact.created_at)
        at = (
            contact.created_at
            if created.date() == contact.contacted_on
            else timezone.make_aware(datetime.combine(contact.contacted_on, time(12, 0)))
        )
        events.append(
            TimelineEvent(
                at=at,
                kind="family_contact",
                title=_("Family contact: %(way)s with %(with_whom)s")
                % {"way": ways.get(contact.way, contact.way), "with_whom": contact.with_whom},
                detail=_("by %(by)s") % {"by": contact.by},
                url=url,
            )
        )
    return events


def _homeroom_panels(actor: Any) -> list[TodoPanel]:
    class_ids = sorted(services.family_class_ids(actor))
    if not class_ids or not scope.has_role(actor, Role.HOMEROOM_TEACHER):
        return []
    semester = selectors.current_semester()
    panels = []
    for klass in SchoolClass.objects.filter(pk__in=class_ids).select_related("school"):
        rows = selectors.class_rows(actor=actor, klass=klass, semester=semester)
        coverage = selectors.class_coverage(rows)
        url = reverse("crisis:family_class", args=[klass.pk])
        missing = [row.student for row in rows if not row.is_covered]
        panels.append(
            TodoPanel(
                key=f"family_contacts_{klass.pk}",
                title=_("Family contacts %(class)s: %(covered)s / %(enrolled)s")
                % {"class": klass.name, "covered": coverage.covered, "enrolled": coverage.enrolled},
                rows=[
                    {"label": student.name, "url": f"{url}#row-{student.pk}"}
                    for student in missing[:PANEL_ROWS]
                ],
                url=url,
                empty_text=_("Every family of the class has had a direct contact this semester.")
                if semester
                else _("Today lies outside every semester."),
                order=14,
            )
        )
    return panels


def _psych_panels(actor: Any) -> list[TodoPanel]:
    if not scope.has_role(actor, Role.PSYCH_TEACHER):
        return []
    lines = list(selectors.pending_visits(actor=actor)[:PANEL_ROWS])
    return [
        TodoPanel(
            key="home_visits_due",
            title=_("Key-period home visits not done"),
            rows=[
                {
                    "label": f"{line.student.name} · {line.student.klass.name} · "
                    f"{line.key_period.name}",
                    "url": reverse("crisis:family_visit_mark", args=[line.pk]),
                    "meta": _("until %(date)s") % {"date": line.key_period.ends_on.isoformat()},
                }
                for line in lines
            ],
            url=reverse("crisis:family_key_period_list"),
            empty_text=_("No home visit of a key period is waiting."),
            order=25,
        )
    ]


def home_panels(actor: Any) -> Iterable[TodoPanel]:
    return [*_homeroom_panels(actor), *_psych_panels(actor)]
