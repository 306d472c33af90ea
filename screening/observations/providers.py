"""What observations show in kernel pages: the growth-file timeline (users who may see
observations), the home panels and the student page's "Report a concern" action."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mhcare.accounts import scope
from mhcare.accounts.scope import RecordKind
from mhcare.core.registry import StudentAction, TimelineEvent, TodoPanel
from screening.models import ObservationCategory, ObservationStatus
from screening.observations import selectors
from screening.observations.services import may_report, may_review

PANEL_ROWS = 10


def student_actions(actor: Any, student: Any) -> Iterable[StudentAction]:
    if not may_report(actor, student):
        return []
    return [
        StudentAction(
            label=_("Report a concern"),
            url=reverse("screening:observation_report_student", args=[student.pk]),
            order=30,
        )
    ]


def timeline(actor: Any, student: Any) -> Iterable[TimelineEvent]:
    if not scope.can(actor, RecordKind.OBSERVATION):
        return []
    events = []
    for observation in selectors.student_observations(actor=actor, student=student):
        created = timezone.localtime(observation.created_at)
        at = (
            observation.created_at
            if created.date() == observation.observed_on
            else timezone.make_aware(datetime.combine(observation.observed_on, time(12, 0)))
        )
        events.append(
            TimelineEvent(
                at=at,
                kind="observation",
                title=_("Observation: %(category)s (%(status)s)")
                % {
                    "category": observation.get_category_display(),
                    "status": observation.get_status_display(),
                },
                detail=_("reported by %(reporter)s") % {"reporter": observation.reporter},
                url=reverse("screening:observation_review", args=[observation.pk])
                if may_review(actor, observation)
                else "",
                level="red" if observation.category == ObservationCategory.SELF_HARM else "",
            )
        )
    return events


def home_panels(actor: Any) -> Iterable[TodoPanel]:
    panels: list[TodoPanel] = []
    if may_review(actor):
        page = selectors.observation_queue(actor=actor, page_size=PANEL_ROWS)
        panels.append(
            TodoPanel(
                key="observations_to_review",
                title=_("Observations to review"),
                rows=[
                    {
                        "label": f"{o.student.name} · {o.student.klass.name} · "
                        f"{o.get_category_display()}",
                        "url": reverse("screening:observation_review", args=[o.pk]),
                        "level": "red" if o.category == ObservationCategory.SELF_HARM else "",
                        "level_label": _("urgent")
                        if o.category == ObservationCategory.SELF_HARM
                        else "",
                        "meta": o.observed_on.isoformat(),
                    }
                    for o in page.rows
                ],
                url=reverse("screening:observation_queue"),
                empty_text=_("No observation waits for review."),
                order=15,
            )
        )
    if may_report(actor):
        page = selectors.reported_list(actor=actor, page_size=5)
        panels.append(
            TodoPanel(
                key="report_concern",
                title=_("Report a concern"),
                rows=[
                    {
                        "label": f"{o.student.name} · {o.get_category_display()}",
                        "meta": str(
                            _("reviewed")
                            if o.status == ObservationStatus.REVIEWED
                            else _("received")
                        ),
                    }
                    for o in page.rows
                ],
                url=reverse("screening:observation_report"),
                empty_text=_("Noticed a change in a student of your class? Report it here."),
                template="screening/observations/_panel_report.html",
                order=12,
            )
        )
    return panels


def register_reason_labels() -> None:
    """Give the proposal reasons of observations their labels where proposals are shown
    (``screening.risk.reason_label``)."""
    from screening import risk
    from screening.observations.services import REASON_LABELS

    labels = getattr(risk, "REASON_LABELS", None)
    if isinstance(labels, dict):
        for code, label in REASON_LABELS.items():
            labels.setdefault(code, label)
