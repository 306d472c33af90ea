"""Result entry pages. Access: roles that never enter results get 403 before any lookup; a student
outside the actor's score scope gets 404 (the same as a missing one)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mhcare.accounts import policy
from screening import selectors, services
from screening.forms import ResultEntryForm
from screening.models import ScreeningResult
from screening.risk import reason_label
from screening.scoring import critical_label, localized, outcome_for


@policy.requires(policy.Action.ENTER_RESULTS)
@require_http_methods(["GET", "POST"])
def result_create(request: HttpRequest, pk: int, code: str = "PHQ-9") -> HttpResponse:
    student = selectors.entry_student_get(actor=request.user, pk=pk)
    instrument = selectors.instrument_get(code=code)
    form = ResultEntryForm(request.POST or None, instrument=instrument)
    if request.method == "POST" and form.is_valid():
        answers, scores = form.answers(), form.scores()
        try:
            result = services.result_create(
                actor=request.user,
                student=student,
                instrument=instrument,
                answers=answers or None,
                scores=scores or None,
                administered_on=form.administered_on_value,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _saved_message(result, answers=answers, scores=scores))
            return redirect("orgs:student_detail", pk=student.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "screening/result_form.html",
        {
            "student": student,
            "instrument": instrument,
            "instrument_name": instrument.display_name(),
            "stem": localized(instrument.definition.get("stem", {})),
            "form": form,
        },
        status=status,
    )


def _saved_message(result: ScreeningResult, *, answers: list[int], scores: dict[str, str]) -> str:
    text = _("%(instrument)s saved: total %(total)s, %(band)s.") % {
        "instrument": result.instrument.code,
        "total": result.total,
        "band": result.band_label,
    }
    if result.is_critical:
        definition = result.instrument.definition
        outcome = outcome_for(result.instrument, answers=answers or None, scores=scores or None)
        codes = outcome.critical_codes
        flags = ", ".join(critical_label(definition, code) for code in codes)
        text += " " + _("Critical: %(flags)s.") % {"flags": flags}
    proposal = result.proposals.first()
    if proposal is not None:
        text += " " + _(
            "Proposed %(level)s (%(reasons)s) — the student is on the high-risk list."
        ) % {
            "level": proposal.get_level_display(),
            "reasons": "; ".join(reason_label(code) for code in proposal.reasons),
        }
    return text
