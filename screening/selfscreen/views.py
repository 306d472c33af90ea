"""Self-screening pages.

Teacher: ``selfscreen_codes`` issues codes for a class and shows the printable slips once (roles
that never issue codes get 403 before any lookup; a class or campaign outside the actor's schools
404).

Student (no account, no session): ``selfscreen_start`` takes the code, ``selfscreen_answer`` shows
and takes the answers, ``selfscreen_done`` thanks. Between the two steps the code's id travels in a
signed, short-lived hidden field, never in the URL. Wrong codes are counted per client IP in the
cache and refused after ``SELF_SCREENING_FAILURES_PER_IP`` in ``SELF_SCREENING_FAILURE_WINDOW``
seconds, so codes cannot be guessed. Nothing about the student is shown before a valid code, and
never a score.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from mhcare.accounts import policy
from mhcare.audit.context import client_ip
from mhcare.core.forms import add_service_errors
from screening.models import SelfScreeningCode
from screening.scoring import localized
from screening.selfscreen import selectors, services
from screening.selfscreen.forms import CodeEntryForm, CodeIssueForm, SelfAnswerForm
from screening.selfscreen.services import CodeRejectedError

TOKEN_SALT = "mhcare.screening.selfscreen.token"  # noqa: S105 - a signing namespace, not a secret
# Long enough to answer slowly, short enough that a token left on a shared computer dies soon.
TOKEN_MAX_AGE_SECONDS = 2 * 60 * 60

# A computer room behind one school IP shares this budget: typos by a whole class must not lock
# it out, guessing must stay hopeless (31^8 ≈ 8.5e11 codes).
FAILURE_LIMIT = int(getattr(settings, "SELF_SCREENING_FAILURES_PER_IP", 10))
FAILURE_WINDOW_SECONDS = int(getattr(settings, "SELF_SCREENING_FAILURE_WINDOW", 15 * 60))

REJECTED_MESSAGES = {
    CodeRejectedError.INVALID: _(
        "We could not find this code. Please check it and type it again, or ask your teacher."
    ),
    CodeRejectedError.USED: _(
        "This code has already been used. If you have not answered yet, please ask your teacher "
        "for a new code."
    ),
    CodeRejectedError.EXPIRED: _(
        "This code has expired because the screening has ended. Please ask your teacher if you "
        "have any questions."
    ),
    CodeRejectedError.NOT_OPEN: _(
        "This screening has not started yet. Please try again on the day your teacher tells you."
    ),
    CodeRejectedError.UNAVAILABLE: _(
        "This code cannot be used right now. Please ask your teacher."
    ),
}
TOO_MANY_ATTEMPTS = _(
    "Too many codes that did not work were typed at this computer. Please wait 15 minutes, "
    "or ask your teacher for help."
)
TIME_RAN_OUT = _("Your time ran out. Please type your code again: it still works.")


# --- teacher: issue and print codes ---------------------------------------------------------


@policy.requires(policy.Action.ISSUE_SELFSCREEN_CODES)
@require_http_methods(["GET", "POST"])
def selfscreen_codes(request: HttpRequest) -> HttpResponse:
    selectors.issuer_check(request.user)
    if request.method == "POST":
        # Out of scope answers 404 like a missing row, before anything else is looked at.
        if request.POST.get("klass"):
            selectors.selfscreen_class_get(actor=request.user, pk=request.POST["klass"])
        if request.POST.get("campaign"):
            selectors.selfscreen_campaign_get(actor=request.user, pk=request.POST["campaign"])
    form = CodeIssueForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        klass = form.cleaned_data["klass"]
        campaign = form.cleaned_data["campaign"]
        try:
            issued = services.selfscreen_codes_issue(
                actor=request.user, campaign=campaign, klass=klass
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            instrument = services.campaign_instrument_for(campaign, klass.grade)
            return render(
                request,
                "screening/selfscreen/codes_print.html",
                {
                    "campaign": campaign,
                    "klass": klass,
                    "issued": issued,
                    "instrument_name": instrument.display_name() if instrument else "",
                    "student_url": request.build_absolute_uri(
                        reverse("screening:selfscreen_start")
                    ),
                },
            )
    return render(
        request,
        "screening/selfscreen/codes_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- student: type a code, answer, done -----------------------------------------------------


def _failure_key(request: HttpRequest) -> str:
    return f"selfscreen:failures:{client_ip(request) or 'unknown'}"


def _is_locked(request: HttpRequest) -> bool:
    return int(cache.get(_failure_key(request)) or 0) >= FAILURE_LIMIT


def _count_failure(request: HttpRequest) -> None:
    key = _failure_key(request)
    # The window starts at the first failure (add is a no-op when the key exists).
    cache.add(key, 0, FAILURE_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, FAILURE_WINDOW_SECONDS)


def _token_for(code: SelfScreeningCode) -> str:
    return signing.dumps({"code": code.pk}, salt=TOKEN_SALT)


def _code_id_from(token: str) -> int:
    """The code id in a signed token; ``signing.BadSignature`` / ``SignatureExpired`` if not."""
    data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_SECONDS)
    return int(data["code"])


def _render_start(
    request: HttpRequest, form: CodeEntryForm, message: Any = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "screening/selfscreen/student_start.html",
        {"form": form, "message": message},
        status=status,
    )


def _render_answer(
    request: HttpRequest, code: SelfScreeningCode, form: SelfAnswerForm, status: int = 200
) -> HttpResponse:
    instrument = code.instrument
    return render(
        request,
        "screening/selfscreen/student_answer.html",
        {
            "form": form,
            "student_name": code.student.name,
            "class_name": code.student.klass.name,
            "instrument_name": instrument.display_name(),
            "stem": localized(instrument.definition.get("stem", {})),
        },
        status=status,
    )


@policy.public
@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def selfscreen_start(request: HttpRequest) -> HttpResponse:
    form = CodeEntryForm(request.POST or None)
    if request.method == "GET":
        return _render_start(request, form)
    if _is_locked(request):
        return _render_start(request, CodeEntryForm(), TOO_MANY_ATTEMPTS, status=429)
    if not form.is_valid():
        return _render_start(request, form, status=400)
    try:
        code = services.selfscreen_code_check(code=form.cleaned_data["code"])
    except CodeRejectedError as exc:
        _count_failure(request)
        return _render_start(request, form, REJECTED_MESSAGES[exc.reason], status=400)
    answer_form = SelfAnswerForm(initial={"token": _token_for(code)}, instrument=code.instrument)
    return _render_answer(request, code, answer_form)


@policy.public
@never_cache
@csrf_protect
@require_POST
def selfscreen_answer(request: HttpRequest) -> HttpResponse:
    try:
        code_id = _code_id_from(request.POST.get("token", ""))
    except signing.SignatureExpired:
        return _render_start(request, CodeEntryForm(), TIME_RAN_OUT, status=400)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        _count_failure(request)
        return _render_start(
            request, CodeEntryForm(), REJECTED_MESSAGES[CodeRejectedError.INVALID], status=400
        )
    try:
        code = services.selfscreen_code_get(code_id=code_id)
    except CodeRejectedError as exc:
        return _render_start(request, CodeEntryForm(), REJECTED_MESSAGES[exc.reason], status=400)

    language = request.POST.get("language")
    if language:
        return _switch_language(request, code, language)

    form = SelfAnswerForm(request.POST, instrument=code.instrument)
    if not form.is_valid():
        return _render_answer(request, code, form, status=400)
    try:
        services.selfscreen_submit(code_id=code.pk, answers=form.answers())
    except CodeRejectedError as exc:
        return _render_start(request, CodeEntryForm(), REJECTED_MESSAGES[exc.reason], status=400)
    except ValidationError:
        # The form already checked every answer; what is left (e.g. the instrument no longer
        # applies to the student's grade) is not the student's to fix.
        return _render_start(
            request, CodeEntryForm(), REJECTED_MESSAGES[CodeRejectedError.UNAVAILABLE], status=400
        )
    return redirect("screening:selfscreen_done")


def _switch_language(request: HttpRequest, code: SelfScreeningCode, language: str) -> HttpResponse:
    """Re-show the questions in another language, keeping the answers chosen so far."""
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
    kept = {k: v for k, v in request.POST.items() if k.startswith("item_") or k == "token"}
    with translation.override(language):
        form = SelfAnswerForm(initial=kept, instrument=code.instrument)
        response = _render_answer(request, code, form)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
    )
    return response


@policy.public
@never_cache
@require_http_methods(["GET"])
def selfscreen_done(request: HttpRequest) -> HttpResponse:
    return render(request, "screening/selfscreen/student_done.html")
