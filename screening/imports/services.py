"""Importing screening results from a file, at COPY speed.

1. ``import_job_create`` stores the uploaded bytes as an ``ImportJob`` and enqueues the task.
2. ``import_run`` streams the file once (``parsing.parse_lines``: normalise, validate, score,
   propose) and COPYs the good rows into a TEMP staging table in batches, updating the job's
   progress between batches. This phase runs in autocommit, so the progress is visible to the
   page that polls it at once — no second connection needed, the staging table lives in the
   session.
3. One transaction then checks the staged rows against the database set-based (unknown student,
   outside the unit, name mismatch, grade not covered, duplicate row), and — only when the whole
   file is clean — runs ONE ``INSERT … SELECT … ON CONFLICT`` into the results and set-based
   writes of the risk proposals, audits one CREATE event with the counts, and marks the job done.
   Any error: nothing is stored, the job is FAILED with every error (all-or-nothing).

Re-importing: the upsert on (campaign, student, instrument) updates a row only when its answers,
scores, total, band or critical flag differ (``IS DISTINCT FROM``). The same file twice changes
nothing the second time; a corrected file updates exactly the corrected rows (their pending
proposals follow the new score; confirmed or dismissed proposals are decisions and stay).
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgUnit
from screening.imports import parsing
from screening.imports.parsing import RowError
from screening.imports.selectors import import_units
from screening.models import (
    Campaign,
    CampaignInstrument,
    ImportJob,
    ImportStatus,
    Instrument,
    ResultSource,
)
from screening.services import CAMPAIGN_NOT_FOR_SCHOOL

NOT_ALLOWED = _("You may not import screening results for this unit.")
INSTRUMENT_NOT_IN_CAMPAIGN = _("This campaign does not use this instrument.")
FILE_TOO_LARGE = _("The file is too large (at most %(mb)s MB).")
FILE_TYPE = _("Upload an Excel workbook (.xlsx) or a CSV file (.csv).")

MAX_FILE_BYTES = 200 * 1024 * 1024
# Rows per COPY batch; the job's progress is updated between batches.
BATCH_ROWS = 50_000


def _enqueue(job_id: int) -> None:
    from screening.imports.tasks import import_run_task

    import_run_task.delay(job_id)


@transaction.atomic
def import_job_create(
    *,
    actor: Any,
    campaign: Campaign,
    instrument: Instrument,
    unit: OrgUnit,
    filename: str,
    content: bytes,
    enqueue: bool = True,
) -> ImportJob:
    """Store an uploaded results file for ``unit`` (a school, or a county for county center
    staff) and, after commit, run it as a Celery task (``enqueue=False``: the caller runs it)."""
    if not import_units(actor=actor).filter(pk=unit.pk).exists():
        raise PermissionDenied(NOT_ALLOWED)
    if not unit.path.startswith(campaign.org_unit.path):
        raise ValidationError({"campaign": CAMPAIGN_NOT_FOR_SCHOOL}, code="campaign_school")
    if not CampaignInstrument.objects.filter(campaign=campaign, instrument=instrument).exists():
        raise ValidationError({"instrument": INSTRUMENT_NOT_IN_CAMPAIGN}, code="instrument")
    if not filename.lower().endswith((".xlsx", ".csv", ".txt")):
        raise ValidationError({"file": FILE_TYPE}, code="file_type")
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError(
            {"file": FILE_TOO_LARGE % {"mb": MAX_FILE_BYTES // 2**20}}, code="file_size"
        )
    job = ImportJob.objects.create(
        campaign=campaign,
        instrument=instrument,
        school=unit,
        uploaded_by=actor,
        filename=filename[:255],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        total_rows=max(0, parsing.count_rows(content, filename)),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=job,
        detail={"filename": job.filename, "sha256": job.sha256, "campaign": campaign.pk},
    )
    if enqueue:
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue(job_id))
    return job


@dataclass
class ImportCounts:
    rows: int = 0
    stored: int = 0  # inserted + updated
    inserted: int = 0
    updated: int = 0
    proposals: int = 0
    critical_ids: list[int] | None = None


def _administered_on(job: ImportJob) -> datetime.date:
    """Files carry no date: the upload day, within the campaign's window."""
    day = timezone.localdate(job.created_at)
    return min(day, job.campaign.window_end)


def _allowed_grades(job: ImportJob) -> list[int]:
    ranges = CampaignInstrument.objects.filter(
        campaign_id=job.campaign_id, instrument_id=job.instrument_id
    ).values_list("grade_min", "grade_max")
    targets = set(job.campaign.target_grades or [])
    return sorted(
        g
        for low, high in ranges
        for g in range(low, high + 1)
        if g in targets and job.instrument.applies_to_grade(g)
    )


def import_run(*, job_id: int) -> ImportJob:
    """Run an import job (idempotent: a finished job is returned as it is; a job left RUNNING by
    a lost worker runs again — nothing of it was stored). Errors are in the uploader's
    language."""
    language = (
        ImportJob.objects.filter(pk=job_id).values_list("uploaded_by__language", flat=True).first()
    )
    with translation.override(language or settings.LANGUAGE_CODE):
        return _run(job_id)


def _run(job_id: int) -> ImportJob:
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update()
            .select_related("campaign", "instrument", "school", "uploaded_by")
            .get(pk=job_id)
        )
        if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return job
        job.status = ImportStatus.RUNNING
        job.processed_rows = 0
        job.save(update_fields=["status", "processed_rows"])
    staging = f"import_staging_{job.pk}"
    affected = f"import_affected_{job.pk}"
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {staging}, {affected}")
            cursor.execute(
                f"CREATE TEMP TABLE {staging} (row_no integer, student_number text, name text, "
                "answers smallint[], scores jsonb, total smallint, band text, "
                "is_critical boolean, level varchar(1), reasons varchar(64)[])"
            )
        parsed = _stage(job, staging)
        return _finish(job, staging, affected, parsed)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {staging}, {affected}")


def _progress(job: ImportJob, processed: int, total: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=processed, total_rows=total)


def _stage(job: ImportJob, staging: str) -> parsing.ParseResult:
    """Stream the file into the staging table (COPY, in batches)."""
    parsed = parsing.ParseResult()
    content = bytes(job.content)
    total = job.total_rows
    if not total and not parsing.is_csv(job.filename):
        try:
            total = parsing.xlsx_rows(content)
        except Exception:  # noqa: BLE001 - an unreadable file is reported by the parser below
            total = 0
    copy_sql = f"COPY {staging} ({', '.join(parsing.STAGING_COLUMNS)}) FROM STDIN"
    lines = parsing.parse_lines(content, job.filename, job.instrument, parsed)
    batch: list[str] = []
    try:
        with connection.cursor() as cursor:
            for line in lines:
                batch.append(line)
                if len(batch) >= BATCH_ROWS:
                    _copy(cursor, copy_sql, batch)
                    batch = []
                    _progress(job, parsed.total_rows, max(total, parsed.total_rows))
            if batch:
                _copy(cursor, copy_sql, batch)
    except parsing.FileError as exc:
        parsed.errors = exc.errors
        parsed.error_count = len(exc.errors)
    job.total_rows = parsed.total_rows
    job.processed_rows = parsed.total_rows
    _progress(job, parsed.total_rows, parsed.total_rows)
    return parsed


def _copy(cursor: Any, sql: str, batch: list[str]) -> None:
    with cursor.cursor.copy(sql) as copy:
        copy.write("".join(batch))


VALIDATION_SQL = """
WITH s AS (
    SELECT row_no, student_number, name,
           row_number() OVER (PARTITION BY student_number ORDER BY row_no) AS nth,
           min(row_no) OVER (PARTITION BY student_number) AS first_row
    FROM {staging}
), checked AS (
    SELECT s.row_no, s.first_row, st.name AS recorded,
        CASE
            WHEN s.nth > 1 THEN 'duplicate'
            WHEN st.id IS NULL THEN 'unknown'
            WHEN NOT starts_with(u.path, %(path)s) THEN 'outside'
            WHEN st.name <> s.name
                 AND regexp_replace(normalize(st.name, NFKC), '\\s+', '', 'g') <> s.name
                THEN 'name'
            WHEN NOT (c.grade = ANY(%(grades)s)) THEN 'grade'
        END AS problem
    FROM s
    LEFT JOIN orgs_student st ON st.student_number = s.student_number
    LEFT JOIN orgs_orgunit u ON u.id = st.school_id
    LEFT JOIN orgs_schoolclass c ON c.id = st.klass_id
)
SELECT row_no, problem, first_row, recorded, count(*) OVER () AS n
FROM checked WHERE problem IS NOT NULL
ORDER BY row_no
LIMIT %(limit)s
"""

UPSERT_SQL = """
CREATE TEMP TABLE {affected} AS
WITH up AS (
    INSERT INTO screening_screeningresult AS r (
        student_id, school_id, county_id, instrument_id, campaign_id, source, answers, scores,
        total, band, is_critical, entered_by_id, administered_on, created_at)
    SELECT st.id, st.school_id, st.county_id, %(instrument)s, %(campaign)s, %(source)s,
           s.answers, s.scores, s.total, s.band, s.is_critical, %(user)s, %(day)s, now()
    FROM {staging} s JOIN orgs_student st ON st.student_number = s.student_number
    ON CONFLICT (campaign_id, student_id, instrument_id) WHERE campaign_id IS NOT NULL
    DO UPDATE SET answers = EXCLUDED.answers, scores = EXCLUDED.scores, total = EXCLUDED.total,
        band = EXCLUDED.band, is_critical = EXCLUDED.is_critical, source = EXCLUDED.source,
        entered_by_id = EXCLUDED.entered_by_id, administered_on = EXCLUDED.administered_on
    WHERE (r.answers, r.scores, r.total, r.band, r.is_critical)
        IS DISTINCT FROM (EXCLUDED.answers, EXCLUDED.scores, EXCLUDED.total, EXCLUDED.band,
                          EXCLUDED.is_critical)
    RETURNING r.id, r.student_id, r.school_id, r.county_id, r.is_critical, (r.xmax = 0) AS inserted
)
SELECT up.*, s.level, s.reasons
FROM up JOIN orgs_student st ON st.id = up.student_id
JOIN {staging} s ON s.student_number = st.student_number
"""

# Proposals of the stored rows, set-based, with the semantics of ``result_create``: a pending
# proposal follows its result's new score (updated, or deleted when no rule matches any more);
# a new proposal is added unless the result already has a pending one or a decided one with the
# same level and reasons.
PROPOSAL_UPDATE_SQL = """
UPDATE screening_riskproposal p SET level = a.level, reasons = a.reasons
FROM {affected} a
WHERE p.source_result_id = a.id AND p.status = 'pending' AND NOT a.inserted
  AND a.level IS NOT NULL AND (p.level, p.reasons) IS DISTINCT FROM (a.level, a.reasons)
"""
PROPOSAL_DELETE_SQL = """
DELETE FROM screening_riskproposal p USING {affected} a
WHERE p.source_result_id = a.id AND p.status = 'pending' AND NOT a.inserted AND a.level IS NULL
"""
PROPOSAL_INSERT_SQL = """
INSERT INTO screening_riskproposal (
    student_id, school_id, county_id, level, reasons, source_result_id, status, created_at)
SELECT a.student_id, a.school_id, a.county_id, a.level, a.reasons, a.id, 'pending', now()
FROM {affected} a
WHERE a.level IS NOT NULL AND (a.inserted OR NOT EXISTS (
    SELECT 1 FROM screening_riskproposal p WHERE p.source_result_id = a.id
      AND (p.status = 'pending' OR (p.level = a.level AND p.reasons = a.reasons))))
"""


def _database_errors(cursor: Any, job: ImportJob, staging: str, limit: int) -> tuple[list, int]:
    columns = parsing.all_columns(job.instrument)
    number_header, name_header = columns[0].header, columns[1].header
    cursor.execute(
        VALIDATION_SQL.format(staging=staging),
        {"path": job.school.path, "grades": _allowed_grades(job), "limit": limit},
    )
    errors: list[RowError] = []
    count = 0
    for row_no, problem, first_row, recorded, n in cursor.fetchall():
        count = n
        if problem == "duplicate":
            errors.append(
                RowError(
                    row_no,
                    number_header,
                    parsing.format_message(parsing.ERROR_DUPLICATE, row=first_row),
                )
            )
        elif problem == "unknown":
            errors.append(RowError(row_no, number_header, str(parsing.ERROR_UNKNOWN_STUDENT)))
        elif problem == "outside":
            errors.append(RowError(row_no, number_header, str(parsing.ERROR_OUTSIDE_SCHOOL)))
        elif problem == "name":
            errors.append(
                RowError(
                    row_no,
                    name_header,
                    parsing.format_message(parsing.ERROR_NAME_MISMATCH, expected=recorded),
                )
            )
        else:
            errors.append(RowError(row_no, number_header, str(parsing.ERROR_GRADE)))
    return errors, count


def _fail(job: ImportJob, errors: list[RowError], count: int) -> ImportJob:
    ordered = sorted(errors, key=lambda e: e.row)[: parsing.MAX_ERRORS]
    stored = [e.as_dict() for e in ordered]
    if count > len(stored):
        more = parsing.format_message(parsing.ERROR_MORE, count=count - len(stored))
        stored.append({"row": None, "column": "", "message": more})
    job.status = ImportStatus.FAILED
    job.errors = stored
    job.inserted_rows = 0
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "inserted_rows", "finished_at"])
    return job


def _finish(job: ImportJob, staging: str, affected: str, parsed: parsing.ParseResult) -> ImportJob:
    critical_ids: list[int] = []
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().only("status").get(pk=job.pk)
        if locked.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return locked
        if not import_units(actor=job.uploaded_by).filter(pk=job.school_id).exists():
            return _fail(job, [RowError(0, "", str(NOT_ALLOWED))], 1)
        with connection.cursor() as cursor:
            db_errors, db_count = [], 0
            if parsed.staged_rows:
                db_errors, db_count = _database_errors(cursor, job, staging, parsing.MAX_ERRORS)
            if parsed.error_count or db_count:
                return _fail(job, parsed.errors + db_errors, parsed.error_count + db_count)
            cursor.execute(
                UPSERT_SQL.format(staging=staging, affected=affected),
                {
                    "instrument": job.instrument_id,
                    "campaign": job.campaign_id,
                    "source": ResultSource.IMPORT.value,
                    "user": job.uploaded_by_id,
                    "day": _administered_on(job),
                },
            )
            cursor.execute(f"SELECT count(*) FILTER (WHERE inserted), count(*) FROM {affected}")  # noqa: S608 - table named by the job id
            inserted, stored = cursor.fetchone()
            cursor.execute(PROPOSAL_UPDATE_SQL.format(affected=affected))
            cursor.execute(PROPOSAL_DELETE_SQL.format(affected=affected))
            cursor.execute(PROPOSAL_INSERT_SQL.format(affected=affected))
            proposals = cursor.rowcount
            cursor.execute(f"SELECT id FROM {affected} WHERE is_critical ORDER BY id")  # noqa: S608
            critical_ids = [row[0] for row in cursor.fetchall()]
        job.status = ImportStatus.DONE
        job.inserted_rows = stored
        job.errors = []
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "inserted_rows", "errors", "finished_at"])
        audit_record(
            actor=job.uploaded_by,
            action=Action.CREATE,
            obj=job,
            detail={
                "campaign": job.campaign_id,
                "instrument": str(job.instrument),
                "rows": parsed.total_rows,
                "inserted": inserted,
                "updated": stored - inserted,
                "unchanged": parsed.total_rows - stored,
                "proposals": proposals,
                "critical": len(critical_ids),
            },
        )
        if critical_ids:
            transaction.on_commit(lambda: _alert(critical_ids))
    return job


def _alert(result_ids: list[int]) -> None:
    from screening import alerts

    if hasattr(alerts, "alert_critical_results"):
        alerts.alert_critical_results(result_ids)
