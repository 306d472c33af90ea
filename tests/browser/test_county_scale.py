"""What county users see: the official's coverage chart keeps long school names whole, coverage
tables list schools (not the county's counseling center), grades read as names, the campaign
name is labelled as such, and a filter bar's buttons sit in one row."""

import datetime

import pytest

from mhcare.orgs.models import OrgKind
from screening.models import Campaign, CampaignInstrument, Instrument
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_NAME = "杭州市西湖区第一实验中学"
CENTER_NAME = "西湖区心理辅导中心"


@pytest.fixture
def campaign(world):
    world.school_a.name = LONG_NAME
    world.school_a.save(update_fields=["name"])
    factories.SchoolFactory(
        parent=world.county_a,
        code="3301069001",
        kind=OrgKind.COUNTY_CENTER,
        stage="",
        name=CENTER_NAME,
    )
    today = datetime.date.today()
    campaign = Campaign.objects.create(
        name="2026 秋季心理筛查",
        school_year=world.class_a.school_year,
        org_unit=world.county_a,
        window_start=today - datetime.timedelta(days=30),
        window_end=today + datetime.timedelta(days=30),
    )
    CampaignInstrument.objects.create(
        campaign=campaign, instrument=Instrument.objects.latest_of("PHQ-9")
    )
    return campaign


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_county_official_and_center(browser, live_server, world, campaign, locale):
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": 1280, "height": 860}
    )
    page = context.new_page()
    log_in(page, "official_a", world.password)
    # The chart's school names are whole and start inside the chart.
    label = page.locator("svg.chart text", has_text=LONG_NAME).first
    assert label.text_content() == LONG_NAME
    assert label.evaluate("t => t.getBBox().x") >= 0
    screenshot(page, f"county-1-official-home-{locale}")

    page.goto(f"/screening/campaigns/{campaign.pk}/")
    rows = page.locator("[data-testid=coverage-units] tbody tr, table.data tbody tr")
    text = page.locator("main").inner_text()
    assert LONG_NAME in text
    assert CENTER_NAME not in text  # not a school: no 0 / 0 row
    assert rows.count() >= 2
    screenshot(page, f"county-2-campaign-{locale}")
    page.goto(f"/screening/campaigns/{campaign.pk}/?unit={world.school_a.pk}")
    grade = "八年级" if locale == "zh-CN" else "Grade 8"
    assert grade in page.locator("[data-testid=coverage-grades]").inner_text()
    screenshot(page, f"county-3-campaign-school-{locale}")
    context.close()

    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": 1280, "height": 860}
    )
    page = context.new_page()
    log_in(page, "center_a", world.password)
    page.goto("/screening/campaigns/new/")
    name_label = page.locator("label[for=id_name]").inner_text()
    assert ("批次名称" if locale == "zh-CN" else "Name") in name_label
    assert "姓名" not in name_label
    screenshot(page, f"county-4-campaign-form-{locale}")
    page.goto("/crisis/high-risk/")
    tops = page.locator("[data-testid=toolbar-actions] > *").evaluate_all(
        "nodes => nodes.map(n => Math.round(n.getBoundingClientRect().top))"
    )
    assert len(tops) == 3
    assert len(set(tops)) == 1, tops  # one row, not stacked
    screenshot(page, f"county-5-highrisk-{locale}")
    context.close()
