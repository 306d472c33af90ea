"""A job that fails for any reason ends FAILED with a message the uploader understands, never
left "running"; a job that kills its worker is not redelivered for ever."""

import logging

import pytest

from screening.imports import services
from screening.imports.tasks import import_run_task
from screening.models import ImportJob, ImportStatus, RiskProposal, ScreeningResult
from tests.screening.imports.conftest import csv_bytes, row

pytestmark = pytest.mark.django_db


def create(world, campaign, phq9, content, filename="results.csv"):
    return services.import_job_create(
        actor=world.users["psych_a"],
        campaign=campaign,
        instrument=phq9,
        unit=world.school_a,
        filename=filename,
        content=content,
        enqueue=False,
    )


def messages(job):
    return [e["message"] for e in job.errors]


def assert_nothing_stored():
    assert not ScreeningResult.objects.exists()
    assert not RiskProposal.objects.exists()


def test_a_nul_byte_in_a_csv_cell_is_removed_like_any_control_character(world, campaign, phq9):
    # given a name with a NUL byte (PostgreSQL refuses it inside COPY): the reader's
    # normalisation removes control characters before any check, so the name matches
    a, other = world.students["a"], world.students["a_other_class"]
    content = csv_bytes([row(other, [0] * 9), row(a, [1] * 9, name=a.name + "\x00")])
    job = create(world, campaign, phq9, content)
    # when the task runs it
    status = import_run_task.apply(args=[job.pk]).get()
    # then both rows are stored and the job ends
    job.refresh_from_db()
    assert (status, job.status) == ("done", ImportStatus.DONE)
    assert ScreeningResult.objects.filter(student__in=[a, other]).count() == 2
    assert job.finished_at is not None


def test_a_nul_the_database_refuses_anyway_fails_the_job_with_a_message(
    world, campaign, phq9, monkeypatch, caplog
):
    # a zero byte that reaches the database by another path (PostgreSQL: "invalid byte
    # sequence ... 0x00") ends the job FAILED with the message that says how to fix the file
    def refused(*args, **kwargs):
        raise ValueError('invalid byte sequence for encoding "UTF8": 0x00')

    monkeypatch.setattr(services, "_finish", refused)
    job = create(world, campaign, phq9, csv_bytes([row(world.students["a"], [1] * 9)]))
    with caplog.at_level(logging.ERROR, logger="screening.imports.services"):
        status = import_run_task.apply(args=[job.pk]).get()
    job.refresh_from_db()
    assert (status, job.status) == ("failed", ImportStatus.FAILED)
    assert messages(job) == [str(services.ERROR_NUL)]
    assert job.finished_at is not None
    assert_nothing_stored()
    assert "Results import" in caplog.text  # logged with its traceback


def test_any_unexpected_exception_fails_the_job_and_is_logged(
    world, campaign, phq9, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "_finish", broken)
    job = create(world, campaign, phq9, csv_bytes([row(world.students["a"], [1] * 9)]))
    with caplog.at_level(logging.ERROR, logger="screening.imports.services"):
        job = services.import_run(job_id=job.pk)
    assert job.status == ImportStatus.FAILED
    assert messages(job) == [services.parsing.format_message(services.ERROR_UNEXPECTED, job=job.pk)]
    assert "disk on fire" not in messages(job)[0]  # no internals shown to teachers
    assert "disk on fire" in caplog.text
    assert ImportJob.objects.get().status == ImportStatus.FAILED
    assert_nothing_stored()


def test_a_time_limit_fails_the_job_saying_so(world, campaign, phq9, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    def slow(*args, **kwargs):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(services, "_finish", slow)
    job = create(world, campaign, phq9, csv_bytes([row(world.students["a"], [1] * 9)]))
    job = services.import_run(job_id=job.pk)
    assert (job.status, messages(job)) == (ImportStatus.FAILED, [str(services.ERROR_TIMEOUT)])


def test_a_job_that_crashed_its_worker_too_often_is_given_up(world, campaign, phq9):
    # given a job redelivered after killing its worker MAX_ATTEMPTS times (each run counted
    # and committed before its work; the kill left it RUNNING)
    job = create(world, campaign, phq9, csv_bytes([row(world.students["a"], [1] * 9)]))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, attempts=services.MAX_ATTEMPTS
    )
    # when the broker delivers it once more
    status = import_run_task.apply(args=[job.pk]).get()
    # then it is not run again: FAILED, with a message
    job.refresh_from_db()
    assert (status, job.status, job.attempts) == ("failed", ImportStatus.FAILED, 3)
    expected = services.parsing.format_message(services.ERROR_GAVE_UP, attempts=3)
    assert messages(job) == [expected]
    assert_nothing_stored()


def test_a_redelivered_job_below_the_limit_runs_and_counts(world, campaign, phq9):
    job = create(world, campaign, phq9, csv_bytes([row(world.students["a"], [1] * 9)]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, attempts=2)
    job = services.import_run(job_id=job.pk)
    assert (job.status, job.attempts) == (ImportStatus.DONE, 3)
    assert ScreeningResult.objects.count() == 1


def test_a_finished_job_is_left_as_it_is(world, campaign, phq9):
    job = create(world, campaign, phq9, csv_bytes([row(world.students["a"], [1] * 9)]))
    services.import_run(job_id=job.pk)
    job = services.import_run(job_id=job.pk)
    assert (job.status, job.attempts) == (ImportStatus.DONE, 1)


def test_a_missing_job_raises(db):
    with pytest.raises(ImportJob.DoesNotExist):
        services.import_run(job_id=987654)
