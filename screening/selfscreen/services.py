"""Student self-administered screening with one-time codes.

A school's psychology teacher issues codes for a class; a student types hers at a page without an
account and answers the campaign's instrument for her grade. Only an HMAC of each code is stored
(keyed by the server's SECRET_KEY, so a copy of the table alone does not let anyone test guesses);
the clear codes exist once, on the printed slips.

The result is stored by ``screening.services.result_create`` exactly like teacher entry. That
service needs an actor: it is the teacher who issued the code (she answers for the codes she hands
out), with ``source=self``; a separate audit event on the code records that the student answered
it herself, with the code's id.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import SchoolClass, Student
from screening import services as screening_services
from screening.models import (
    Campaign,
    Instrument,
    InstrumentKind,
    ResultSource,
    ScreeningResult,
    SelfScreeningCode,
)

# No 0/O, 1/I/L: a code read off a printed slip is typed right the first time.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
HMAC_SALT = "mhcare.screening.selfscreen.code"

# Roles that issue codes: the school's psychology teacher (she runs the screening at her school).
ISSUER_ROLES = policy.ACTION_RULES[policy.Action.ISSUE_SELFSCREEN_CODES].roles

NOT_ALLOWED = _("Only the school's psychology teacher may issue self-screening codes.")
SELF_SCREENING_OFF = _("This campaign does not allow students to answer with codes.")
CAMPAIGN_CLOSED = _("This campaign's window has closed; codes can no longer be issued.")
CLASS_NOT_IN_CAMPAIGN = _("This class's school does not take part in this campaign.")
WRONG_SCHOOL_YEAR = _("This class belongs to another school year than the campaign.")
GRADE_NOT_TARGETED = _("The campaign has no item-level instrument for this class's grade.")
NOBODY_MISSING = _("Every student of this class already has a result for this campaign.")


class CodeRejectedError(Exception):
    """A code (or its token) that cannot be used; ``reason`` picks the wording shown."""

    INVALID = "invalid"
    USED = "used"
    EXPIRED = "expired"
    NOT_OPEN = "not_open"
    UNAVAILABLE = "unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuedCode:
    """A clear code for one printed slip. Never stored."""

    student: Student
    code: str
    expires_on: datetime.date

    @property
    def display(self) -> str:
        return format_code(self.code)


def normalize_code(raw: str) -> str:
    """What the student typed, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    """``ABCDEFGH`` → ``ABCD-EFGH`` (easier to read and type)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def code_hash(code: str) -> str:
    """HMAC-SHA256 of the normalised code, keyed by SECRET_KEY (the server-side pepper)."""
    return salted_hmac(HMAC_SALT, normalize_code(code), algorithm="sha256").hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def _is_issuer_for(actor: Any, klass: SchoolClass) -> bool:
    return policy.allowed(actor, policy.Action.ISSUE_SELFSCREEN_CODES, klass.school)


def campaign_covers(campaign: Campaign, klass: SchoolClass) -> bool:
    return klass.school.path.startswith(campaign.org_unit.path)


def campaign_instrument_for(campaign: Campaign, grade: int) -> Instrument | None:
    """The campaign's item-level instrument for ``grade`` (the first by grade band, then id)."""
    link = (
        campaign.instruments.filter(
            grade_min__lte=grade, grade_max__gte=grade, instrument__kind=InstrumentKind.ITEM
        )
        .select_related("instrument")
        .order_by("grade_min", "id")
        .first()
    )
    return link.instrument if link is not None else None


@transaction.atomic
def selfscreen_codes_issue(
    *,
    actor: Any,
    campaign: Campaign,
    klass: SchoolClass,
    today: datetime.date | None = None,
) -> list[IssuedCode]:
    """New codes for every enrolled student of ``klass`` without a result for the class's
    instrument in ``campaign``. Unused codes issued earlier for the class are replaced (they stop
    working). Audited as an export: the clear codes leave the system on paper."""
    today = today or timezone.localdate()
    if not _is_issuer_for(actor, klass):
        raise PermissionDenied(NOT_ALLOWED)
    if not campaign.allow_self_screening:
        raise ValidationError({"campaign": SELF_SCREENING_OFF}, code="self_screening_off")
    if campaign.window_end < today:
        raise ValidationError({"campaign": CAMPAIGN_CLOSED}, code="closed")
    if not campaign_covers(campaign, klass):
        raise ValidationError({"klass": CLASS_NOT_IN_CAMPAIGN}, code="not_in_campaign")
    if klass.school_year_id != campaign.school_year_id:
        raise ValidationError({"klass": WRONG_SCHOOL_YEAR}, code="school_year")
    instrument = (
        campaign_instrument_for(campaign, klass.grade)
        if klass.grade in campaign.target_grades
        else None
    )
    if instrument is None:
        raise ValidationError({"klass": GRADE_NOT_TARGETED}, code="grade")

    # Unused codes of this class stop working now (also those of students answered meanwhile).
    class_codes = SelfScreeningCode.objects.filter(
        campaign=campaign, instrument=instrument, student__klass=klass
    )
    replaced = class_codes.filter(used_at__isnull=True).delete()[0]
    answered = ScreeningResult.objects.filter(
        student=OuterRef("pk"), campaign=campaign, instrument=instrument
    )
    used_code = SelfScreeningCode.objects.filter(
        student=OuterRef("pk"), campaign=campaign, instrument=instrument
    )
    students = list(
        scope.scoped(actor, Student.objects.enrolled(), kind=RecordKind.SCORE)
        .filter(klass=klass)
        .filter(~Exists(answered), ~Exists(used_code))
        .order_by("name", "id")
    )
    if not students:
        raise ValidationError({"klass": NOBODY_MISSING}, code="nobody_missing")

    issued = [
        IssuedCode(student=student, code=new_code(), expires_on=campaign.window_end)
        for student in students
    ]
    SelfScreeningCode.objects.bulk_create(
        [
            SelfScreeningCode(
                campaign=campaign,
                student=item.student,
                school_id=item.student.school_id,
                instrument=instrument,
                code_hash=code_hash(item.code),
                expires_on=item.expires_on,
                created_by=actor,
            )
            for item in issued
        ]
    )
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        obj=campaign,
        detail={
            "what": "self_screening_codes",
            "class_id": klass.pk,
            "class": klass.name,
            "instrument": str(instrument),
            "count": len(issued),
            "replaced_unused": replaced,
            "student_ids": [item.student.pk for item in issued],
        },
    )
    return issued


def _check(code: SelfScreeningCode, today: datetime.date) -> None:
    if code.used_at is not None:
        raise CodeRejectedError(CodeRejectedError.USED)
    if today > code.expires_on or today > code.campaign.window_end:
        raise CodeRejectedError(CodeRejectedError.EXPIRED)
    if today < code.campaign.window_start:
        raise CodeRejectedError(CodeRejectedError.NOT_OPEN)
    if not code.campaign.allow_self_screening:
        raise CodeRejectedError(CodeRejectedError.UNAVAILABLE)
    answered = ScreeningResult.objects.filter(
        campaign_id=code.campaign_id, student_id=code.student_id, instrument_id=code.instrument_id
    ).exists()
    if answered:
        # The teacher entered this student's result meanwhile: the code has done its job.
        raise CodeRejectedError(CodeRejectedError.USED)


def selfscreen_code_check(*, code: str, today: datetime.date | None = None) -> SelfScreeningCode:
    """The code a student typed, if it can be used now; else ``CodeRejectedError`` (reason)."""
    today = today or timezone.localdate()
    normalized = normalize_code(code)
    if len(normalized) != CODE_LENGTH or any(ch not in ALPHABET for ch in normalized):
        raise CodeRejectedError(CodeRejectedError.INVALID)
    found = (
        SelfScreeningCode.objects.select_related(
            "campaign", "student", "student__klass", "instrument"
        )
        .filter(code_hash=code_hash(normalized))
        .first()
    )
    if found is None:
        raise CodeRejectedError(CodeRejectedError.INVALID)
    _check(found, today)
    return found


def selfscreen_code_get(*, code_id: int, today: datetime.date | None = None) -> SelfScreeningCode:
    """A code by id (from a signed token), if it can still be used."""
    today = today or timezone.localdate()
    found = (
        SelfScreeningCode.objects.select_related(
            "campaign", "student", "student__klass", "instrument"
        )
        .filter(pk=code_id)
        .first()
    )
    if found is None:
        raise CodeRejectedError(CodeRejectedError.INVALID)
    _check(found, today)
    return found


@transaction.atomic
def selfscreen_submit(
    *, code_id: int, answers: Sequence[Any], today: datetime.date | None = None
) -> ScreeningResult:
    """Store the student's answers as a result and use up the code, in one transaction.

    The code row is locked first, so two submissions with the same code (a double click, two
    computers) store one result: the second waits, then finds the code used."""
    today = today or timezone.localdate()
    code = (
        SelfScreeningCode.objects.select_for_update(of=("self",))
        .select_related("campaign", "student", "student__klass", "instrument", "created_by")
        .filter(pk=code_id)
        .first()
    )
    if code is None:
        raise CodeRejectedError(CodeRejectedError.INVALID)
    _check(code, today)
    try:
        result = screening_services.result_create(
            actor=code.created_by,
            student=code.student,
            instrument=code.instrument,
            answers=list(answers),
            administered_on=today,
            campaign=code.campaign,
            source=ResultSource.SELF,
        )
    except PermissionDenied as exc:
        # The issuing teacher no longer enters results for this student (left the school,
        # student transferred): the code cannot be honoured any more.
        raise CodeRejectedError(CodeRejectedError.UNAVAILABLE) from exc
    code.used_at = timezone.now()
    code.save(update_fields=["used_at"])
    audit_record(
        actor=None,
        action=Action.UPDATE,
        obj=code,
        student=code.student,
        username="self-screening",
        detail={
            "self_administered": True,
            "code_id": code.pk,
            "result_id": result.pk,
            "issued_by": code.created_by.get_username(),
            "campaign_id": code.campaign_id,
        },
    )
    return result
