"""What referrals show in kernel pages and on the crisis case page, registered from
``ReferralsConfig.ready()``: the header entries, the home panels (the institution's waiting list;
the school's next steps and cases marked "referred" without a referral), the student page's
"Refer" action, the growth-file timeline and the case page's "Referrals" section (how the case
status "referred" and the 研判 decision "refer" lead to a real referral)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisis.models import Case, CaseStatus
from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.core.registry import CaseSection, NavItem, StudentAction, TimelineEvent, TodoPanel
from referrals import selectors, services
from referrals.models import ACTIVE_STATES, Referral, ReferralState

S = ReferralState
PANEL_ROWS = 10

# Steps shown on the growth-file timeline, with their title.
TIMELINE_TITLES = {
    "create": gettext_lazy("Referral drafted (%(institution)s)"),
    "consent": gettext_lazy("Referral: guardian's consent recorded"),
    "override": gettext_lazy("Referral: emergency override of the consent by a school leader"),
    "send": gettext_lazy("Referral sent to %(institution)s"),
    "accept": gettext_lazy("Referral accepted by %(institution)s"),
    "decline": gettext_lazy("Referral declined by %(institution)s"),
    "start_treatment": gettext_lazy("Treatment started at %(institution)s"),
    "feedback": gettext_lazy("Feedback from %(institution)s"),
    "return": gettext_lazy("Returned to school after the referral"),
    "plan": gettext_lazy("Return plan written"),
    "close": gettext_lazy("Referral closed"),
    "withdraw": gettext_lazy("Referral withdrawn"),
}


def nav_items(actor: Any) -> list[NavItem]:
    """From the grants alone (no query)."""
    items = []
    if policy.anywhere(actor, policy.Action.VIEW_REFERRALS):
        items.append(NavItem(_("Referrals"), reverse("referrals:list"), 65, group="crisis"))
    if policy.anywhere(actor, policy.Action.VIEW_INSTITUTIONS) and (
        not policy.anywhere(actor, policy.Action.VIEW_REFERRALS) or services.may_keep(actor)
    ):
        items.append(
            NavItem(_("Institutions"), reverse("referrals:institution_list"), 66, group="crisis")
        )
    return items


def _row(referral: Referral, meta: str) -> dict[str, Any]:
    return {
        "label": f"{referral.get_state_display()} · {referral.school.name}"
        if hasattr(referral, "school") and referral.school_id
        else referral.get_state_display(),
        "url": reverse("referrals:detail", args=[referral.pk]),
        "level": "red" if referral.urgency == "urgent" else "",
        "level_label": referral.get_urgency_display() if referral.urgency == "urgent" else "",
        "meta": meta,
    }


def home_panels(actor: Any) -> Iterable[TodoPanel]:
    panels = []
    if services.staff_unit_ids(actor):
        rows = []
        for r in selectors.waiting_for_institution(actor=actor, limit=PANEL_ROWS):
            sent = timezone.localtime(r.sent_at).strftime("%Y-%m-%d") if r.sent_at else ""
            meta = (
                _("sent %(date)s — accept or decline") % {"date": sent}
                if r.state == S.SENT
                else _("feedback expected")
            )
            rows.append(_row(r, meta))
        panels.append(
            TodoPanel(
                key="referrals_institution",
                title=_("Referrals waiting for your institution"),
                rows=rows,
                url=reverse("referrals:list") + "?state=active",
                empty_text=_("No referral waits for you."),
                order=3,
            )
        )
    if services.may_make(actor):
        rows = []
        for r in selectors.waiting_for_school(actor=actor, limit=PANEL_ROWS):
            row = _row(r, r.institution.name)
            row["label"] = f"{r.student.name} · {r.get_state_display()}"
            rows.append(row)
        for case in cases_without_referral(actor=actor, limit=PANEL_ROWS):
            rows.append(
                {
                    "label": _("%(name)s: case marked “referred”, no referral yet")
                    % {"name": case.student.name},
                    "url": reverse("referrals:create")
                    + f"?student={case.student_id}&case={case.pk}",
                    "level": case.colour,
                    "level_label": case.get_level_display(),
                    "meta": "",
                }
            )
        panels.append(
            TodoPanel(
                key="referrals_school",
                title=_("Referrals: next steps"),
                rows=rows,
                url=reverse("referrals:list") + "?state=active",
                empty_text=_("No referral waits for the school."),
                order=8,
            )
        )
    return panels


def cases_without_referral(*, actor: Any, limit: int = 10) -> list[Case]:
    """Cases the actor writes whose status is "referred" (by hand or by a 研判 decision "refer")
    and whose student has no referral in progress: the school still has to make it."""
    condition = policy.filter_q(actor, policy.Action.MAKE_REFERRAL, school_field="school")
    if condition is None:
        return []
    active = scope.scoped(actor, Referral).filter(state__in=[str(s) for s in ACTIVE_STATES])
    return list(
        scope.scoped(actor, Case, kind=RecordKind.CASE)
        .filter(condition, status=CaseStatus.REFERRED)
        .exclude(student_id__in=active.values("student_id"))
        .select_related("student")
        .order_by("id")[:limit]
    )


def student_actions(actor: Any, student: Any) -> Iterable[StudentAction]:
    if not services.may_make(actor, student):
        return []
    return [
        StudentAction(
            _("Refer to an institution"), reverse("referrals:create") + f"?student={student.pk}", 40
        )
    ]


def timeline(actor: Any, student: Any) -> Iterable[TimelineEvent]:
    """The referral's steps on the growth file, for those who read the student's referrals; the
    institution's feedback shows its assessment summary."""
    if not (
        scope.can(actor, RecordKind.REFERRAL) and policy.reads(actor, RecordKind.STUDENT, student)
    ):
        return []
    referrals = {
        r.pk: r
        for r in scope.scoped(actor, Referral)
        .filter(student=student)
        .select_related("institution__unit")
        .prefetch_related("events")
    }
    if not referrals:
        return []
    events = []
    for referral in referrals.values():
        for event in referral.events.all():
            title = TIMELINE_TITLES.get(event.action, event.action)
            detail = ""
            if event.action == "feedback":
                detail = referral.assessment_summary
            elif event.action in ("decline", "withdraw", "override"):
                detail = event.note
            events.append(
                TimelineEvent(
                    at=event.at,
                    kind="referral",
                    title=str(title) % {"institution": referral.institution.name},
                    detail=detail,
                    url=reverse("referrals:detail", args=[referral.pk]),
                )
            )
    return events


def case_sections(actor: Any, case: Any) -> Iterable[CaseSection]:
    if not scope.can(actor, RecordKind.REFERRAL):
        return []
    referrals = selectors.case_referrals(actor=actor, case=case)
    has_active = any(r.state in ACTIVE_STATES for r in referrals)
    return [
        CaseSection(
            key="referrals",
            title=_("Referrals"),
            template="referrals/_case_section.html",
            context={
                "referrals": referrals,
                "needs_referral": case.status == CaseStatus.REFERRED and not has_active,
                "may_make": services.may_make(actor, case.student)
                and not has_active
                and case.status != CaseStatus.CLOSED,
                "create_url": reverse("referrals:create")
                + f"?student={case.student_id}&case={case.pk}",
            },
            order=10,
        )
    ]
