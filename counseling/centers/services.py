"""Writes of county-center standardization (notice §8: 70 % of counties by 2025).

Decided here:

- the county center fills its own checklist (policy ``FILL_CENTER_CHECKLIST``: county center
  staff of that county): per item, met or not, with the evidence (text, optional file); an item
  is "met" only with evidence (also a database constraint);
- a **city or province official** judges the center standardized (policy
  ``JUDGE_CENTER_STANDARD``): the center does not certify itself, and the county bureau is its own
  line manager. Standardized needs every active required item met; a later judgement "not
  standardized" (with a reason) withdraws it. Judgements are append-only, so the indicator can be
  computed for any past date.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from counseling.models import CenterChecklistEntry, CenterJudgement, ChecklistItem
from mhcare.accounts import policy
from mhcare.accounts.models import Role
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.notifications.services import Outgoing, notification_send_many
from mhcare.orgs.models import OrgKind, OrgUnit

NOT_A_COUNTY = gettext_lazy("Choose a county.")
EVIDENCE_REQUIRED = gettext_lazy("An item is met only with its evidence.")
ITEM_INACTIVE = gettext_lazy("This checklist item is no longer used.")
ITEMS_NOT_MET = gettext_lazy("Not every required item is met: %(items)s")
FUTURE_DATE = gettext_lazy("The date cannot be in the future.")
REASON_REQUIRED = gettext_lazy("Say why the center is not standardized.")
FILE_TOO_LARGE = gettext_lazy("The file is larger than 10 MB.")
FILE_TYPE = gettext_lazy("Upload a PDF, JPEG or PNG file.")

MAX_FILE_BYTES = 10 * 1024 * 1024
FILE_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png")
NOTIFICATION_KIND = "center_standard"


def _require_county(county: OrgUnit) -> None:
    if county.kind != OrgKind.COUNTY:
        raise ValidationError({"county": NOT_A_COUNTY})


@transaction.atomic
def center_entry_save(
    *,
    actor: Any,
    county: OrgUnit,
    item: ChecklistItem,
    is_met: bool,
    evidence: str,
    evidence_file: UploadedFile | None = None,
) -> CenterChecklistEntry:
    """The county center's answer for one item (replaces the previous answer; a file already
    uploaded stays unless a new one is given)."""
    _require_county(county)
    policy.require(actor, policy.Action.FILL_CENTER_CHECKLIST, county)
    errors: dict[str, Any] = {}
    if not item.is_active:
        errors["item"] = ITEM_INACTIVE
    evidence = (evidence or "").strip()
    if is_met and not evidence:
        errors["evidence"] = EVIDENCE_REQUIRED
    if evidence_file is not None:
        if evidence_file.size and evidence_file.size > MAX_FILE_BYTES:
            errors["evidence_file"] = FILE_TOO_LARGE
        elif not (evidence_file.name or "").lower().endswith(FILE_SUFFIXES):
            errors["evidence_file"] = FILE_TYPE
    if errors:
        raise ValidationError(errors)
    entry = (
        CenterChecklistEntry.objects.select_for_update().filter(county=county, item=item).first()
    )
    created = entry is None
    if entry is None:
        entry = CenterChecklistEntry(county=county, item=item)
    before = {"is_met": entry.is_met, "evidence": bool(entry.evidence)} if not created else {}
    entry.is_met = is_met
    entry.evidence = evidence
    entry.updated_by = actor
    if evidence_file is not None:
        entry.evidence_file = evidence_file
    entry.full_clean()
    entry.save()
    audit_record(
        actor=actor,
        action=Action.CREATE if created else Action.UPDATE,
        obj=entry,
        detail={
            "county": county.pk,
            "item": item.code,
            "old": before,
            "new": {"is_met": is_met, "evidence": bool(evidence)},
            "file": bool(entry.evidence_file),
        },
    )
    return entry


def unmet_required(county: OrgUnit) -> list[ChecklistItem]:
    met = CenterChecklistEntry.objects.filter(county=county, is_met=True).values("item_id")
    return list(
        ChecklistItem.objects.filter(is_active=True, is_required=True)
        .exclude(pk__in=met)
        .order_by("order", "code")
    )


@transaction.atomic
def center_judge(
    *,
    actor: Any,
    county: OrgUnit,
    is_standardized: bool,
    effective_on: datetime.date,
    reason: str = "",
) -> CenterJudgement:
    """A city or province official judges the county's center standardized (or no longer) from
    ``effective_on``; the county center is told."""
    _require_county(county)
    policy.require(actor, policy.Action.JUDGE_CENTER_STANDARD, county)
    errors: dict[str, Any] = {}
    if effective_on > timezone.localdate():
        errors["effective_on"] = FUTURE_DATE
    reason = (reason or "").strip()
    if is_standardized:
        missing = unmet_required(county)
        if missing:
            errors["is_standardized"] = ITEMS_NOT_MET % {
                "items": "、".join(item.label for item in missing)
            }
    elif not reason:
        errors["reason"] = REASON_REQUIRED
    if errors:
        raise ValidationError(errors)
    judgement = CenterJudgement(
        county=county,
        is_standardized=is_standardized,
        effective_on=effective_on,
        reason=reason,
        judged_by=actor,
    )
    judgement.full_clean()
    judgement.save()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=judgement,
        detail={"county": county.pk, "standardized": is_standardized, "on": f"{effective_on}"},
    )
    staff = (
        get_user_model()
        .objects.filter(
            assignments__role=Role.COUNTY_CENTER,
            assignments__org_unit=county,
            assignments__is_active=True,
            is_active=True,
        )
        .distinct()
    )
    title = (
        _("%(county)s: the county center was judged standardized")
        if is_standardized
        else _("%(county)s: the county center was judged not standardized")
    ) % {"county": county.name}
    url = reverse("counseling:center_checklist", args=[county.pk])
    items = [
        Outgoing(user, NOTIFICATION_KIND, f"center-judgement:{judgement.pk}", title, "", url)
        for user in staff
    ]
    transaction.on_commit(lambda: notification_send_many(items), robust=True)
    return judgement
