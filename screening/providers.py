"""What screening shows in kernel pages, registered from ``ScreeningConfig.ready()``: the student
page's "Enter PHQ-9" action and growth-file events, for the users allowed to see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import choice_labels
from mhcare.core.registry import NavItem, StudentAction, TimelineEvent
from mhcare.core.risk import LEVEL_COLOURS, RiskLevel
from screening import risk, selectors
from screening.models import OPEN_PROPOSAL_STATUSES, RiskProposal
from screening.services import may_enter_results


def student_actions(actor: Any, student: Any) -> Iterable[StudentAction]:
    if not may_enter_results(actor, student):
        return []
    return [
        StudentAction(
            label=_("Enter %(instrument)s") % {"instrument": instrument.code},
            url=reverse("screening:result_create", args=[student.pk, instrument.code]),
            order=10,
        )
        for instrument in selectors.entry_instrument_list(actor=actor, student=student)
    ]


def _at(day: Any, created: datetime) -> datetime:
    """Results are dated by administration; the time of entry breaks ties within a day."""
    local = timezone.localtime(created)
    if local.date() == day:
        return created
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def timeline(actor: Any, student: Any) -> Iterable[TimelineEvent]:
    events: list[TimelineEvent] = []
    if scope.can(actor, RecordKind.SCORE) or scope.can(actor, RecordKind.SCORE_SUMMARY):
        full = selectors.result_list(actor=actor, student=student, kind=RecordKind.SCORE)
        summary = (
            []
            if full
            else selectors.result_list(actor=actor, student=student, kind=RecordKind.SCORE_SUMMARY)
        )
        for result in full:
            title = _("%(instrument)s: total %(total)s, %(band)s") % {
                "instrument": result.instrument.code,
                "total": result.total,
                "band": result.band_label,
            }
            detail = _("critical item positive") if result.is_critical else ""
            events.append(
                TimelineEvent(
                    at=_at(result.administered_on, result.created_at),
                    kind="screening",
                    title=title,
                    detail=str(detail),
                )
            )
        for result in summary:
            events.append(
                TimelineEvent(
                    at=_at(result.administered_on, result.created_at),
                    kind="screening",
                    title=_("%(instrument)s: %(band)s")
                    % {"instrument": result.instrument.code, "band": result.band_label},
                )
            )
    if policy.reads(actor, RecordKind.CASE, student):
        proposals = list(selectors.proposal_list(actor=actor, student=student))
        # Items only for roles that see items; a leader reads the level and band.
        reasons = risk.proposal_reason_labels_many(actor, proposals)
        levels = choice_labels(RiskProposal, "level")
        statuses = choice_labels(RiskProposal, "status")
        for proposal in proposals:
            events.append(
                TimelineEvent(
                    at=proposal.created_at,
                    kind="risk_proposal",
                    title=_("Proposed %(level)s — %(status)s")
                    % {
                        "level": levels.get(proposal.level, proposal.level),
                        "status": statuses.get(proposal.status, proposal.status),
                    },
                    detail="; ".join(reasons[proposal.pk]),
                    level=LEVEL_COLOURS.get(RiskLevel(proposal.level), ""),
                )
            )
    elif policy.reads(actor, RecordKind.FLAG, student):
        # Class roles learn only that the psychology teacher is looking at the student.
        flagged = (
            selectors.proposal_list(actor=actor, student=student, kind=RecordKind.FLAG)
            .filter(status__in=OPEN_PROPOSAL_STATUSES)
            .first()
        )
        if flagged is not None:
            events.append(
                TimelineEvent(
                    at=flagged.created_at,
                    kind="flag",
                    title=_("Flagged for the psychology teacher's attention"),
                )
            )
    return events


def nav_items(actor: Any) -> list[NavItem]:
    """Header entries: the results import for those who enter scores, the observation queue for
    psychology teachers, "report a concern" for class teachers."""
    # Decided from the actor's grants alone (no query): this runs on every page.
    from screening.campaigns.selectors import may_view_campaigns
    from screening.observations.services import may_report, may_review

    items: list[NavItem] = []
    if may_view_campaigns(actor):
        items.append(
            NavItem(_("Campaigns"), reverse("screening:campaign_list"), 25, group="screening")
        )
    if may_review(actor):
        items.append(
            NavItem(
                _("Observations"), reverse("screening:observation_queue"), 30, group="screening"
            )
        )
    if may_enter_results(actor):
        items.append(
            NavItem(_("Results import"), reverse("screening:import_upload"), 40, group="screening")
        )
    if may_report(actor):
        items.append(
            NavItem(
                _("Report a concern"),
                reverse("screening:observation_report"),
                20,
                group="screening",
            )
        )
    # Guardian consent (PIPL art. 31): a homeroom teacher records it for their own class (the
    # psychology teacher reaches every class from the campaign pages).
    from mhcare.accounts import policy

    own = [g.class_id for g in policy.granting(actor, policy.Action.RECORD_CONSENT) if g.class_id]
    if own:
        url = reverse("screening:class_consents", args=[min(own)])
        items.append(NavItem(_("Guardian consent"), url, 22, group="screening"))
    return items
