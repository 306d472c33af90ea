"""What 上报 adds to kernel pages and to the case services' writes, wired from
``CrisisConfig.ready()`` by one call to ``register()``: the header entry "Not yet reported", the
"reported to the province" events of the student's timeline, and the kick that delivers a new
outbox row as soon as the case transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.signals import post_save
from django.urls import reverse
from django.utils.translation import gettext as _

from crisis.models import CaseReport
from crisis.reporting import selectors, services
from mhcare.core import registry
from mhcare.core.registry import NavItem, TimelineEvent

SIGNAL_UID = "crisis.reporting.deliver_on_create"


def nav_items(actor: Any) -> list[NavItem]:
    # Decided from the actor's grants alone (no query): this runs on every page.
    if not selectors.may_view_reports(actor):
        return []
    return [NavItem(_("Not yet reported"), reverse("crisis:report_unreported"), 60, group="crisis")]


def timeline(actor: Any, student: Any) -> Iterable[TimelineEvent]:
    return [
        TimelineEvent(
            at=report.sent_at,
            kind="case",
            title=_("Reported to the provincial platform (version %(version)s)")
            % {"version": report.version},
            url=reverse("crisis:report_detail", args=[report.pk]),
            level="red" if report.level == "1" else "orange",
        )
        for report in selectors.student_report_list(actor=actor, student=student)
        if report.sent_at is not None
    ]


def deliver_on_create(sender: Any, instance: CaseReport, created: bool, **kwargs: Any) -> None:
    """A new outbox row is delivered right after the case transaction commits (the sweep is the
    safety net). No business rule here: the delivery decides everything."""
    if created and not kwargs.get("raw", False):
        services.report_enqueue_on_commit(instance.pk)


def connect_signals() -> None:
    post_save.connect(deliver_on_create, sender=CaseReport, dispatch_uid=SIGNAL_UID)


def register() -> None:
    """Everything 上报 wires up; idempotent (the registries and the signal ignore repeats). The
    delivery and the reminder tasks are the kernel's (``mhcare.core.outbox``,
    ``mhcare.core.reminders``)."""
    registry.register_nav(nav_items)
    registry.register_timeline(timeline)
    connect_signals()
