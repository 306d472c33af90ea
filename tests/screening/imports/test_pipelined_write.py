"""A file of more than one batch, imported into a campaign where the unit has no result yet, is
written by a second connection (``services._Writer``) while the main one stages and resolves the
next batches. These tests run it as a worker does — in autocommit, so ``transaction=True`` (the
writer's connection sees only what is committed) — with batches of 10 rows, and hold it to the
one-transaction path: the same results, proposals, alerts and counts; all or nothing; a row of
the same key stored meanwhile merged; nothing of the file left in the database."""

import datetime

import pytest
from django.db import connection

from mhcare.audit.models import Action, AuditEvent
from screening.imports import services
from screening.models import (
    CriticalAlertPending,
    ImportJob,
    ImportStatus,
    ResultSource,
    RiskProposal,
    ScreeningResult,
)
from tests import factories
from tests.screening.imports.conftest import city_campaign, csv_bytes, new_class

pytestmark = pytest.mark.django_db(transaction=True)

STUDENTS = 40


@pytest.fixture
def students(world):
    klass = new_class(world, grade=8, name="初二(3)班")
    return [factories.StudentFactory(klass=klass) for _ in range(STUDENTS)]


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(services, "BATCH_ROWS", 10)
    monkeypatch.setattr(services, "CHUNK_ROWS", 3)


@pytest.fixture
def writers(monkeypatch):
    """Every ``_Writer`` started, to look at after the import."""
    started = []
    original = services._Writer.start.__func__

    def start(cls, job):
        writer = original(cls, job)
        started.append(writer)
        return writer

    monkeypatch.setattr(services._Writer, "start", classmethod(start))
    return started


def answers_of(n):
    """Low, moderate and severe totals, and item 9 positive for every seventh student."""
    answers = [(n * 7 + i) % 4 if n % 3 else n % 2 for i in range(8)]
    return [*answers, 1 if n % 7 == 0 else 0]


def rows_of(students):
    return [[s.student_number, s.name, *answers_of(n)] for n, s in enumerate(students)]


def upload(world, campaign, phq9, content):
    """The job of ``content`` uploaded by school A's psychology teacher, not run yet."""
    return services.import_job_create(
        actor=world.users["psych_a"],
        campaign=campaign,
        instrument=phq9,
        unit=world.school_a,
        filename="results.csv",
        content=content,
        enqueue=False,
    )


def run(world, campaign, phq9, content):
    return services.import_run(job_id=upload(world, campaign, phq9, content).pk)


def outcome(campaign):
    """What an import stored for ``campaign``: its results, their proposals and alerts."""
    results = ScreeningResult.objects.filter(campaign=campaign)
    return {
        "results": sorted(
            results.values_list("student_id", "answers", "total", "band", "is_critical", "source")
        ),
        "proposals": sorted(
            RiskProposal.objects.filter(source_result__campaign=campaign).values_list(
                "student_id", "level", "reasons", "status"
            )
        ),
        "alerts": sorted(
            CriticalAlertPending.objects.filter(result__campaign=campaign).values_list(
                "result__student_id", flat=True
            )
        ),
    }


def shared_tables():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'import_pipeline_%%'")
        return [row[0] for row in cursor.fetchall()]


def test_a_large_first_import_is_written_by_the_writer_as_by_one_transaction(
    world, phq9, students, small_batches, writers, monkeypatch
):
    content = csv_bytes(rows_of(students))
    pipelined = run(world, city_campaign(world, phq9), phq9, content)

    assert pipelined.status == ImportStatus.DONE, pipelined.errors
    [writer] = writers
    assert (writer.done, writer.failed, writer.inserted) == (True, None, STUDENTS)
    assert shared_tables() == []

    # the same file in another campaign, written by the main connection in one transaction
    monkeypatch.setattr(services, "_pipelined", lambda job: False)
    serial = run(world, city_campaign(world, phq9, "对照"), phq9, content)
    assert serial.status == ImportStatus.DONE, serial.errors
    assert len(writers) == 1

    counts = ("inserted_rows", "critical_rows", "proposal_rows", "blank_rows", "total_rows")
    assert [getattr(pipelined, c) for c in counts] == [getattr(serial, c) for c in counts]
    assert pipelined.inserted_rows == STUDENTS
    assert pipelined.critical_rows == len(range(0, STUDENTS, 7))
    assert pipelined.proposal_rows > pipelined.critical_rows  # also high totals
    assert outcome(pipelined.campaign) == outcome(serial.campaign)
    stored = outcome(pipelined.campaign)
    assert {student for student, *_ in stored["results"]} == {s.pk for s in students}
    assert all(source == ResultSource.IMPORT for *_, source in stored["results"])

    job = ImportJob.objects.get(pk=pipelined.pk)
    assert (job.status, job.content) == (ImportStatus.DONE, b"")
    event = AuditEvent.objects.get(action=Action.CREATE, object_id=str(job.pk), detail__rows=40)
    assert event.detail["inserted"] == STUDENTS
    assert event.detail["critical"] == job.critical_rows


def test_a_problem_in_a_later_batch_rolls_the_writer_back(
    world, phq9, students, small_batches, writers
):
    campaign = city_campaign(world, phq9)
    rows = rows_of(students)
    rows[35][1] = "别人"  # a name not the student's, found by the fourth batch's resolve
    job = run(world, campaign, phq9, csv_bytes(rows))

    assert job.status == ImportStatus.FAILED
    assert [e["row"] for e in job.errors] == [37]
    assert students[35].name in job.errors[0]["message"]
    [writer] = writers
    assert not writer.done
    assert writer.inserted > 0  # it had written the first batches
    assert not ScreeningResult.objects.filter(campaign=campaign).exists()
    assert not RiskProposal.objects.exists()
    assert not CriticalAlertPending.objects.exists()
    assert shared_tables() == []


def test_a_crash_midway_rolls_the_writer_back(world, phq9, students, small_batches, writers):
    from screening.imports import parsing

    campaign = city_campaign(world, phq9)
    original = parsing.parse_lines

    def crashes_midway(*args, **kwargs):
        for number, line in enumerate(original(*args, **kwargs)):
            if number == 30:
                raise RuntimeError("reader bug")
            yield line

    parsing_patch = pytest.MonkeyPatch()
    parsing_patch.setattr(parsing, "parse_lines", crashes_midway)
    try:
        job = run(world, campaign, phq9, csv_bytes(rows_of(students)))
    finally:
        parsing_patch.undo()

    assert job.status == ImportStatus.FAILED
    assert [e["message"] for e in job.errors] == [
        parsing.format_message(services.ERROR_UNEXPECTED, job=job.pk)
    ]
    [writer] = writers
    assert not writer.done
    assert not ScreeningResult.objects.filter(campaign=campaign).exists()
    assert shared_tables() == []


def test_a_row_stored_meanwhile_is_merged_by_the_one_transaction_path(
    world, phq9, students, small_batches, writers, monkeypatch
):
    """A teacher's form stores a result for one of the file's students after the import chose
    the writer: the writer's INSERT meets the unique key and stops; the main connection writes
    the file in one transaction, updating that result to the file's answers."""
    campaign = city_campaign(world, phq9)
    original = services._pipelined

    def chosen_then_stored(job):
        chosen = original(job)
        ScreeningResult.objects.create(
            student=students[25],
            school_id=students[25].school_id,
            county_id=students[25].county_id,
            instrument=phq9,
            campaign=campaign,
            source=ResultSource.FORM,
            answers=[0] * 9,
            total=0,
            band="minimal",
            administered_on=datetime.date(2026, 9, 1),
        )
        return chosen

    monkeypatch.setattr(services, "_pipelined", chosen_then_stored)
    job = run(world, campaign, phq9, csv_bytes(rows_of(students)))

    assert job.status == ImportStatus.DONE, job.errors
    [writer] = writers
    assert not writer.done
    assert writer.failed is not None
    assert job.inserted_rows == STUDENTS  # 39 inserted, 1 updated
    stored = dict(
        ScreeningResult.objects.filter(campaign=campaign).values_list("student_id", "answers")
    )
    assert stored == {s.pk: answers_of(n) for n, s in enumerate(students)}
    assert shared_tables() == []


def test_rows_of_a_batch_on_earlier_pages_are_written_too(
    world, phq9, students, small_batches, writers, monkeypatch
):
    """PostgreSQL may put a row where an earlier page has room (free space recorded in the
    table's free space map): the writer, reading a batch from the page the table had before it,
    would miss it. It counts what it wrote against the batch's rows and reads the pages before
    too when short. (Forced here by saying every table is 5 pages longer than it is: the writer
    finds nothing on the batch's pages.)"""
    original_pages = services._pages
    monkeypatch.setattr(services, "_pages", lambda cursor, table: original_pages(cursor, table) + 5)
    campaign = city_campaign(world, phq9)
    job = run(world, campaign, phq9, csv_bytes(rows_of(students)))

    assert job.status == ImportStatus.DONE, job.errors
    [writer] = writers
    assert (writer.done, writer.inserted) == (True, STUDENTS)
    stored = dict(
        ScreeningResult.objects.filter(campaign=campaign).values_list("student_id", "answers")
    )
    assert stored == {s.pk: answers_of(n) for n, s in enumerate(students)}
    assert job.critical_rows == len(range(0, STUDENTS, 7))


def test_a_corrected_file_is_not_written_by_the_writer(
    world, phq9, students, small_batches, writers
):
    """A second import into the campaign updates what differs: the one-transaction path."""
    campaign = city_campaign(world, phq9)
    first = run(world, campaign, phq9, csv_bytes(rows_of(students)))
    assert first.status == ImportStatus.DONE
    assert len(writers) == 1
    rows = rows_of(students)
    rows[3][2:] = [3] * 8 + [0]
    again = run(world, campaign, phq9, csv_bytes(rows))
    assert again.status == ImportStatus.DONE, again.errors
    assert len(writers) == 1
    assert again.inserted_rows == 1
    assert ScreeningResult.objects.get(campaign=campaign, student=students[3]).total == 24


def test_a_small_file_is_not_written_by_the_writer(world, phq9, students, writers):
    job = run(world, city_campaign(world, phq9), phq9, csv_bytes(rows_of(students)))
    assert job.status == ImportStatus.DONE, job.errors
    assert writers == []


def test_a_shared_table_left_by_a_killed_worker_is_dropped_by_the_next_run(
    world, phq9, students, small_batches
):
    campaign = city_campaign(world, phq9)
    job = upload(world, campaign, phq9, csv_bytes(rows_of(students)))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE import_work.import_pipeline_{job.pk} (x int)")
    job = services.import_run(job_id=job.pk)
    assert job.status == ImportStatus.DONE, job.errors
    assert shared_tables() == []

    # and a job given up (too many runs) drops it too
    given_up = upload(world, campaign, phq9, csv_bytes(rows_of(students)))
    ImportJob.objects.filter(pk=given_up.pk).update(attempts=services.MAX_ATTEMPTS)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE import_work.import_pipeline_{given_up.pk} (x int)")
    assert services.import_run(job_id=given_up.pk).status == ImportStatus.FAILED
    assert shared_tables() == []


def copy_students(klass, count):
    """``count`` students of ``klass`` (numbers ``W…``), made with COPY: [(number, name)]."""
    now = "2026-09-01 00:00:00+00"
    students = [(f"W{n:016d}", f"学生{n}") for n in range(count)]
    columns = (
        "school_id, county_id, klass_id, name, gender, birth_date, student_number, status, "
        "disadvantages, created_at, updated_at, left_reason"
    )
    county_id = klass.school.parent_id
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY orgs_student ({columns}) FROM STDIN") as copy,
    ):
        for number, name in students:
            copy.write(
                f"{klass.school_id}\t{county_id}\t{klass.pk}\t{name}\tF\t2012-05-01\t{number}\t"
                f"enrolled\t{{}}\t{now}\t{now}\t\n"
            )
    return students


@pytest.mark.worker
def test_a_county_file_is_written_beside_the_staging_by_a_real_worker_as_the_app_role(
    world, phq9, start_celery_worker
):
    """The whole path as in production: a worker as `make run` starts it, connected as the
    app's database role (``manage.py db_roles``: CREATE on the work schema only), takes an
    import of one row more than a batch; the writer writes it; the alerts worker sends the
    critical results' alerts."""
    from django.core.management import call_command

    from screening.imports.tasks import import_run_task
    from tests import workers

    role = f"{connection.settings_dict['NAME']}_app"
    call_command("db_roles", role=role)
    klass = new_class(world, grade=8, name="初二(9)班")
    count = services.BATCH_ROWS + 1
    students = copy_students(klass, count)
    campaign = city_campaign(world, phq9)
    content = csv_bytes(
        [[number, name, *answers_of(n)] for n, (number, name) in enumerate(students)]
    )
    job = upload(world, campaign, phq9, content)
    url = workers.database_url().replace(
        f"//{connection.settings_dict.get('USER') or 'postgres'}", f"//{role}", 1
    )
    worker = start_celery_worker(env={"DATABASE_URL": url})
    import_run_task.delay(job.pk)
    workers.wait_until(
        lambda: ImportJob.objects.get(pk=job.pk).status in (ImportStatus.DONE, ImportStatus.FAILED),
        240,
        "the import to finish",
    )
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, (job.errors, worker.log_text()[-3000:])
    critical = len(range(0, count, 7))
    assert (job.inserted_rows, job.critical_rows) == (count, critical)
    assert f"{count} rows written beside the staging" in worker.log_text()
    assert ScreeningResult.objects.filter(campaign=campaign).count() == count
    assert shared_tables() == []
    workers.wait_until(
        lambda: not CriticalAlertPending.objects.exists(), 120, "the alerts sent by the worker"
    )
