"""A psychology teacher imports a results file with errors, sees every error with its row and
column, fixes the file and imports it again; and an import runs on a real Celery worker (not
eagerly), its progress bar followed until it is done."""

import datetime

import pytest

from screening.imports import parsing
from screening.models import (
    Campaign,
    CampaignInstrument,
    ImportJob,
    ImportStatus,
    Instrument,
    ScreeningResult,
)
from tests.browser.conftest import log_in, screenshot
from tests.screening.imports.conftest import csv_bytes, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phq9_campaign(world) -> tuple[Campaign, Instrument]:
    phq9 = Instrument.objects.latest_of("PHQ-9")
    campaign = Campaign.objects.create(
        name="2026 秋季心理筛查",
        school_year=world.class_a.school_year,
        org_unit=world.city,
        window_start=datetime.date(2026, 1, 1),
        window_end=datetime.date(2026, 12, 31),
    )
    CampaignInstrument.objects.create(campaign=campaign, instrument=phq9)
    return campaign, phq9


def _upload(page, world, campaign, phq9, content: bytes, name: str) -> None:
    page.goto("/screening/imports/")
    page.select_option("select[name=campaign]", str(campaign.pk))
    page.select_option("select[name=instrument]", str(phq9.pk))
    page.select_option("select[name=unit]", str(world.school_a.pk))
    page.set_input_files(
        "input[name=file]", files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    page.click("[data-testid=import-form] button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_import_with_errors_then_fixed(page, world):
    campaign, phq9 = _phq9_campaign(world)
    a, other = world.students["a"], world.students["a_other_class"]
    bad = csv_bytes([row(a, [0, 0, 5, 0, 0, 0, 0, 0, 0]), row(other, [1] * 9, name="李大红")])
    good = csv_bytes([row(a, [0, 0, 3, 0, 0, 0, 0, 0, 0]), row(other, [1] * 9)])

    log_in(page, "psych_a", world.password)
    page.goto("/screening/imports/")
    screenshot(page, "import-1-upload")

    def submit(content: bytes, name: str) -> None:
        _upload(page, world, campaign, phq9, content, name)

    submit(bad, "results.csv")
    errors = page.locator("[data-testid=import-error-summary] tbody tr")  # one per kind
    assert errors.count() == 2
    assert "第3题 Item 3" in errors.nth(0).inner_text()
    assert str(parsing.format_message(parsing.ERROR_NAME_MISMATCH, expected=other.name)) in (
        errors.nth(1).inner_text()
    )
    assert not ScreeningResult.objects.exists()
    screenshot(page, "import-2-errors")

    submit(good, "results-fixed.csv")
    page.locator("[data-testid=import-done]").wait_for()
    assert ScreeningResult.objects.filter(campaign=campaign).count() == 2
    screenshot(page, "import-3-done")


@pytest.mark.worker
def test_an_import_runs_on_a_real_worker_and_the_progress_bar_reaches_done(
    page, world, start_celery_worker
):
    # given a results file uploaded while no worker runs (tasks go to Redis, not run eagerly)
    campaign, phq9 = _phq9_campaign(world)
    a, other = world.students["a"], world.students["a_other_class"]
    content = csv_bytes([row(a, [0, 0, 3, 0, 0, 0, 0, 0, 0]), row(other, [1] * 9)])
    log_in(page, "psych_a", world.password)
    _upload(page, world, campaign, phq9, content, "results.csv")

    # then the page shows the job waiting, its progress bar polling
    progress = page.locator("[data-testid=import-progress]")
    progress.wait_for()
    assert "等待中" in progress.inner_text()
    assert page.locator("[data-testid=import-progress] progress").get_attribute("value") == "0"
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PENDING
    screenshot(page, "import-worker-1-waiting")

    # when a worker starts exactly as `make run` starts it
    start_celery_worker()

    # then the worker takes the queued job and the page follows it to "done"
    page.locator("[data-testid=import-done]").wait_for(timeout=90_000)
    assert page.locator("[data-testid=import-status]").inner_text().strip() == "已导入"
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.processed_rows == job.total_rows == 2
    assert ScreeningResult.objects.filter(campaign=campaign).count() == 2
    screenshot(page, "import-worker-2-done")
