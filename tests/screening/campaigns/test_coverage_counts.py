"""Campaign coverage above a school comes from the schools' pre-aggregated counts (issue 14): the
counts equal the live count, are recounted after an entry / import (the sweep), nightly and at a
campaign's creation, and an official's page and its 30-s reload count no student."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance import refresh, tasks
from screening.campaigns import selectors, services
from screening.campaigns.services import InstrumentPlan
from screening.models import Campaign, CampaignCoverage, Instrument
from screening.services import result_create
from tests import factories
from tests.screening.campaigns.conftest import ANSWERS_MILD, DAY


def _enter(world, student, campaign):
    result_create(
        actor=world.users["center_a" if student.school_id != world.school_b.pk else "psych_b"],
        student=student,
        instrument=Instrument.objects.latest_of("PHQ-9"),
        administered_on=DAY,
        answers=ANSWERS_MILD,
        campaign=campaign,
    )


def _live(world, campaign, unit):
    """The live count (what the page computed before): the grouped statement over students."""
    actor = world.users["official_province"]
    students = selectors._student_base(actor, campaign, unit)
    counts = selectors.grouped_counts(campaign, students, selectors._child_path_sql(unit.depth))
    return {path: value for path, value in counts.items() if value[0]}


def _from_counts(world, campaign, unit):
    rows = selectors.coverage_by_child(
        actor=world.users["official_province"], campaign=campaign, unit=unit
    )
    paths = {u.pk: u.path for u in type(unit).objects.filter(pk__in=[r.key for r in rows])}
    return {paths[r.key]: (r.enrolled, r.completed) for r in rows if r.enrolled}


def test_counts_equal_the_live_count_at_every_level(world, campaign):
    # given results in two schools, a refusal and a student of a grade without instrument
    more = factories.StudentFactory(klass=world.class_a2)
    _enter(world, world.students["a"], campaign)
    _enter(world, more, campaign)
    campaign.org_unit = world.province
    campaign.save()
    _enter(world, world.students["b"], campaign)
    # when the counts are recounted
    written = services.campaign_coverage_refresh(campaign=campaign)
    # then every level above a school reads what the live count says
    assert written == 3
    for unit in (world.province, world.city, world.county_a, world.county_b):
        assert _from_counts(world, campaign, unit) == _live(world, campaign, unit), unit
    assert _from_counts(world, campaign, world.county_a) == {
        world.school_a.path: (2, 1),
        world.school_a2.path: (2, 1),
    }


def test_a_county_recount_leaves_the_others_and_drops_schools_left_empty(world, campaign):
    campaign.org_unit = world.province
    campaign.save()
    services.campaign_coverage_refresh(campaign=campaign)
    before_b = CampaignCoverage.objects.get(campaign=campaign, school=world.school_b).computed_at
    # the only student of school A2 leaves; school B gets a result (not recounted yet)
    world.students["a2"].status = "left"
    world.students["a2"].save()
    _enter(world, world.students["b"], campaign)
    services.campaign_coverage_refresh(campaign=campaign, within=world.county_a.path)
    rows = {
        c.school_id: (c.enrolled, c.completed, c.computed_at)
        for c in CampaignCoverage.objects.filter(campaign=campaign)
    }
    assert world.school_a2.pk not in rows  # 0 of 0: no row
    assert rows[world.school_b.pk] == (1, 0, before_b)  # county B untouched
    # a campaign of county B is not counted by a recount of county A
    other = Campaign.objects.create(
        name="上城区",
        school_year=campaign.school_year,
        org_unit=world.county_b,
        window_start=campaign.window_start,
        window_end=campaign.window_end,
    )
    assert services.campaign_coverage_refresh(campaign=other, within=world.county_a.path) == 0


def test_an_entry_is_counted_by_the_next_sweep(world, campaign, django_capture_on_commit_callbacks):
    services.campaign_coverage_refresh(campaign=campaign)
    assert _from_counts(world, campaign, world.county_a)[world.school_a.path] == (2, 0)
    with django_capture_on_commit_callbacks(execute=True):
        _enter(world, world.students["a"], campaign)
    assert refresh.refresh_pending() == 1
    assert _from_counts(world, campaign, world.county_a)[world.school_a.path] == (2, 1)


def test_a_refusal_is_counted_by_the_next_sweep(
    world, campaign, django_capture_on_commit_callbacks
):
    from screening.consents.services import consent_record

    services.campaign_coverage_refresh(campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        consent_record(
            actor=world.users["psych_a"],
            student=world.students["a"],
            decision="refused",
            way="written",
            decided_on=DAY,
        )
    refresh.refresh_pending()
    assert _from_counts(world, campaign, world.county_a)[world.school_a.path] == (1, 0)


def test_the_nightly_job_counts_campaigns_never_counted(world, campaign):
    assert campaign.coverage_computed_at is None
    tasks.snapshot_refresh_task()
    campaign.refresh_from_db()
    assert campaign.coverage_computed_at is not None
    assert CampaignCoverage.objects.filter(campaign=campaign).count() == 2


def test_a_new_campaign_is_counted_once_created(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        campaign = services.campaign_create(
            actor=world.users["center_a"],
            name="西湖区春季筛查",
            org_unit=world.county_a,
            school_year=world.class_a.school_year,
            window_start=datetime.date(2027, 3, 1),
            window_end=datetime.date(2027, 3, 31),
            plans=[
                InstrumentPlan(
                    instrument=Instrument.objects.latest_of("PHQ-9"), grade_min=4, grade_max=12
                )
            ],
        )
    assert _from_counts(world, campaign, world.county_a) == {
        world.school_a.path: (2, 0),
        world.school_a2.path: (1, 0),
    }


def _schools(world, n):
    for i in range(n):
        school = factories.SchoolFactory(parent=world.county_a, code=f"33010670{i:02d}")
        klass = factories.SchoolClassFactory(school=school, school_year=world.class_a.school_year)
        factories.StudentFactory(klass=klass)


def test_the_official_page_counts_no_student_and_its_queries_do_not_grow(client, world, campaign):
    campaign.org_unit = world.province
    campaign.save()
    _enter(world, world.students["a"], campaign)
    services.campaign_coverage_refresh(campaign=campaign)
    client.force_login(world.users["official_province"])
    url = reverse("screening:campaign_coverage", args=[campaign.pk])
    county = f"{url}?unit={world.county_a.pk}"

    def get(target):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(target)
        assert page.status_code == 200
        return page.content.decode(), [q["sql"] for q in queries.captured_queries]

    body, few = get(county)
    assert "1 / 3" in body
    assert 'data-testid="coverage-as-of"' in body
    assert "As of" in body
    # no statement of the reload reads the students (the school page alone counts live)
    assert not [sql for sql in few if '"orgs_student"' in sql]
    _schools(world, 12)
    services.campaign_coverage_refresh(campaign=campaign)
    body, many = get(county)
    assert "1 / 15" in body
    assert len(many) == len(few)
    province, _sql = get(f"{url}?unit={world.province.pk}")
    assert "1 / 16" in province


def test_not_counted_yet_says_so(client, world, campaign):
    client.force_login(world.users["official_a"])
    page = client.get(reverse("screening:campaign_detail", args=[campaign.pk]))
    assert "Not counted yet" in page.content.decode()
