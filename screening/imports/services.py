"""Importing screening results from a file, at COPY speed.

1. ``import_job_create`` stores the uploaded bytes as an ``ImportJob`` (sent in binary, lz4) and
   enqueues the task.
2. ``import_run`` reads the file once and streams it (``parsing.parse_lines``: normalise, validate
   and score the answers — total, band, critical flag, proposed level and reasons — in a parser
   thread that works ahead: ``_parse_ahead``) into a TEMP staging table: one COPY per
   ``BATCH_ROWS`` rows, written in chunks as they are parsed, so that PostgreSQL takes in one
   chunk while Python parses the next. Each batch is then resolved set-based into a TEMP table
   while the thread parses the next batch: the student of each row and the problem of each row
   — unknown student, outside the unit, consent refused, name mismatch, grade not covered. (The
   scoring is the parser's, not SQL's: in the resolve it cost the database, which every import
   and page shares, 1 s per 1 M rows; the workers scale out. bench/README.md.) The job's
   progress is updated between batches. This phase only reads and runs in autocommit, so the
   progress is visible to the page that polls it at once; the temp tables live in the session.
3. One transaction then checks the uploader's scope again, looks for duplicate rows (the whole
   file resolved again only when there are some), reports the problems, and — only when the
   whole file is clean — writes the results set-based (one
   ``UPDATE`` of the stored rows that differ, one plain ``INSERT … SELECT`` of the new ones;
   ``INSERT … ON CONFLICT`` only when a row of the same key was stored meanwhile: ``_write``)
   and set-based writes of the risk proposals, audits one CREATE event with the counts, and
   marks the job done; the critical results are alerted after COMMIT. Any error: nothing is
   stored, the job is FAILED with every error (row, column, reason in the uploader's language;
   all-or-nothing). A student changed between the resolve and the COMMIT (seconds) is written
   as resolved — as before, when the resolve was the transaction's first statement under READ
   COMMITTED.

   A first import of a file of more than one batch (a county's: ``_pipelined``) is written
   while it is staged instead: a second connection (``_Writer``) inserts each batch as soon as
   it is resolved, in one transaction of its own, its student key checked batch by batch; at
   the end, for a clean file, it writes the proposals, the outbox, the audit and the job in that
   transaction and commits. Anything else (a problem in a row, a duplicate, a row stored
   meanwhile, a crash) rolls it back, and step 3 runs as above.

Where the time goes (1 M rows, bench/README.md): more than half is writing the rows — the
results table's 5 indexes (the INSERT) and its one foreign key in the database, the student's,
checked row by row by PostgreSQL — which a COPY into a copy of the table with the same indexes
and key costs too. On one connection that writing waits for the whole file to be staged; the
``_Writer`` does it beside the staging, on the second core.

Re-importing: the write on (campaign, student, instrument) updates a row only when its answers,
scores, total, band or critical flag differ (``IS DISTINCT FROM``). The same file twice changes
nothing the second time; a corrected file updates exactly the corrected rows (their pending
proposals follow the new score; confirmed or dismissed proposals are decisions and stay).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import itertools
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

import psycopg
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core import registry
from mhcare.orgs.models import OrgUnit, SchoolClass
from screening import alerts
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
    ScreeningResult,
)
from screening.services import CAMPAIGN_NOT_FOR_SCHOOL

NOT_ALLOWED = _("You may not import screening results for this unit.")
INSTRUMENT_NOT_IN_CAMPAIGN = _("This campaign does not use this instrument.")
FILE_TOO_LARGE = _("The file is too large (at most %(mb)s MB).")
FILE_TYPE = _("Upload an Excel workbook (.xlsx) or a CSV file (.csv).")

ERROR_UNEXPECTED = _(
    "The import stopped on an unexpected problem; nothing was stored. Try again; if it happens "
    "again, send the file to your administrator (import no. %(job)s)."
)
ERROR_NUL = _(
    "The file contains a NUL character (a zero byte) in a cell, which cannot be stored; nothing "
    "was stored. Open the file in Excel or WPS and save it again as .xlsx or CSV UTF-8."
)
ERROR_TIMEOUT = _(
    "The import took longer than allowed and was stopped; nothing was stored. Split the file "
    "into smaller files (for example one per grade) and import them one by one."
)
ERROR_GAVE_UP = _(
    "The import stopped the server %(attempts)s times while reading this file and was given "
    "up; nothing was stored. The file may be damaged or too large: save it again as .xlsx or "
    "CSV UTF-8, or split it, and upload it again."
)

logger = logging.getLogger(__name__)
UNIQUE_VIOLATION = "23505"

MAX_FILE_BYTES = 200 * 1024 * 1024
# Runs of one job, at most: a file that kills the worker (out of memory, a crash in a reader)
# is redelivered by the broker (acks_late) and would otherwise crash every worker for ever.
MAX_ATTEMPTS = 3
# Rows per COPY; the job's progress is updated between them. Each COPY is written in chunks of
# CHUNK_ROWS lines as they are parsed.
BATCH_ROWS = 100_000
CHUNK_ROWS = 5_000
# Chunks the parser thread may make ahead of the COPY (memory: ≈ 250 kB each): a whole batch, so
# that while PostgreSQL resolves one batch (0.2–1 s per 100 000 rows) the thread parses all of the
# next instead of stopping after 40 000 rows (8 chunks: the 250 000-row bench's staging took 1.3–3 s
# longer).
CHUNKS_AHEAD = BATCH_ROWS // CHUNK_ROWS


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
    if not filename.lower().endswith((".xlsx", ".xls", ".csv", ".txt")):
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
        content=b"",
        sha256=hashlib.sha256(content).hexdigest(),
        total_rows=max(0, parsing.count_rows(content, filename)),
    )
    _store_content(job.pk, content)
    del job.content  # deferred: read from the database if asked for, not held here
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=job,
        detail={"filename": job.filename, "sha256": job.sha256, "campaign": campaign.pk},
    )
    if enqueue:
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue(job_id), robust=True)
    return job


def _store_content(job_id: int, content: bytes) -> None:
    """The file, sent as a binary parameter (Django's client-side binding would spell a 200 MB
    file as 400 MB of hex text in memory and on the wire), compressed with lz4 where the server
    has it (3× faster than the default pglz on a results CSV; the import reads it once)."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings "
            "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )
        cursor.execute(
            "UPDATE screening_importjob SET content = %b WHERE id = %s", [content, job_id]
        )


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


def _unit_params(job: ImportJob) -> dict[str, list[int]]:
    """The resolve's ``schools`` and ``classes`` (below), read once per run of the job."""
    cached = getattr(job, "_unit_params", None)
    if cached is None:
        schools = _unit_schools(job)
        cached = {"schools": schools, "classes": _allowed_classes(job, schools)}
        job._unit_params = cached  # type: ignore[attr-defined]
    return cached


def _unit_schools(job: ImportJob) -> list[int]:
    """The units at or below the job's unit (a school, or a county and its schools): a row's
    student must be in one of them. Compared by id in the resolve (a hashed ``= ANY``), not by
    joining each row's school to read its path."""
    return list(
        OrgUnit.objects.filter(path__startswith=job.school.path).values_list("id", flat=True)
    )


def _allowed_classes(job: ImportJob, schools: list[int]) -> list[int]:
    """The classes of those schools in a grade the campaign screens with this instrument: a
    row's student must be in one of them (by id, like the schools, rather than a join to each
    student's class for its grade)."""
    return list(
        SchoolClass.objects.filter(
            school_id__in=schools, grade__in=_allowed_grades(job)
        ).values_list("id", flat=True)
    )


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
    a lost worker runs again — nothing of it was stored — up to ``MAX_ATTEMPTS`` runs). Errors
    are in the uploader's language. Whatever goes wrong, the job ends FAILED with a message the
    uploader understands (and the exception is logged): never left RUNNING."""
    language = (
        ImportJob.objects.filter(pk=job_id).values_list("uploaded_by__language", flat=True).first()
    )
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            return _run(job_id)
        except Exception as exc:
            logger.exception("Results import %s failed", job_id)
            job = _fail_unexpected(job_id, exc)
            if job is None:
                raise
            return job


def _run(job_id: int) -> ImportJob:
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update()
            .select_related("campaign", "instrument", "school", "uploaded_by")
            .defer("content")
            .get(pk=job_id)
        )
        # A run's shared table (``_Writer``) that a killed worker left: dropped by the next run
        # (the redelivered message) or when the job is given up — it holds the file's answers.
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_shared_table(job.pk)}")
        if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return job
        if job.attempts >= MAX_ATTEMPTS:
            message = parsing.format_message(ERROR_GAVE_UP, attempts=job.attempts)
            logger.error("Results import %s given up after %s attempts", job_id, job.attempts)
            return _fail(job, [RowError(0, "", message)], 1, {parsing.KIND_FILE: [1, 1]})
        # Counted (and committed) before the work: a run that kills the worker still counts.
        job.attempts += 1
        job.status = ImportStatus.RUNNING
        job.processed_rows = 0
        job.save(update_fields=["status", "processed_rows", "attempts"])
    staging = f"import_staging_{job.pk}"
    # The staging phase runs in autocommit (its progress is seen at once). Called inside a
    # transaction (tests, a caller's atomic), a failure must not poison it: a savepoint.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    writer = _Writer.start(job) if _pipelined(job) else None
    resolved = writer.resolved if writer is not None else f"import_resolved_{job.pk}"
    try:
        with guard:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {staging}")
                cursor.execute(STAGING_SQL.format(staging=staging))
            parsed = _stage(job, _content(job.pk), staging, resolved, writer)
            return _finish(job, staging, resolved, parsed, writer)
    finally:
        if writer is not None:
            writer.stop()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {staging}, {resolved}")


def _unexpected_message(job_id: int, exc: BaseException) -> str:
    if isinstance(exc, SoftTimeLimitExceeded):
        return str(ERROR_TIMEOUT)
    # PostgreSQL refuses a zero byte in text ("invalid byte sequence …: 0x00"), psycopg in a
    # parameter ("… cannot contain NUL (0x00) characters").
    if "0x00" in str(exc):
        return str(ERROR_NUL)
    return parsing.format_message(ERROR_UNEXPECTED, job=job_id)


def _fail_unexpected(job_id: int, exc: BaseException) -> ImportJob | None:
    """Mark a job that raised as FAILED (nothing of it was stored: the writes are one
    transaction). ``None`` when there is no such job."""
    message = _unexpected_message(job_id, exc)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().defer("content").filter(pk=job_id).first()
        if job is None or job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return job
        return _fail(job, [RowError(0, "", message)], 1, {parsing.KIND_FILE: [1, 1]})


STAGING_SQL = """
CREATE TEMP TABLE {staging} (
    row_no integer, student_number text, name text, answers smallint[], scores jsonb,
    total smallint, band text, is_critical boolean, level varchar(1), reasons varchar(64)[])
"""


def _content(job_id: int) -> bytes:
    """The job's file, read once in binary (no hex text of a 200 MB file in memory)."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            "SELECT content FROM screening_importjob WHERE id = %s", [job_id], binary=True
        )
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def _progress(job: ImportJob, processed: int, total: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=processed, total_rows=total)


_END = object()


def _parse_ahead(
    lines: Any,
    parsed: parsing.ParseResult,
    chunks: queue.Queue[Any],
    stop: threading.Event,
    language: str | None,
) -> None:
    """Thread: parse the file into COPY text chunks of ``CHUNK_ROWS`` lines, ahead of the
    database: while the main thread waits on PostgreSQL (a COPY, a batch's resolve) the GIL is
    free and the next rows are parsed on the other core. Each chunk goes with the file's rows
    read up to its end (the job's progress). Ends with ``_END`` or the exception;
    touches no database (the parser's setup ran in the caller's thread); messages in
    ``language``."""

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    try:
        with translation.override(language):
            chunk: list[str] = []
            for line in lines:
                chunk.append(line)
                if len(chunk) >= CHUNK_ROWS:
                    if not put((len(chunk), "".join(chunk), parsed.total_rows)):
                        return
                    chunk = []
            if chunk and not put((len(chunk), "".join(chunk), parsed.total_rows)):
                return
        put(_END)
    except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which raises it
        put(exc)


def _pages(cursor: Any, table: str) -> int:
    """The number of pages of a (temp) table: where the next rows appended to it begin."""
    cursor.execute(
        "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int", [table]
    )
    return int(cursor.fetchone()[0])


def _last_row_no(text: str) -> int:
    """The row number of the last line of a chunk of COPY text (its first field)."""
    return int(text[text.rfind("\n", 0, len(text) - 1) + 1 :].split("\t", 1)[0])


def _stage(
    job: ImportJob,
    content: bytes,
    staging: str,
    resolved: str,
    writer: _Writer | None = None,
) -> parsing.ParseResult:
    """Stream the file into the staging table: one COPY per ``BATCH_ROWS`` rows, written in
    chunks as a parser thread makes them (``_parse_ahead``), each batch then resolved into
    ``resolved`` (its students and problems: ``_resolve``) while the thread parses
    the next; the job's progress updated between batches (autocommit: the polling page sees it
    at once). The resolve only reads: the writes are all in ``_finish``'s transaction.

    Then, only when two staged numbers have the same hash (``ParseResult.maybe_duplicates``), a
    unique index on the student number: made in one sort, it tells whether the file has a
    duplicate row at all (then ``_finish`` resolves the file again, looking for them). A file
    the parser rejects midway keeps its staged rows: their students are checked too (every
    error is reported).

    With a ``writer``, each batch resolved is handed to it (its rows are in ``resolved`` from the
    page it had before the batch on), which writes them while the next batch is staged."""
    parsed = parsing.ParseResult()
    total = job.total_rows
    if not total and not parsing.is_csv(job.filename):
        try:
            total = parsing.xlsx_rows(content)
        except Exception:  # noqa: BLE001 - an unreadable file is reported by the parser below
            total = 0
    copy_sql = f"COPY {staging} ({', '.join(parsing.STAGING_COLUMNS)}) FROM STDIN"
    lines = parsing.parse_lines(content, job.filename, job.instrument, parsed)
    del content  # the parser holds the file while it reads it; nothing else does
    failure: parsing.FileError | None = None
    # The parser's setup (the header, the instrument's rules: database reads) and its first
    # line in this thread; the rest in the parser thread.
    try:
        first = next(lines, None)
    except parsing.FileError as exc:
        failure, first = exc, None
    chunks: queue.Queue[Any] = queue.Queue(maxsize=CHUNKS_AHEAD)
    stop = threading.Event()
    if first is None:
        chunks.put(failure or _END)
        parser = None
    else:
        parser = threading.Thread(
            target=_parse_ahead,
            args=(
                itertools.chain([first], lines),
                parsed,
                chunks,
                stop,
                translation.get_language(),
            ),
            name=f"import-{job.pk}-parser",
            daemon=True,
        )
        parser.start()
    finished = False
    after = 0  # the last row number resolved
    read = 0  # the file's rows read up to the last chunk written
    try:
        with connection.cursor() as cursor:
            while not finished:
                upto = after
                first_page = _pages(cursor, staging)
                # A writer waits for the first batch: a smaller one lets it start sooner.
                limit = BATCH_ROWS // 5 if writer is not None and not after else BATCH_ROWS
                with cursor.cursor.copy(copy_sql) as copy:
                    written = 0
                    while written < limit:
                        item = chunks.get()
                        if item is _END:
                            finished = True
                            break
                        if isinstance(item, parsing.FileError):
                            failure, finished = item, True
                            break
                        if isinstance(item, BaseException):
                            raise item
                        count, text, read = item
                        copy.write(text)
                        written += count
                        upto = _last_row_no(text)
                if upto > after:
                    resolved_page = _pages(cursor, resolved) if after else 0
                    resolved_rows = _resolve(
                        cursor,
                        job,
                        staging,
                        resolved,
                        parsed,
                        rows=(after, upto),
                        first_page=first_page,
                        staged=written,
                        unlogged=writer is not None,
                    )
                    if writer is not None:
                        writer.write(resolved_page, (after, upto), resolved_rows)
                    after = upto
                if not finished:
                    _progress(job, read, max(total, read))
            if failure is not None:
                parsed.errors = failure.errors
                parsed.error_count = len(failure.errors)
                parsed.kinds = {}
                for error in failure.errors:
                    counts = parsed.kinds.setdefault(error.kind, [0, 0])
                    counts[0] += 1
                    counts[1] += 1
            parsed.forget_numbers()
            if parsed.maybe_duplicates:
                try:
                    with transaction.atomic():
                        cursor.execute(f"CREATE UNIQUE INDEX ON {staging} (student_number)")
                except DatabaseError:  # a duplicate (or a number too long to index)
                    parsed.has_duplicates = True
                # (No ANALYZE: the planner's estimate from the table's size gives the same
                # plans, and it cost 0.2 s at 1 M rows.)
    finally:
        stop.set()
        if parser is not None:
            parser.join()
    job.total_rows = parsed.total_rows
    job.processed_rows = parsed.total_rows
    _progress(job, parsed.total_rows, parsed.total_rows)
    return parsed


# The staged rows with their students and the problem of each (NULL: none). Duplicates (rows
# after the first of a student number) are looked for only when the staging table's unique index
# could not be made.
RESOLVE_SQL = """
SELECT s.row_no, s.student_number,
    s.answers, s.scores, s.total, s.band, s.is_critical, s.level, s.reasons,
    st.id AS student_id, st.school_id, st.county_id,
    {first_row} AS first_row,
    CASE
        WHEN {duplicate} THEN 'duplicate'
        WHEN st.id IS NULL OR NOT (st.school_id = ANY(%(schools)s::bigint[])) THEN 'unknown'
        WHEN EXISTS (
            SELECT 1 FROM screening_screeningconsent sc
            WHERE sc.student_id = st.id AND sc.decision = 'refused'
        ) THEN 'refused'
        WHEN st.name <> s.name
             AND regexp_replace(normalize(st.name, NFKC), '\\s+', '', 'g') <> s.name
            THEN 'name'
        WHEN NOT (st.klass_id = ANY(%(classes)s::bigint[])) THEN 'grade'
    END AS problem,
    st.name AS recorded
FROM {staging} s
{duplicates}
LEFT JOIN orgs_student st ON st.student_number = s.student_number
"""
DUPLICATES_JOIN = """
LEFT JOIN (
    SELECT student_number, min(row_no) AS first_row FROM {staging}
    GROUP BY student_number HAVING count(*) > 1
) d ON d.student_number = s.student_number
"""

# The resolved rows, kept for the errors and the upsert (the name on record only where it
# differs: the error shows it).
RESOLVED_COLUMNS = """
SELECT {id}row_no, student_id, school_id, county_id, problem, first_row,
       CASE WHEN problem = 'name' THEN recorded END AS recorded,
       answers, scores, total, band, is_critical, level, reasons
FROM ({query}) r
"""
# (A session's temp table, like the staging one: made batch by batch in autocommit while the
# file is staged, read by the import's transaction; dropped with the staging table.)
RESOLVED_SQL = "CREATE {kind} TABLE {resolved} AS" + RESOLVED_COLUMNS
RESOLVED_MORE_SQL = "INSERT INTO {resolved}" + RESOLVED_COLUMNS
# For a ``_Writer``: the rows of each batch in the order of their students, each given its
# result's id from the results' sequence here — so that the writer inserts them as they lie
# (no sort) and has the ids of the rows a proposal or an alert needs (no lookup). Both costs
# move off the writer's connection, which bounds the import (``_Writer``).
RESOLVED_ID = "nextval('{sequence}'::regclass) AS id, "
RESOLVED_ORDER = "ORDER BY st.id\n"

# The first rows with a problem, and the first ``per_kind`` of each problem (the summary shows
# them even when another problem fills the list), with the count of each problem.
ERRORS_SQL = """
SELECT row_no, problem, first_row, recorded, per_problem
FROM (
    SELECT row_no, problem, first_row, recorded,
           row_number() OVER (ORDER BY row_no) AS position,
           row_number() OVER (PARTITION BY problem ORDER BY row_no) AS position_in_problem,
           count(*) OVER (PARTITION BY problem) AS per_problem
    FROM {resolved} WHERE problem IS NOT NULL
) e
WHERE position <= %(limit)s OR position_in_problem <= %(per_kind)s
ORDER BY row_no
"""
PROBLEM_KINDS = {
    "duplicate": parsing.KIND_DUPLICATE,
    "unknown": parsing.KIND_UNKNOWN_STUDENT,
    "refused": parsing.KIND_CONSENT_REFUSED,
    "name": parsing.KIND_NAME_MISMATCH,
    "grade": parsing.KIND_GRADE,
}

# The fallback of ``_write`` (a row of the same key stored meanwhile): one INSERT … ON CONFLICT of
# the whole file, in the order of the unique key. A row is updated
# only when its answers, scores, total, band or critical flag differ (``IS DISTINCT FROM``), so
# the same file twice changes nothing. The rows a proposal step needs (updated, critical, or
# proposing a level) are kept in ``affected``; the counts come back.
UPSERT_SQL = """
WITH up AS (
    INSERT INTO screening_screeningresult AS r (
        student_id, school_id, county_id, instrument_id, campaign_id, source, answers, scores,
        total, band, is_critical, entered_by_id, administered_on, created_at)
    SELECT v.student_id, v.school_id, v.county_id, %(instrument)s, %(campaign)s, %(source)s,
           v.answers, v.scores, v.total, v.band, v.is_critical, %(user)s, %(day)s, now()
    FROM {resolved} v
    ORDER BY v.student_id
    ON CONFLICT (campaign_id, student_id, instrument_id) WHERE campaign_id IS NOT NULL
    DO UPDATE SET answers = EXCLUDED.answers, scores = EXCLUDED.scores, total = EXCLUDED.total,
        band = EXCLUDED.band, is_critical = EXCLUDED.is_critical, source = EXCLUDED.source,
        entered_by_id = EXCLUDED.entered_by_id, administered_on = EXCLUDED.administered_on
    WHERE (r.answers, r.scores, r.total, r.band, r.is_critical)
        IS DISTINCT FROM (EXCLUDED.answers, EXCLUDED.scores, EXCLUDED.total, EXCLUDED.band,
                          EXCLUDED.is_critical)
    RETURNING r.id, r.student_id, r.school_id, r.county_id, r.is_critical, (r.xmax = 0) AS inserted
), kept AS (
    INSERT INTO {affected} (id, student_id, school_id, county_id, is_critical, inserted, level,
                            reasons)
    SELECT up.id, up.student_id, up.school_id, up.county_id, up.is_critical, up.inserted,
           p.level, p.reasons
    FROM up LEFT JOIN (
        SELECT student_id, level, reasons FROM {resolved} WHERE level IS NOT NULL
    ) p ON p.student_id = up.student_id
    WHERE NOT up.inserted OR up.is_critical OR p.level IS NOT NULL
)
SELECT count(*) FILTER (WHERE inserted), count(*) FROM up
"""
# The write, without ``ON CONFLICT`` when it can (``_write``): PostgreSQL's speculative insertion
# costs a second unique-index probe and a WAL record per row — about 40 % more than a plain
# INSERT of the same rows into the same indexes (bench/README.md, issue 14). The results already
# stored for the file's students in this campaign and instrument are read first (locked: not
# deleted or re-keyed before COMMIT); those that differ are updated by id, the others inserted.
EXISTING_SQL = """
CREATE TEMP TABLE {existing} ON COMMIT DROP AS
SELECT r.id, r.student_id FROM screening_screeningresult r
WHERE r.campaign_id = %(campaign)s AND r.instrument_id = %(instrument)s
  AND r.student_id IN (SELECT student_id FROM {resolved})
FOR NO KEY UPDATE OF r
"""
UPDATE_SQL = """
WITH up AS (
    UPDATE screening_screeningresult r
    SET answers = v.answers, scores = v.scores, total = v.total, band = v.band,
        is_critical = v.is_critical, source = %(source)s, entered_by_id = %(user)s,
        administered_on = %(day)s
    FROM {existing} e JOIN {resolved} v ON v.student_id = e.student_id
    WHERE r.id = e.id
      AND (r.answers, r.scores, r.total, r.band, r.is_critical)
          IS DISTINCT FROM (v.answers, v.scores, v.total, v.band, v.is_critical)
    RETURNING r.id, r.student_id, r.school_id, r.county_id, r.is_critical, v.level, v.reasons
)
INSERT INTO {affected} (id, student_id, school_id, county_id, is_critical, inserted, level,
                        reasons)
SELECT id, student_id, school_id, county_id, is_critical, FALSE, level, reasons FROM up
"""
# The new rows, in the order of the unique key (its index and the student's are appended to).
INSERT_SQL = """
INSERT INTO screening_screeningresult (
    {id}student_id, school_id, county_id, instrument_id, campaign_id, source, answers, scores,
    total, band, is_critical, entered_by_id, administered_on, created_at)
SELECT {v_id}v.student_id, v.school_id, v.county_id, %(instrument)s, %(campaign)s, %(source)s,
       v.answers, v.scores, v.total, v.band, v.is_critical, %(user)s, %(day)s, now()
FROM {resolved} v
{new_only}
{order}
"""
BY_STUDENT = "ORDER BY v.student_id"
NEW_ONLY = "WHERE NOT EXISTS (SELECT 1 FROM {existing} e WHERE e.student_id = v.student_id)"
# The new rows a proposal or an alert needs (critical, or proposing a level: a few percent),
# found again by their key — not the whole insert returned and paired with its source rows —
# each through the unique index (the ``OFFSET 0`` keeps the lateral subquery a nested loop: as a
# join, misled by the fresh rows' statistics, the planner hashed the whole campaign's results).
INSERTED_AFFECTED_SQL = """
INSERT INTO {affected} (id, student_id, school_id, county_id, is_critical, inserted, level,
                        reasons)
SELECT r.id, r.student_id, r.school_id, r.county_id, r.is_critical, TRUE, v.level, v.reasons
FROM {resolved} v
CROSS JOIN LATERAL (
    SELECT r.id, r.student_id, r.school_id, r.county_id, r.is_critical
    FROM screening_screeningresult r
    WHERE r.campaign_id = %(campaign)s AND r.student_id = v.student_id
      AND r.instrument_id = %(instrument)s
    OFFSET 0
) r
WHERE (v.is_critical OR v.level IS NOT NULL)
{and_new_only}
"""
AFFECTED_SQL = """
CREATE TEMP TABLE {affected} (
    id bigint, student_id bigint, school_id bigint, county_id bigint, is_critical boolean,
    inserted boolean, level varchar(1), reasons varchar(64)[]) ON COMMIT DROP
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


# The outbox rows of the critical results stored (screening.models.CriticalAlertPending).
ALERT_OUTBOX_SQL = """
WITH critical AS (SELECT id FROM {affected} WHERE is_critical),
queued AS (
    INSERT INTO screening_criticalalertpending (result_id, created_at)
    SELECT id, now() FROM critical
    ON CONFLICT (result_id) DO NOTHING
)
SELECT count(*) FROM critical
"""


# Memory for the sorts and hashes over a whole file, for the import's transaction only
# (PostgreSQL's default of 4 MB spills the join of a 1 M-row file to disk).
WORK_MEM = "256MB"


def _resolve(
    cursor: Any,
    job: ImportJob,
    staging: str,
    resolved: str,
    parsed: parsing.ParseResult,
    *,
    rows: tuple[int, int] | None = None,
    first_page: int = 0,
    staged: int | None = None,
    unlogged: bool = False,
) -> int:
    """Resolve the staged rows into ``resolved``: those numbered in ``(after, upto]`` when
    ``rows`` is given (one batch; the first creates the table), else the whole file again (the
    table made anew, looking for duplicate rows when the file has some). The table is a TEMP
    one, or with ``unlogged`` an UNLOGGED one that the ``_Writer``'s connection reads too.

    A batch of ``staged`` rows whose COPY began when the staging table had ``first_page`` pages
    is read from the page before (the COPY may fill it) on. Should PostgreSQL have put a row on
    an earlier page (free space left there), the batch comes out short: it is resolved again by
    row number alone, so that no row is ever left out. Returns the number of rows resolved."""
    if parsed.has_duplicates:
        first_row, duplicate = "d.first_row", "d.first_row < s.row_no"
        duplicates = DUPLICATES_JOIN.format(staging=staging)
    else:
        first_row, duplicate, duplicates = "NULL::integer", "FALSE", ""
    query = RESOLVE_SQL.format(
        staging=staging,
        first_row=first_row,
        duplicate=duplicate,
        duplicates=duplicates,
    )
    params: dict[str, Any] = dict(_unit_params(job))
    if rows is not None:
        # The batch's rows are the ones appended since its COPY began: a TID range scan from
        # that page reads only them (not the whole staging table again for every batch).
        query += (
            "WHERE s.ctid >= %(first_tid)s::tid AND s.row_no > %(after)s AND s.row_no <= %(upto)s\n"
        )
        params["after"], params["upto"] = rows
        params["first_tid"] = f"({max(first_page - 1, 0)},0)"
    if rows is None or rows[0] == 0:
        cursor.execute(f"DROP TABLE IF EXISTS {resolved}")
        statement = RESOLVED_SQL
    else:
        statement = RESOLVED_MORE_SQL
    if unlogged:
        kind, ids = "UNLOGGED", RESOLVED_ID.format(sequence=_results_sequence(cursor))
        query += RESOLVED_ORDER
    else:
        kind, ids = "TEMP", ""
    cursor.execute(statement.format(kind=kind, id=ids, resolved=resolved, query=query), params)
    if rows is not None and staged is not None and first_page and cursor.rowcount != staged:
        logger.warning(
            "Results import %s: batch %s resolved again (rows outside its pages)", job.pk, rows
        )
        cursor.execute(
            f"DELETE FROM {resolved} WHERE row_no > %s AND row_no <= %s",  # noqa: S608 - our temp table
            list(rows),
        )
        return _resolve(cursor, job, staging, resolved, parsed, rows=rows, unlogged=unlogged)
    return int(cursor.rowcount)


def _write(cursor: Any, job: ImportJob, resolved: str, affected: str) -> tuple[int, int]:
    """Store the resolved rows (every one clean): update the stored results of this campaign and
    instrument that differ, insert the others, and keep in ``affected`` the rows the proposals and
    alerts need. Returns (inserted, inserted + updated).

    A row of the same key committed by someone else meanwhile (a teacher's form, another import)
    makes the plain INSERT fail: the step is then rolled back to its savepoint and done again with
    ``INSERT … ON CONFLICT`` (``UPSERT_SQL``), which waits for and merges such rows."""
    existing = f"import_existing_{job.pk}"
    params = {
        "instrument": job.instrument_id,
        "campaign": job.campaign_id,
        "source": ResultSource.IMPORT.value,
        "user": job.uploaded_by_id,
        "day": _administered_on(job),
    }
    try:
        with transaction.atomic():
            cursor.execute(EXISTING_SQL.format(existing=existing, resolved=resolved), params)
            any_existing = cursor.rowcount > 0
            updated = 0
            if any_existing:
                cursor.execute(
                    UPDATE_SQL.format(existing=existing, resolved=resolved, affected=affected),
                    params,
                )
                updated = cursor.rowcount
            new_only = NEW_ONLY.format(existing=existing) if any_existing else ""
            cursor.execute(
                INSERT_SQL.format(
                    id="", v_id="", resolved=resolved, new_only=new_only, order=BY_STUDENT
                ),
                params,
            )
            inserted = cursor.rowcount
            cursor.execute(
                INSERTED_AFFECTED_SQL.format(
                    resolved=resolved,
                    affected=affected,
                    and_new_only=f"AND {new_only.removeprefix('WHERE ')}" if new_only else "",
                ),
                params,
            )
            cursor.execute(f"DROP TABLE {existing}")
        return inserted, inserted + updated
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        logger.info("Results import %s: a row was stored meanwhile, merged (ON CONFLICT)", job.pk)
    cursor.execute(f"DROP TABLE IF EXISTS {existing}")
    cursor.execute(f"TRUNCATE {affected}")
    cursor.execute(UPSERT_SQL.format(resolved=resolved, affected=affected), params)
    inserted, stored = cursor.fetchone()
    return int(inserted), int(stored)


def _database_errors(
    cursor: Any, job: ImportJob, resolved: str, limit: int
) -> tuple[list[RowError], dict[str, list[int]]]:
    """The problems found in the database (the first ``limit`` rows and the first rows of each
    problem) and the count of each, as {kind: [rows, errors]} (one error per row)."""
    columns = parsing.all_columns(job.instrument)
    number_header, name_header = columns[0].header, columns[1].header
    cursor.execute(
        ERRORS_SQL.format(resolved=resolved),
        {"limit": limit, "per_kind": parsing.common.ROWS_PER_KIND},
    )
    errors: list[RowError] = []
    counts: dict[str, list[int]] = {}
    for row_no, problem, first_row, recorded, per_problem in cursor.fetchall():
        kind = PROBLEM_KINDS[problem]
        counts[kind] = [per_problem, per_problem]
        if problem == "duplicate":
            message = parsing.format_message(parsing.ERROR_DUPLICATE, row=first_row)
        elif problem == "unknown":
            message = str(parsing.ERROR_UNKNOWN_STUDENT)
        elif problem == "refused":
            message = str(parsing.ERROR_CONSENT_REFUSED)
        elif problem == "name":
            message = parsing.format_message(parsing.ERROR_NAME_MISMATCH, expected=recorded)
        else:
            message = str(parsing.ERROR_GRADE)
        column = name_header if problem == "name" else number_header
        errors.append(RowError(row_no, column, message, kind))
    return errors, counts


def _fail(
    job: ImportJob, errors: list[RowError], count: int, kinds: dict[str, list[int]]
) -> ImportJob:
    """Mark the job FAILED with its errors: the first ``MAX_ERRORS`` by row, plus the first rows
    of each kind, and the count of each kind (``error_counts``)."""
    ordered = sorted(errors, key=lambda e: e.row)
    kept: list[RowError] = []
    per_kind: dict[str, int] = {}
    for error in ordered:
        seen = per_kind.get(error.kind, 0)
        if len(kept) < parsing.common.MAX_ERRORS or seen < parsing.common.ROWS_PER_KIND:
            kept.append(error)
            per_kind[error.kind] = seen + 1
    stored = [e.as_dict() for e in kept]
    if count > len(stored):
        more = parsing.format_message(parsing.ERROR_MORE, count=count - len(stored))
        stored.append({"row": None, "column": "", "message": more, "kind": parsing.KIND_MORE})
    job.status = ImportStatus.FAILED
    job.errors = stored
    job.error_counts = kinds
    job.inserted_rows = 0
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "errors",
            "error_counts",
            "inserted_rows",
            "blank_rows",
            "example_rows",
            "finished_at",
        ]
    )
    _clear_upload(job.pk)
    return job


def _clear_upload(job_id: int) -> None:
    """A finished job keeps its counts and errors, not the uploaded file (PIPL art. 19: the file
    names every student of the school). Cleared in the transaction that finishes the job."""
    ImportJob.objects.filter(pk=job_id).update(content=b"")


def _finish(
    job: ImportJob,
    staging: str,
    resolved: str,
    parsed: parsing.ParseResult,
    writer: _Writer | None = None,
) -> ImportJob:
    if writer is not None:
        done = _finish_written(job, resolved, parsed, writer)
        if done is not None:
            return done
    affected = f"import_affected_{job.pk}"
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().only("status").get(pk=job.pk)
        if locked.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return locked
        job.blank_rows = parsed.blank_rows
        job.example_rows = parsed.example_rows
        if not import_units(actor=job.uploaded_by).filter(pk=job.school_id).exists():
            return _fail(job, [RowError(0, "", str(NOT_ALLOWED))], 1, {parsing.KIND_FILE: [1, 1]})
        with connection.cursor() as cursor:
            _session_for_a_file(cursor)
            if parsed.has_duplicates or not parsed.staged_rows:
                _resolve(cursor, job, staging, resolved, parsed, unlogged=writer is not None)
            db_errors, db_kinds = _database_errors(cursor, job, resolved, parsing.common.MAX_ERRORS)
            if parsed.error_count or db_kinds:
                kinds = {k: list(v) for k, v in parsed.kinds.items()}
                for kind, (rows, count) in db_kinds.items():
                    total = kinds.setdefault(kind, [0, 0])
                    total[0] += rows
                    total[1] += count
                db_count = sum(c for _rows, c in db_kinds.values())
                return _fail(job, parsed.errors + db_errors, parsed.error_count + db_count, kinds)
            cursor.execute(AFFECTED_SQL.format(affected=affected))
            inserted, stored = _write(cursor, job, resolved, affected)
            _complete(cursor, job, parsed, affected, inserted=inserted, stored=stored)
    return job


def _session_for_a_file(cursor: Any) -> None:
    """Sorts and hashes of a whole file in memory; no JIT (it compiled for up to 0.2 s per
    statement here, misled by the row estimates of fresh tables, and gained nothing measurable at
    1 M rows). For the current transaction only."""
    cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    cursor.execute("SET LOCAL jit = off")


def _complete(
    cursor: Any,
    job: ImportJob,
    parsed: parsing.ParseResult,
    affected: str,
    *,
    inserted: int,
    stored: int,
) -> None:
    """After the rows are written (``affected``: those the proposals and alerts need), in the
    same transaction: the risk proposals, the critical results' alert outbox, the job DONE with
    its counts, its upload cleared, the audit event; the alerts sent after COMMIT."""
    if stored > inserted:  # pending proposals of updated results follow their score
        cursor.execute(PROPOSAL_UPDATE_SQL.format(affected=affected))
        cursor.execute(PROPOSAL_DELETE_SQL.format(affected=affected))
    cursor.execute(PROPOSAL_INSERT_SQL.format(affected=affected))
    proposals = cursor.rowcount
    # The critical results' alerts: their outbox rows in this transaction, sent on the alerts
    # queue after COMMIT (screening.alerts).
    cursor.execute(ALERT_OUTBOX_SQL.format(affected=affected))
    critical = int(cursor.fetchone()[0])
    job.status = ImportStatus.DONE
    job.inserted_rows = stored
    job.critical_rows = critical
    job.proposal_rows = proposals
    job.errors = []
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "inserted_rows",
            "critical_rows",
            "proposal_rows",
            "errors",
            "blank_rows",
            "example_rows",
            "finished_at",
        ]
    )
    _clear_upload(job.pk)
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
            "unchanged": parsed.total_rows - parsed.blank_rows - stored,
            "not_screened": parsed.blank_rows,
            "proposals": proposals,
            "critical": critical,
        },
    )
    if critical:
        transaction.on_commit(alerts.alert_enqueue, robust=True)
    registry.data_changed([job.school_id], "screening")


# Writing while staging (``_Writer``): the rows of one batch of the shared resolved table — from
# the page it had before the batch on, its row numbers, no problem found.
BATCH_OF_RESOLVED = (
    "v.ctid {pages} %(first_tid)s::tid AND v.row_no > %(after)s AND v.row_no <= %(upto)s "
    "AND v.problem IS NULL"
)
# The batch's pages, and, should PostgreSQL have put some of its rows on an earlier page (free
# space left there, as in the staging table: ``_resolve``), the pages before.
ITS_PAGES, PAGES_BEFORE = ">=", "<"
# The rows of a batch a proposal or an alert needs, with the ids the resolve gave them.
WRITTEN_AFFECTED_SQL = """
INSERT INTO {affected} (id, student_id, school_id, county_id, is_critical, inserted, level,
                        reasons)
SELECT v.id, v.student_id, v.school_id, v.county_id, v.is_critical, TRUE, v.level, v.reasons
FROM {resolved} v
WHERE {batch} AND (v.is_critical OR v.level IS NOT NULL)
"""
PROBLEMS_SQL = "SELECT EXISTS (SELECT 1 FROM {resolved} WHERE problem IS NOT NULL)"
# Seconds ``_Writer.stop`` waits for the writer's current statement before cancelling it.
STOP_WAIT = 5


# The schema of the ``_shared_table``s (migration screening 0016): the app's database role may
# create tables there and nowhere else (``manage.py db_roles``).
WORK_SCHEMA = "import_work"


def _shared_table(job_id: int) -> str:
    """The resolved rows of a job written by a ``_Writer``: an UNLOGGED table both connections
    read (a TEMP table is its session's own)."""
    return f"{WORK_SCHEMA}.import_pipeline_{job_id}"


def _results_sequence(cursor: Any) -> str:
    """The sequence of the results' ids (an identity column's)."""
    cursor.execute("SELECT pg_get_serial_sequence('screening_screeningresult', 'id')")
    return str(cursor.fetchone()[0])


def _pipelined(job: ImportJob) -> bool:
    """Whether a ``_Writer`` writes the rows while the file is staged: for a file of more than one
    batch (with one there is nothing to overlap), run in autocommit (by a worker: inside a
    caller's transaction a second connection would not see its rows), into a campaign where the
    unit has no result of this instrument yet — a first import, nothing to update (a corrected
    file takes the one-transaction path, which updates what differs) — and when the database
    role may create the shared table."""
    if connection.in_atomic_block or job.total_rows <= BATCH_ROWS:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regnamespace(%s) IS NOT NULL AND has_schema_privilege(%s, 'CREATE')",
            [WORK_SCHEMA, WORK_SCHEMA],
        )
        if not cursor.fetchone()[0]:
            logger.warning(
                "Results import %s: written in one transaction, the database role may not create "
                "a table in the schema %s (run manage.py db_roles)",
                job.pk,
                WORK_SCHEMA,
            )
            return False
    return not ScreeningResult.objects.filter(
        campaign_id=job.campaign_id,
        instrument_id=job.instrument_id,
        school_id__in=_unit_params(job)["schools"],
    ).exists()


def _finish_written(
    job: ImportJob, resolved: str, parsed: parsing.ParseResult, writer: _Writer
) -> ImportJob | None:
    """The end of an import whose rows a ``_Writer`` wrote: for a clean file the writer completes
    the import in its transaction (``_complete``) and commits. Otherwise — a problem in a row, a
    duplicate row, a writer that failed (a row of the same key stored meanwhile) — the writer's
    transaction is rolled back and ``None`` returned: ``_finish`` then does it all in one
    transaction, as for a small file, and reports the problems."""
    clean = bool(parsed.staged_rows) and not (parsed.error_count or parsed.has_duplicates)
    if clean:
        with connection.cursor() as cursor:
            cursor.execute(PROBLEMS_SQL.format(resolved=resolved))
            clean = not cursor.fetchone()[0]
    if not clean:
        writer.stop()
        return None
    return writer.finish(parsed)


class _RollBackError(Exception):
    """The writer's transaction is to be rolled back (``_Writer.stop``, or a job that
    ``_finish`` must end itself)."""


_STOP = object()


class _Writer:
    """The rows of a large file written by a second connection, batch by batch, while the main
    connection stages and resolves the next batch: the two PostgreSQL backends work on two cores
    at once, and the student key of each batch's rows is checked at the end of its INSERT
    (``SET CONSTRAINTS ALL IMMEDIATE``) rather than all at COMMIT. (1 M rows on one backend: a
    staging of 4.7 s, then the INSERT 4.7 s, then the key's checks at COMMIT 5.2 s;
    bench/README.md.) The resolved rows are in an UNLOGGED table (``_shared_table``), which the
    writer reads by page range, as the resolve reads the staging table.

    One transaction, all or nothing: ``finish`` completes the import in it and commits; ``stop``
    rolls it back. A writer that fails leaves the writing to ``_finish``."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.resolved = _shared_table(job.pk)
        self.affected = f"import_written_{job.pk}"
        self.inserted = 0
        self.done = False
        self.failed: BaseException | None = None
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._language = translation.get_language()
        self._backend: Any = None  # the writer's psycopg connection, to cancel a statement
        self._thread = threading.Thread(
            target=self._run, name=f"import-{job.pk}-writer", daemon=True
        )

    @classmethod
    def start(cls, job: ImportJob) -> _Writer:
        writer = cls(job)
        writer._thread.start()
        return writer

    def write(self, first_page: int, rows: tuple[int, int], count: int) -> None:
        """Write the ``count`` rows numbered in ``(after, upto]`` (``rows``), appended to the
        resolved table from page ``first_page`` on."""
        self._inbox.put((first_page, rows, count))

    def finish(self, parsed: parsing.ParseResult) -> ImportJob | None:
        """Complete the import and commit: the job, DONE; ``None`` when the writer failed or
        left the end to ``_finish`` (its transaction rolled back)."""
        self._inbox.put(parsed)
        self._thread.join()
        return self.job if self.done else None

    def stop(self) -> None:
        """Roll the writer's transaction back unless it committed, and wait for its end (a
        statement still running after ``STOP_WAIT`` seconds is cancelled)."""
        if not self._thread.is_alive():
            return
        self._inbox.put(_STOP)
        self._thread.join(timeout=STOP_WAIT)
        if self._thread.is_alive() and self._backend is not None:
            with contextlib.suppress(Exception):
                self._backend.cancel_safe()
        self._thread.join()

    def _run(self) -> None:
        try:
            with (
                translation.override(self._language),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                self._backend = connection.connection
                _session_for_a_file(cursor)
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(AFFECTED_SQL.format(affected=self.affected))
                self._write(cursor)
            self.done = True
            logger.info(
                "Results import %s: %s rows written beside the staging", self.job.pk, self.inserted
            )
        except _RollBackError:
            pass
        except BaseException as exc:  # noqa: BLE001 - _finish writes the rows instead
            self.failed = exc
            logger.warning(
                "Results import %s: the writer stopped (%s); the rows are written again in one "
                "transaction",
                self.job.pk,
                exc,
                exc_info=not isinstance(exc, IntegrityError),
            )
        finally:
            connection.close()

    def _write(self, cursor: Any) -> None:
        job = self.job
        params: dict[str, Any] = {
            "instrument": job.instrument_id,
            "campaign": job.campaign_id,
            "source": ResultSource.IMPORT.value,
            "user": job.uploaded_by_id,
            "day": _administered_on(job),
        }
        while True:
            item = self._inbox.get()
            if item is _STOP:
                raise _RollBackError
            if isinstance(item, parsing.ParseResult):
                self._complete(cursor, item)
                return
            first_page, (after, upto), count = item
            params.update(first_tid=f"({max(first_page - 1, 0)},0)", after=after, upto=upto)
            written = self._write_batch(cursor, params, ITS_PAGES)
            if written < count:  # rows on earlier pages, or rows with a problem (then it fails)
                written += self._write_batch(cursor, params, PAGES_BEFORE)
            self.inserted += written

    def _write_batch(self, cursor: Any, params: dict[str, Any], pages: str) -> int:
        """Insert the batch's rows on ``pages`` as they lie — by student, with their ids
        (``RESOLVED_ID``) — and keep those a proposal or an alert needs."""
        batch = BATCH_OF_RESOLVED.format(pages=pages)
        insert = INSERT_SQL.format(
            id="id, ", v_id="v.id, ", resolved=self.resolved, new_only=f"WHERE {batch}", order=""
        )
        cursor.execute(insert, params)
        written = int(cursor.rowcount)
        affected = WRITTEN_AFFECTED_SQL.format(
            resolved=self.resolved, affected=self.affected, batch=batch
        )
        cursor.execute(affected, params)
        return written

    def _complete(self, cursor: Any, parsed: parsing.ParseResult) -> None:
        job = self.job
        if self.inserted != parsed.staged_rows:  # never a row left out
            logger.error(
                "Results import %s: the writer wrote %s of %s rows",
                job.pk,
                self.inserted,
                parsed.staged_rows,
            )
            raise _RollBackError
        locked = ImportJob.objects.select_for_update().only("status").get(pk=job.pk)
        if locked.status in (ImportStatus.DONE, ImportStatus.FAILED) or (
            not import_units(actor=job.uploaded_by).filter(pk=job.school_id).exists()
        ):
            raise _RollBackError  # _finish ends the job, and says why
        _complete(cursor, job, parsed, self.affected, inserted=self.inserted, stored=self.inserted)
