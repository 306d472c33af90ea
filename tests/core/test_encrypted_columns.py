"""Every text column (char, text, JSON, array of text) of every student-linked table is encrypted
(``EncryptedTextField`` or a subclass) or declared safe here, with the reason. A new plain text
column on such a table fails this test until someone decides which it is."""

import pytest
from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import connection, models

from crisis.models import CaseReport, CaseTask, FamilyContact, Review
from mhcare.core.fields import EncryptedTextField
from mhcare.orgs.models import Guardian, Student, SupportPlan
from screening.models import ImportJob

# (app_label.Model, field) → why it may stay plain text.
SAFE = {
    ("orgs.Student", "name"): "searched, sorted and matched by the roster import; scope and audit "
    "guard it (encrypting it needs a blind index)",
    ("orgs.Student", "student_number"): "the unique key rosters and results are matched on; "
    "shown masked",
    ("orgs.Student", "gender"): "enum code",
    ("orgs.Student", "status"): "enum code",
    ("orgs.Student", "disadvantages"): "enum codes",
    ("orgs.Guardian", "name"): "matched by the roster import (unique per student and relation)",
    ("orgs.Guardian", "relation"): "enum code",
    ("audit.AuditEvent", "actor_username"): "staff user name, not the child",
    ("audit.AuditEvent", "roles"): "role codes",
    ("audit.AuditEvent", "org_unit_code"): "org-unit code",
    ("audit.AuditEvent", "action"): "enum code",
    ("audit.AuditEvent", "object_type"): "model label",
    ("audit.AuditEvent", "object_id"): "primary key",
    ("audit.AuditEvent", "request_id"): "request correlation id",
    ("audit.AuditEvent", "detail"): "ids, codes and field names, never free text (searched by "
    "the audit views)",
    ("screening.ScreeningResult", "source"): "enum code",
    ("screening.ScreeningResult", "scores"): "subscale scores: numbers",
    ("screening.ScreeningResult", "band"): "band code",
    ("screening.RiskProposal", "level"): "enum code",
    ("screening.RiskProposal", "reasons"): "rule codes",
    ("screening.RiskProposal", "status"): "enum code",
    ("screening.ImportJob", "filename"): "the staff member's file name (a class or campaign)",
    ("screening.ImportJob", "sha256"): "hash of the file",
    ("screening.ImportJob", "status"): "enum code",
    ("screening.ImportJob", "error_counts"): "error counts per kind code: numbers only",
    ("screening.Observation", "category"): "enum code",
    ("screening.Observation", "status"): "enum code",
    ("screening.SelfScreeningCode", "code_hash"): "hash",
    # --- guardian consent (issue 13) ---
    ("screening.ScreeningConsent", "decision"): "enum code",
    ("screening.ScreeningConsent", "way"): "enum code",
    ("crisis.Evaluation", "level"): "enum code",
    ("crisis.Case", "level"): "enum code",
    ("crisis.Case", "status"): "enum code",
    ("crisis.Case", "source"): "enum code",
    ("crisis.CaseEvent", "kind"): "enum code",
    ("crisis.CaseEvent", "from_level"): "enum code",
    ("crisis.CaseEvent", "to_level"): "enum code",
    ("crisis.CaseEvent", "from_status"): "enum code",
    ("crisis.CaseEvent", "to_status"): "enum code",
    ("crisis.CaseTransfer", "status"): "enum code",
    ("crisis.FollowUp", "way"): "enum code",
    ("crisis.CaseReport", "level"): "enum code",
    # --- counseling rooms, appointments, sessions (issue 10) ---
    ("counseling.Appointment", "status"): "enum code",
    ("counseling.CounselingSession", "risk_observed"): "enum code (a risk level)",
    ("crisis.CaseReport", "status"): "enum code",
    ("crisis.FamilyContact", "way"): "enum code",
    ("crisis.HomeVisit", "reason"): "enum code",
    ("crisis.Incident", "kind"): "enum code",
    ("crisis.Incident", "severity"): "enum code",
    ("crisis.Incident", "not_needed"): "checklist step codes",
    ("compliance.ReportRequest", "kind"): "enum code",
    ("compliance.ReportRequest", "status"): "enum code",
    ("compliance.ReportRequest", "error"): "why an aggregate report failed to render (no rows)",
    ("counseling.GuidanceRecord", "kind"): "enum code",
    ("counseling.FlagChange", "old_flags"): "enum codes (Student.disadvantages)",
    ("counseling.FlagChange", "new_flags"): "enum codes (Student.disadvantages)",
    ("compliance.IndicatorSnapshot", "period"): "period code of an aggregate (YYYY-MM, YYYY-S1)",
    ("compliance.ReportRequest", "period"): "period code of an aggregate report",
    ("compliance.IndicatorSnapshot", "indicator"): "indicator code of an aggregate",
    ("compliance.TrendBandCount", "instrument_code"): "instrument code of a per-county count",
    ("compliance.TrendBandCount", "gender"): "sex code of a per-county count (no student)",
    ("compliance.TrendBandCount", "band"): "band code of a per-county count",
    # --- staffing: lessons and activities (issue 11): about classes and schools, never a child
    ("staffing.Lesson", "topic"): "a class's lesson topic (认识情绪), not about a student",
    ("staffing.Lesson", "teacher_name"): "the teacher's name as typed: staff, not the child",
    ("staffing.Lesson", "source"): "enum code",
    ("staffing.EducationActivity", "kind"): "enum code",
    ("staffing.EducationActivity", "category"): "enum code",
    (
        "staffing.EducationActivity",
        "title",
    ): "a school activity's title (心理健康月讲座), no student",
    # --- referrals (issue 10) ---
    ("referrals.Referral", "state"): "enum code",
    ("referrals.Referral", "urgency"): "enum code",
    ("referrals.Referral", "consent_way"): "enum code",
    ("referrals.Referral", "consent_scan_type"): "MIME type sniffed from the file",
    ("referrals.ReferralEvent", "action"): "transition code",
    ("referrals.ReferralEvent", "from_state"): "enum code",
    ("referrals.ReferralEvent", "to_state"): "enum code",
}

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def _is_text(field: models.Field) -> bool:
    if isinstance(field, ArrayField):
        return isinstance(field.base_field, TEXT_FIELDS)
    return isinstance(field, TEXT_FIELDS)


def _student_linked() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if model is Student
        or hasattr(model, "Scope")
        or any(
            field.is_relation and field.related_model is Student
            for field in model._meta.concrete_fields
        )
    ]


def test_every_text_column_about_a_child_is_encrypted_or_declared_safe():
    plain = {
        (model._meta.label, field.name)
        for model in _student_linked()
        for field in model._meta.concrete_fields
        if _is_text(field) and not isinstance(field, EncryptedTextField)
    }
    undeclared = sorted(plain - set(SAFE))
    assert not undeclared, f"plain text columns on student-linked tables: {undeclared}"
    # and the list stays honest: nothing declared safe that is gone or encrypted
    assert sorted(set(SAFE) - plain) == []
    assert all(SAFE.values())


def test_the_columns_this_issue_named_are_encrypted():
    for model, name in [
        (CaseTask, "title"),
        (Review, "participants"),
        (FamilyContact, "with_whom"),
        (SupportPlan, "responsible"),
        (Guardian, "phone"),
        (CaseReport, "payload"),
        (CaseReport, "response"),
        (CaseReport, "last_error"),
        (ImportJob, "errors"),
    ]:
        assert isinstance(model._meta.get_field(name), EncryptedTextField), (model, name)


def test_the_report_payload_and_guardian_phone_are_tokens_in_the_database(world):
    from tests.crisis.reporting.helpers import make_case, make_report

    student = world.students["a"]
    report = make_report(make_case(student))
    guardian = student.guardians.first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM crisis_casereport WHERE id = %s", [report.pk])
        stored_payload = cursor.fetchone()[0]
        cursor.execute("SELECT phone FROM orgs_guardian WHERE id = %s", [guardian.pk])
        stored_phone = cursor.fetchone()[0]
    assert student.name not in stored_payload
    assert stored_payload.startswith("gAAAA")
    assert guardian.phone not in stored_phone
    report.refresh_from_db()
    assert report.payload["student"]["name"] == student.name


def test_existing_plain_rows_are_encrypted_in_place_once(world):
    from mhcare.core.fields import decrypt_column_in_place, encrypt_column_in_place

    guardian = world.students["a"].guardians.first()
    phone = guardian.phone
    # given a row written before the migration (plain text)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE orgs_guardian SET phone = %s WHERE id = %s", [phone, guardian.pk])
    # when the migration's step runs, twice (a re-run after a partial failure)
    assert encrypt_column_in_place(connection, "orgs_guardian", "phone") >= 1
    assert encrypt_column_in_place(connection, "orgs_guardian", "phone") == 0
    # then the value is a token that reads back as the phone
    guardian.refresh_from_db()
    assert guardian.phone == phone
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM orgs_guardian WHERE id = %s", [guardian.pk])
        assert cursor.fetchone()[0] != phone
    # and the reverse puts the plain text back
    decrypt_column_in_place(connection, "orgs_guardian", "phone")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM orgs_guardian WHERE id = %s", [guardian.pk])
        assert cursor.fetchone()[0] == phone


def test_a_former_char_column_keeps_its_length_limit_on_the_plain_text(world):
    guardian = world.students["a"].guardians.first()
    guardian.phone = "1" * 21
    with pytest.raises(ValidationError) as caught:
        guardian.full_clean()
    assert "phone" in caught.value.message_dict
    guardian.phone = "13800000000"
    guardian.full_clean()
