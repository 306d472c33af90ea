"""Writes of the screening app: entering a result (and the risk level it proposes)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import policy, scope
from mhcare.accounts.models import Role
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core import registry
from mhcare.core.risk import RiskLevel
from mhcare.orgs.models import OrgUnit, Student
from screening import risk, scoring
from screening.models import (
    Campaign,
    CampaignInstrument,
    ConsentDecision,
    Instrument,
    InstrumentKind,
    ProposalStatus,
    ResultSource,
    RiskProposal,
    ScreeningConsent,
    ScreeningResult,
)
from screening.scoring import NOT_ITEM_LEVEL, NOT_SCORE_LEVEL

# Roles that enter screening results (they also see scores); others never do.
ENTRY_ROLES = policy.ACTION_RULES[policy.Action.ENTER_RESULTS].roles

NOT_ALLOWED = _("You may not enter screening results for this student.")
FUTURE_DATE = _("The administration date cannot be in the future.")
GRADE_NOT_COVERED = _("This instrument does not apply to the student's grade.")
CAMPAIGN_NOT_FOR_SCHOOL = _("The student's school does not take part in this campaign.")
CAMPAIGN_NOT_FOR_INSTRUMENT = _(
    "This campaign does not use this instrument for the student's grade."
)
SELF_NEEDS_CAMPAIGN = _("A self-administered result belongs to a campaign.")
CONSENT_REFUSED = _(
    "The guardian refused screening for this student: no result is entered for them."
)

__all__ = [
    "CAMPAIGN_NOT_FOR_INSTRUMENT",
    "CONSENT_REFUSED",
    "CAMPAIGN_NOT_FOR_SCHOOL",
    "ENTRY_ROLES",
    "FUTURE_DATE",
    "GRADE_NOT_COVERED",
    "NOT_ALLOWED",
    "NOT_ITEM_LEVEL",
    "NOT_SCORE_LEVEL",
    "SELF_NEEDS_CAMPAIGN",
    "may_enter_results",
    "result_create",
]


def may_enter_results(actor: Any, student: Student | None = None) -> bool:
    """Whether the actor enters results at all, and (given a student) for this student."""
    return policy.allowed(actor, policy.Action.ENTER_RESULTS, student)


def _check_campaign(campaign: Campaign, student: Student, instrument: Instrument) -> None:
    school_path = OrgUnit.objects.filter(pk=student.school_id).values_list("path", flat=True)[0]
    run_by_path = OrgUnit.objects.filter(pk=campaign.org_unit_id).values_list("path", flat=True)[0]
    if not school_path.startswith(run_by_path):
        raise ValidationError(CAMPAIGN_NOT_FOR_SCHOOL, code="campaign_school")
    grade = student.klass.grade
    covered = CampaignInstrument.objects.filter(
        campaign=campaign, instrument=instrument, grade_min__lte=grade, grade_max__gte=grade
    ).exists()
    if not covered or grade not in (campaign.target_grades or []):
        raise ValidationError(CAMPAIGN_NOT_FOR_INSTRUMENT, code="campaign_instrument")


def _repropose(*, result: ScreeningResult, proposal: risk.Proposal | None) -> RiskProposal | None:
    """Bring the result's pending proposal in line with its (new) score: update it in place,
    create it, or delete it when no rule matches any more. Confirmed or dismissed proposals are
    the evaluation's decisions and stay as they are."""
    pending = list(result.proposals.filter(status=ProposalStatus.PENDING).order_by("id"))
    if proposal is None:
        if pending:
            RiskProposal.objects.filter(pk__in=[p.pk for p in pending]).delete()
        return None
    if pending:
        keep, extra = pending[0], pending[1:]
        if extra:
            RiskProposal.objects.filter(pk__in=[p.pk for p in extra]).delete()
        if (keep.level, keep.reasons) != (proposal.level, proposal.reasons):
            keep.level = proposal.level
            keep.reasons = proposal.reasons
            keep.save(update_fields=["level", "reasons"])
        return keep
    decided = result.proposals.filter(level=proposal.level, reasons=proposal.reasons).first()
    if decided is not None:
        return decided
    return RiskProposal.objects.create(
        student_id=result.student_id,
        school_id=result.school_id,
        county_id=result.county_id,
        level=proposal.level,
        reasons=proposal.reasons,
        source_result=result,
    )


@transaction.atomic
def result_create(
    *,
    actor: Any,
    student: Student,
    instrument: Instrument,
    administered_on: datetime.date,
    answers: Sequence[Any] | None = None,
    scores: Mapping[str, Any] | None = None,
    campaign: Campaign | None = None,
    source: str = ResultSource.FORM,
) -> ScreeningResult:
    """Validate and score ``answers`` (item-level) or ``scores`` (score-level), store the result
    and the risk level it proposes, audit, and alert the school after commit when it is critical.

    With a ``campaign`` the (campaign, student, instrument) row is upserted: a second entry
    re-scores the stored result and re-proposes (its pending proposal is updated, not duplicated);
    an entry identical to the stored one changes nothing. ``source=SELF`` (a student's one-time
    code, checked by the caller) is the only entry without an ``actor``."""
    self_administered = source == ResultSource.SELF and actor is None
    if self_administered:
        if campaign is None:
            raise ValidationError(SELF_NEEDS_CAMPAIGN, code="campaign")
    elif not may_enter_results(actor, student):
        raise PermissionDenied(NOT_ALLOWED)
    if ScreeningConsent.objects.filter(student=student, decision=ConsentDecision.REFUSED).exists():
        raise ValidationError(CONSENT_REFUSED, code="consent_refused")
    if instrument.kind == InstrumentKind.ITEM and scores:
        raise ValidationError(NOT_ITEM_LEVEL, code="kind")
    if instrument.kind == InstrumentKind.SCORE and answers:
        raise ValidationError(NOT_SCORE_LEVEL, code="kind")
    if not instrument.applies_to_grade(student.klass.grade):
        raise ValidationError(GRADE_NOT_COVERED, code="grade")
    if administered_on > timezone.localdate():
        raise ValidationError({"administered_on": FUTURE_DATE}, code="future")
    if campaign is not None:
        _check_campaign(campaign, student, instrument)
    outcome = scoring.outcome_for(instrument, answers=answers, scores=scores)
    values: dict[str, Any] = {
        "answers": list(outcome.answers),
        "scores": dict(outcome.scores),
        "total": outcome.total,
        "band": outcome.band,
        "is_critical": outcome.is_critical,
        "administered_on": administered_on,
    }
    existing = None
    if campaign is not None:
        existing = (
            ScreeningResult.objects.select_for_update()
            .filter(campaign=campaign, student=student, instrument=instrument)
            .first()
        )
    if existing is None:
        result = ScreeningResult(
            student=student,
            school_id=student.school_id,
            county_id=student.county_id,
            instrument=instrument,
            campaign=campaign,
            source=source,
            entered_by=actor,
            **values,
        )
        # Answers are validated by the instrument's definition (an ASQ refusal is a null item,
        # which the array field's own validation would reject).
        result.full_clean(exclude=["answers"], validate_constraints=False)
        try:
            with transaction.atomic():
                result.save()
        except IntegrityError:
            if campaign is None:
                raise
            # Another request stored the same row first: fall through to the update path.
            existing = (
                ScreeningResult.objects.select_for_update()
                .filter(campaign=campaign, student=student, instrument=instrument)
                .get()
            )
        else:
            action = Action.CREATE
    if existing is not None:
        if all(getattr(existing, name) == value for name, value in values.items()):
            return existing
        result = existing
        for name, value in values.items():
            setattr(result, name, value)
        result.source = source
        result.entered_by = actor
        result.save()
        action = Action.UPDATE
    proposed = _repropose(result=result, proposal=risk.propose(instrument.code, outcome))
    detail: dict[str, Any] = {
        "instrument": str(instrument),
        "band": outcome.band,
        "is_critical": outcome.is_critical,
        "source": str(source),
    }
    if campaign is not None:
        detail["campaign"] = campaign.pk
    if proposed is not None:
        detail["proposal"] = {
            "id": proposed.pk,
            "level": proposed.level,
            "reasons": proposed.reasons,
        }
    audit_record(actor=actor, action=action, obj=result, student=student, detail=detail)
    # Coverage counts and indicator snapshots of the school's county are refreshed by the sweep.
    registry.data_changed([student.school_id], "screening")
    if result.is_critical:
        from screening.alerts import alert_critical_results

        result_id = result.pk
        transaction.on_commit(lambda: alert_critical_results([result_id]), robust=True)
    return result


INSTRUMENT_IMMUTABLE = _(
    "This instrument version has results and cannot be changed; create a new version instead."
)
INSTRUMENT_NOT_ALLOWED = _("Only a platform administrator may publish instrument versions.")
INSTRUMENT_BAD_DEFINITION = _("The definition does not fit the instrument's kind.")
IMMUTABLE_FIELDS = ("code", "version", "kind", "definition")


def instrument_guard(sender: Any, instance: Instrument, **kwargs: Any) -> None:
    """``pre_save`` guard (connected in ``ScreeningConfig.ready``): a version that has results
    keeps its code, version, kind and definition. The database enforces the same with a trigger
    (migration 0004), so ``QuerySet.update`` cannot bypass it either."""
    if instance.pk is None or kwargs.get("raw"):
        return
    stored = Instrument.objects.filter(pk=instance.pk).values(*IMMUTABLE_FIELDS).first()
    if stored is None:
        return
    changed = any(getattr(instance, name) != stored[name] for name in IMMUTABLE_FIELDS)
    if changed and ScreeningResult.objects.filter(instrument_id=instance.pk).exists():
        raise ValidationError(INSTRUMENT_IMMUTABLE, code="immutable")


@transaction.atomic
def instrument_new_version(
    *,
    actor: Any,
    instrument: Instrument,
    definition: dict[str, Any],
    name: str | None = None,
    name_en: str | None = None,
) -> Instrument:
    """Publish a changed definition of ``instrument`` as the next version of its code (the older
    versions and their results stay as they are)."""
    if not scope.has_role(actor, Role.PLATFORM_ADMIN):
        raise PermissionDenied(INSTRUMENT_NOT_ALLOWED)
    key = "items" if instrument.kind == InstrumentKind.ITEM else "subscales"
    if not isinstance(definition, dict) or not definition.get(key):
        raise ValidationError(INSTRUMENT_BAD_DEFINITION, code="definition")
    latest = (
        Instrument.objects.select_for_update()
        .filter(code=instrument.code)
        .order_by("-version")
        .first()
    )
    created = Instrument.objects.create(
        code=instrument.code,
        version=(latest.version if latest else instrument.version) + 1,
        name=name if name is not None else instrument.name,
        name_en=name_en if name_en is not None else instrument.name_en,
        kind=instrument.kind,
        definition=definition,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=created,
        detail={"instrument": str(created), "previous": str(latest or instrument)},
    )
    return created


def proposals_pending_lock(*, student: Student) -> list[RiskProposal]:
    """The student's proposals still waiting for a person's evaluation, locked for the caller's
    transaction (the crisis registry's comprehensive evaluation resolves them)."""
    return list(
        RiskProposal.objects.select_for_update()
        .filter(student=student, status=ProposalStatus.PENDING)
        .order_by("id")
    )


def proposals_resolve(*, proposals: Sequence[RiskProposal], confirmed: bool) -> None:
    """Mark proposals as decided: confirmed (a person set a level) or dismissed (none). The
    evaluation that decided them is recorded and audited by the caller."""
    if not proposals:
        return
    RiskProposal.objects.filter(pk__in=[p.pk for p in proposals]).update(
        status=ProposalStatus.CONFIRMED if confirmed else ProposalStatus.DISMISSED
    )


def proposal_add(*, student: Student, level: str, reasons: Sequence[str]) -> RiskProposal:
    """A level another app's person proposes for the student (a counselor's observation in a
    session, issue 10), waiting like any other for the crisis registry's comprehensive evaluation.
    The caller checks who may propose and audits it in its own transaction."""
    if level not in RiskLevel.values:
        raise ValidationError({"level": _("Choose a valid level.")}, code="invalid")
    proposal = RiskProposal(
        student=student,
        school_id=student.school_id,
        county_id=student.county_id,
        level=level,
        reasons=list(reasons),
    )
    proposal.full_clean(validate_constraints=False)
    proposal.save()
    return proposal
