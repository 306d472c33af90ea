"""A psychology teacher imports a results file with errors, sees every error with its row and
column, fixes the file and imports it again."""

import datetime

import pytest

from screening.imports import parsing
from screening.models import Campaign, CampaignInstrument, Instrument, ScreeningResult
from tests.browser.conftest import log_in, screenshot
from tests.screening.imports.conftest import csv_bytes, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_with_errors_then_fixed(page, world):
    phq9 = Instrument.objects.latest_of("PHQ-9")
    campaign = Campaign.objects.create(
        name="2026 秋季心理筛查",
        school_year=world.class_a.school_year,
        org_unit=world.city,
        window_start=datetime.date(2026, 1, 1),
        window_end=datetime.date(2026, 12, 31),
    )
    CampaignInstrument.objects.create(campaign=campaign, instrument=phq9)
    a, other = world.students["a"], world.students["a_other_class"]
    bad = csv_bytes([row(a, [0, 0, 5, 0, 0, 0, 0, 0, 0]), row(other, [1] * 9, name="李大红")])
    good = csv_bytes([row(a, [0, 0, 3, 0, 0, 0, 0, 0, 0]), row(other, [1] * 9)])

    log_in(page, "psych_a", world.password)
    page.goto("/screening/imports/")
    screenshot(page, "import-1-upload")

    def submit(content: bytes, name: str) -> None:
        page.goto("/screening/imports/")
        page.select_option("select[name=campaign]", str(campaign.pk))
        page.select_option("select[name=instrument]", str(phq9.pk))
        page.select_option("select[name=unit]", str(world.school_a.pk))
        page.set_input_files(
            "input[name=file]", files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
        )
        page.click("[data-testid=import-form] button[type=submit]")
        page.wait_for_load_state("networkidle")

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
